/**
 * The supervisor thread: what must keep working while a cell holds the main thread.
 * - It owns the control and IOPub sockets, so `interrupt_request` is read and output leaves
 *   while the main thread computes (stream text is batched here, at most 50 ms old).
 * - It receives SIGINT itself (a libuv signal handle in this thread; the main thread's handler
 *   cannot run while user code spins).
 * - To interrupt, it asks the main thread; if that does not answer within 600 ms, the main
 *   thread is running user code synchronously (a busy loop, a long tensor op, code after any
 *   await), and the supervisor stops that code through the inspector (Runtime.terminateExecution,
 *   which V8 cancels once the interrupted call returns: the kernel keeps running). The kernel
 *   marks the TypeScript compile as critical: it is never cut, the stop waits for its end.
 */
import { isMainThread, parentPort, Worker, workerData } from "worker_threads";
import * as zmq from "zeromq";
import { bindAll, bindErrorOf, type BindFailure } from "./bind";
import { decode, encode, makeHeader, Signer, type Message } from "./wire";

/** Shared flags: [interrupt requests, interrupt requests the main thread saw, critical section depth]. */
const SEQ = 0;
const ACK = 1;
const CRITICAL = 2;

/**
 * How long the main thread has to take an interrupt itself. Methods that yield between units of
 * work (lib/methods) see their AbortSignal within it and stop cleanly with their partial result;
 * code that does not yield is stopped after it, so an interrupt always lands within a second.
 */
const GRACE_MS = 600;

type ToWorker =
  | { kind: "send"; channel: "iopub" | "control"; frames: Uint8Array[] }
  | { kind: "stream"; name: "stdout" | "stderr"; text: string; parent: Record<string, unknown> }
  | { kind: "interrupt" }
  | { kind: "close" };
type ToMain =
  | { kind: "bound" }
  | { kind: "failed"; failure: BindFailure }
  | { kind: "control"; frames: Uint8Array[] }
  | { kind: "interrupt"; seq: number; why: string }
  | { kind: "stopped" }
  | { kind: "log"; text: string };

export interface SupervisorOptions {
  control: string;
  iopub: string;
  key: string;
  scheme: string;
  session: string;
  /** The main thread's JavaScript heap limit in bytes (v8.getHeapStatistics().heap_size_limit). */
  heapLimit: number;
}

/** The main thread's end of the supervisor. */
export class Supervisor {
  private flags: Int32Array;
  private onControl: (frames: Buffer[]) => void = () => undefined;
  private onInterrupt: (why: string) => void = () => undefined;
  private onStopped: () => void = () => undefined;

