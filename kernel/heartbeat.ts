/**
 * The heartbeat socket runs in a worker thread so that it keeps answering while a cell
 * keeps the main thread busy (clients such as jupyter console take a silent heartbeat
 * for a dead kernel).
 */
import { isMainThread, parentPort, Worker, workerData } from "worker_threads";
import * as zmq from "zeromq";
import { bindAll, bindErrorOf, type BindFailure } from "./bind";

async function serve(address: string): Promise<void> {
  const hb = new zmq.Reply();
  hb.linger = 0;
  try {
    await bindAll([{ socket: hb, channel: "heartbeat", address }]);
  } catch (e) {
    const b = e as BindFailure;
    parentPort!.postMessage({ failure: { channel: "heartbeat", address, reason: b.reason ?? String((e as Error).message) } });
    parentPort!.close();
    return;
  }
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
    w.once("message", (m: string | { failure: BindFailure }) => {
      if (m === "bound") return resolve(w);
      // The thread closed its socket and ends by itself: reject once it has (see supervisor.ts).
      const err = typeof m === "object" ? bindErrorOf(m.failure) : new Error(String(m));
      const late = setTimeout(() => void w.terminate(), 2000);
      w.once("exit", () => {
        clearTimeout(late);
        reject(err);
      });
    });
    w.once("error", reject);
  });
}

if (!isMainThread && workerData?.address) {
  serve(workerData.address).catch((e) => parentPort!.postMessage(`heartbeat failed: ${(e as Error).message}`));
}
