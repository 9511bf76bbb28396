/**
 * The heartbeat socket runs in a worker thread so that it keeps answering while a cell
 * keeps the main thread busy (clients such as jupyter console take a silent heartbeat
 * for a dead kernel).
 */
import { isMainThread, parentPort, Worker, workerData } from "worker_threads";
import * as zmq from "zeromq";

async function serve(address: string): Promise<void> {
  const hb = new zmq.Reply();
  hb.linger = 0;
  await hb.bind(address);
  parentPort!.postMessage("bound");
  parentPort!.on("message", (m) => {
    if (m !== "close") return;
    hb.close();
    // With the port closed too nothing keeps this thread alive, so it ends by itself, before
    // the kernel process exits rather than being torn down with its socket mid-close.
    parentPort!.close();
  });
  try {
    for await (const frames of hb) await hb.send(frames);
  } catch {
    /* closed */
  }
}

/** Starts the heartbeat worker; resolves once its socket is bound. */
export function startHeartbeat(address: string): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const w = new Worker(__filename, { workerData: { address } });
    w.once("message", (m) => (m === "bound" ? resolve(w) : reject(new Error(String(m)))));
    w.once("error", reject);
  });
}

if (!isMainThread && workerData?.address) {
  serve(workerData.address).catch((e) => parentPort!.postMessage(`heartbeat failed: ${(e as Error).message}`));
}