  private constructor(private readonly worker: Worker, shared: SharedArrayBuffer, log: (s: string) => void) {
    this.flags = new Int32Array(shared);
    worker.on("message", (m: ToMain) => {
      if (m.kind === "control") this.onControl(m.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
      else if (m.kind === "interrupt") {
        Atomics.store(this.flags, ACK, m.seq);
        this.onInterrupt(m.why);
      } else if (m.kind === "stopped") this.onStopped();
      else if (m.kind === "log") log(m.text);
    });
    worker.unref();
  }

  static start(opts: SupervisorOptions, log: (s: string) => void): Promise<Supervisor> {
    const shared = new SharedArrayBuffer(4 * 4);
    const worker = new Worker(__filename, { workerData: { supervisor: opts, shared } });
    return new Promise((resolve, reject) => {
      worker.once("message", (m: ToMain | string) => {
        if (typeof m === "object" && m.kind === "bound") return resolve(new Supervisor(worker, shared, log));
        // A socket it could not bind: the thread closed both and ends by itself; wait for that,
        // so the process never exits with a zmq socket alive in this thread (that aborted it).
        const err = typeof m === "object" && m.kind === "failed" ? bindErrorOf(m.failure) : new Error(String(m));
        const late = setTimeout(() => void worker.terminate(), 2000);
        worker.once("exit", () => {
          clearTimeout(late);
          reject(err);
        });
      });
      worker.once("error", reject);
    });
  }

  listenControl(cb: (frames: Buffer[]) => void): void {
    this.onControl = cb;
  }
  listenInterrupt(cb: (why: string) => void): void {
    this.onInterrupt = cb;
  }
  /** Called once the main thread runs again after the supervisor stopped its JavaScript. */
  listenStopped(cb: () => void): void {
    this.onStopped = cb;
  }

  send(channel: "iopub" | "control", frames: Buffer[]): void {
    this.worker.postMessage({ kind: "send", channel, frames } satisfies ToWorker);
  }

  stream(name: "stdout" | "stderr", text: string, parent: Record<string, unknown>): void {
    this.worker.postMessage({ kind: "stream", name, text, parent } satisfies ToWorker);
  }

  /** Asks for an interrupt (as SIGINT would). */
  interrupt(): void {
    this.worker.postMessage({ kind: "interrupt" } satisfies ToWorker);
  }

  /** Runs fn where an interrupt must not cut (the TypeScript compile); the stop waits for its end. */
  critical<T>(fn: () => T): T {
    Atomics.add(this.flags, CRITICAL, 1);
    try {
      return fn();
    } finally {
      Atomics.sub(this.flags, CRITICAL, 1);
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      const late = setTimeout(() => void this.worker.terminate().finally(resolve), 2000);
      this.worker.once("exit", () => {
        clearTimeout(late);
        resolve();
      });
      this.worker.postMessage({ kind: "close" } satisfies ToWorker);
    });
  }
}

async function serve(opts: SupervisorOptions, shared: SharedArrayBuffer): Promise<void> {
  const port = parentPort!;
  const flags = new Int32Array(shared);
  const signer = new Signer(opts.key, opts.scheme);
  const say = (text: string) => port.postMessage({ kind: "log", text } satisfies ToMain);
  const control = new zmq.Router();
  const iopub = new zmq.Publisher();
  control.linger = 1000;
  iopub.linger = 1000;
  try {
    await bindAll([
      { socket: control, channel: "control", address: opts.control },
      { socket: iopub, channel: "iopub", address: opts.iopub },
    ]);
  } catch (e) {
    const b = e as { channel?: BindFailure["channel"]; address?: string; reason?: string; message?: string };
    port.postMessage({ kind: "failed", failure: { channel: b.channel ?? "control", address: b.address ?? opts.control, reason: b.reason ?? String(b.message) } } satisfies ToMain);
    port.close(); // with both sockets closed, nothing keeps this thread: it ends
    return;
  }

  // FIFO sends (zeromq.js allows one pending send per socket).
  const tails = { iopub: Promise.resolve(), control: Promise.resolve() };
  const sendNow = (channel: "iopub" | "control", frames: Buffer[]) => {
    const socket = channel === "iopub" ? iopub : control;
    tails[channel] = tails[channel].then(() => socket.send(frames)).catch((e) => say(`send on ${channel} failed: ${(e as Error).message}`));
  };

  // Stream text, batched per (stream, parent); sent before anything else on IOPub to keep order.
  let pending: { name: string; parent: Record<string, unknown>; text: string } | undefined;
  let timer: NodeJS.Timeout | undefined;
  const CHUNK = 1 << 20;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const p = pending;
    pending = undefined;
    if (!p) return;
    for (let i = 0; i < p.text.length; i += CHUNK) {
      const header = makeHeader("stream", opts.session);
      const frames = encode({ identities: [Buffer.from(`kernel.${opts.session}.stream`)], header, parent_header: p.parent as Message["parent_header"], metadata: {}, content: { name: p.name, text: p.text.slice(i, i + CHUNK) } }, signer);
      sendNow("iopub", frames);
    }
  };

  // Interrupts: ask the main thread, stop its code if it does not answer.
  const { Session } = require("inspector") as typeof import("inspector");
  const session = new Session();
  session.connectToMainThread();
  let stopping = false;
  const interrupt = (why: string) => {
    const seq = Atomics.add(flags, SEQ, 1) + 1;
    port.postMessage({ kind: "interrupt", seq, why } satisfies ToMain);
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    // A check already pending covers later requests too: it compares with the latest one.
    const check = () => {
      if (Atomics.load(flags, ACK) >= Atomics.load(flags, SEQ)) {
        stopping = false;
        return;
      }
      // The compile is never cut; wait for it (it takes seconds at most).
      if (Atomics.load(flags, CRITICAL) > 0 && Date.now() - started < 60000) {
        setTimeout(check, 50);
        return;
      }
      say(`main thread busy ${Date.now() - started} ms after an interrupt (${why}): stopping its JavaScript`);
      session.post("Runtime.terminateExecution", () => undefined);
      port.postMessage({ kind: "stopped" } satisfies ToMain);
      stopping = false;
    };
    setTimeout(check, GRACE_MS);
  };

  // SIGINT reaches this thread through its own libuv signal handle (the public API is main-thread only).
  process.noDeprecation = true;
  try {
    const { Signal } = (process as unknown as { binding(n: string): { Signal: new () => { onsignal: () => void; start(n: number): number; unref(): void } } }).binding("signal_wrap");
    const sig = new Signal();
    sig.onsignal = () => interrupt("SIGINT");
    sig.start(2);
    sig.unref();
  } catch (e) {
    say(`SIGINT handle unavailable in the supervisor: ${(e as Error).message}`);
  }

  port.on("message", (m: ToWorker) => {
    if (m.kind === "stream") {
      if (pending && (pending.name !== m.name || pending.parent.msg_id !== m.parent.msg_id)) flush();
      if (!pending) pending = { name: m.name, parent: m.parent, text: "" };
      pending.text += m.text;
      if (pending.text.length >= CHUNK) flush();
      else if (!timer) timer = setTimeout(flush, 50);
    } else if (m.kind === "send") {
      if (m.channel === "iopub") flush();
      sendNow(m.channel, m.frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
    } else if (m.kind === "interrupt") {
      interrupt("interrupt_request");
    } else if (m.kind === "close") {
      flush();
      void Promise.all([tails.iopub, tails.control]).finally(() => {
        control.close();
        iopub.close();
        session.disconnect();
        port.close();
      });
    }
  });

  // Heap exhaustion kills the process outright. Near the limit, the running code is stopped
  // instead (its temporaries become garbage) and the cell is told why.
  let heapArmed = true;
  const watchHeap = () => {
    session.post("Runtime.getHeapUsage", (err, r) => {
      if (err || !r) return;
      const used = (r as { usedSize: number }).usedSize;
      const share = used / opts.heapLimit;
      if (share < 0.6) heapArmed = true;
      if (share > 0.8 && heapArmed) {
        heapArmed = false;
        interrupt(`heap: the JavaScript heap is at ${Math.round(100 * share)}% of its ${Math.round(opts.heapLimit / 2 ** 20)} MB limit`);
      }
    });
  };
  setInterval(watchHeap, 200).unref();

  port.postMessage({ kind: "bound" } satisfies ToMain);
  try {
    for await (const frames of control) {
      const bufs = frames as Buffer[];
      try {
        if (decode(bufs, signer).header.msg_type === "interrupt_request") interrupt("interrupt_request");
      } catch {
        /* the main thread logs and drops it */
      }
      port.postMessage({ kind: "control", frames: bufs } satisfies ToMain);
    }
  } catch {
    /* closed */
  }
}

if (!isMainThread && workerData?.supervisor) {
  serve(workerData.supervisor, workerData.shared).catch((e) => parentPort!.postMessage(`supervisor failed: ${(e as Error).stack}`));
}
