/**
 * The five Jupyter sockets on zeromq 6. Shell and stdin live on the main thread; control and
 * IOPub in the supervisor thread (supervisor.ts), heartbeat in its own thread, so that
 * interrupts and output get through while a cell holds the main thread. zeromq.js allows one
 * pending send per socket, so every socket gets a FIFO send queue; receive loops hand parsed
 * messages to a callback.
 */
import * as zmq from "zeromq";
import { readFileSync } from "fs";
import { getHeapStatistics } from "v8";
import { decode, encode, Signer, WireError, type Message } from "./wire";
import { log } from "./log";
import { startHeartbeat } from "./heartbeat";
import { Supervisor } from "./supervisor";
import { bindAll } from "./bind";
import type { Worker } from "worker_threads";

export interface ConnectionInfo {
  transport: string;
  ip: string;
  shell_port: number;
  iopub_port: number;
  stdin_port: number;
  control_port: number;
  hb_port: number;
  key: string;
  signature_scheme: string;
}

export function readConnectionFile(path: string): ConnectionInfo {
  let info: Partial<ConnectionInfo>;
  try {
    info = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read connection file ${path}: ${(e as Error).message}`);
  }
  for (const k of ["shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"] as const) {
    if (!Number.isInteger(info[k])) throw new Error(`connection file ${path}: ${k} must be an integer port`);
  }
  return {
    transport: info.transport ?? "tcp",
    ip: info.ip ?? "127.0.0.1",
    key: info.key ?? "",
    signature_scheme: info.signature_scheme ?? "hmac-sha256",
    ...(info as Omit<ConnectionInfo, "transport" | "ip" | "key" | "signature_scheme">),
  };
}

function address(c: ConnectionInfo, port: number): string {
  return c.transport === "ipc" ? `ipc://${c.ip}-${port}` : `tcp://${c.ip}:${port}`;
}

class SendQueue {
  private tail: Promise<void> = Promise.resolve();
  private inflight = 0;
  constructor(private readonly socket: zmq.Socket & { send(m: Buffer[]): Promise<void> }, private readonly name: string) {}
  /**
   * Hands the frames to zmq synchronously when nothing is pending, so a message sent just
   * before user code blocks the thread (execute_input before a busy loop) still goes out.
   */
  push(frames: Buffer[]): Promise<void> {
    const send = () => this.socket.send(frames);
    const p = this.inflight === 0 ? send() : this.tail.then(send);
    this.inflight++;
    this.tail = p
      .catch((e) => log(`send on ${this.name} failed: ${(e as Error).message}`))
      .finally(() => {
        this.inflight--;
      });
    return this.tail;
  }
  drain(): Promise<void> {
    return this.tail;
  }
}

export type ChannelName = "shell" | "control" | "stdin" | "iopub";

export class Channels {
  readonly signer: Signer;
  private shell = new zmq.Router();
  private stdin = new zmq.Router();
  private hbWorker: Worker | undefined;
  supervisor!: Supervisor;
  private queues: Record<"shell" | "stdin", SendQueue>;
  private closed = false;

  constructor(private readonly conn: ConnectionInfo, private readonly session: string) {
    this.signer = new Signer(conn.key, conn.signature_scheme);
    for (const s of [this.shell, this.stdin]) s.linger = 1000;
    this.queues = {
      shell: new SendQueue(this.shell, "shell"),
      stdin: new SendQueue(this.stdin, "stdin"),
    };
  }

  /**
   * Binds the five sockets. If one cannot be bound (kernel/bind.ts: a port another process holds),
   * everything that was bound is closed and its thread ended before the BindError is thrown, so
   * the kernel can exit at once, holding no port, and a restart on other ports succeeds.
   */
  async bind(): Promise<void> {
    const c = this.conn;
    const results = await Promise.allSettled([
      bindAll([
        { socket: this.shell, channel: "shell", address: address(c, c.shell_port) },
        { socket: this.stdin, channel: "stdin", address: address(c, c.stdin_port) },
      ]),
      Supervisor.start(
        { control: address(c, c.control_port), iopub: address(c, c.iopub_port), key: c.key, scheme: c.signature_scheme, session: this.session, heapLimit: getHeapStatistics().heap_size_limit },
        log,
      ).then((s) => (this.supervisor = s)),
      startHeartbeat(address(c, c.hb_port)).then((w) => (this.hbWorker = w)),
    ]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (!failed) return;
    this.closed = true;
    for (const s of [this.shell, this.stdin]) if (!s.closed) s.close();
    await Promise.all([this.supervisor?.close(), this.endHeartbeat()]);
    throw failed.reason;
  }

  private handle(name: string, frames: Buffer[], onMessage: (msg: Message) => void): void {
    let msg: Message;
    try {
      msg = decode(frames, this.signer);
    } catch (e) {
      if (e instanceof WireError) {
        log(`dropped a message on ${name}: ${e.message}`);
        return;
      }
      throw e;
    }
    try {
      onMessage(msg);
    } catch (e) {
      log(`handler for ${msg.header.msg_type} on ${name} threw: ${(e as Error).stack}`);
    }
  }

  /** Receives on a ROUTER channel forever; malformed or badly signed messages are logged and dropped. */
  async listen(name: "shell" | "control" | "stdin", onMessage: (msg: Message) => void): Promise<void> {
    if (name === "control") {
      this.supervisor.listenControl((frames) => this.handle(name, frames, onMessage));
      return;
    }
    const socket = this[name];
    try {
      for await (const frames of socket) this.handle(name, frames as Buffer[], onMessage);
    } catch (e) {
      if (!this.closed) log(`${name} receive loop stopped: ${(e as Error).message}`);
    }
  }

  send(channel: ChannelName, msg: Parameters<typeof encode>[0]): Promise<void> {
    if (this.closed) return Promise.resolve();
    let frames: Buffer[];
    try {
      frames = encode(msg, this.signer);
    } catch (e) {
      log((e as Error).message);
      return Promise.resolve();
    }
    if (channel === "iopub" || channel === "control") {
      this.supervisor.send(channel, frames);
      return Promise.resolve();
    }
    return this.queues[channel].push(frames);
  }

  /**
   * Waits for queued messages, then closes every socket and waits for the heartbeat thread to end.
   * Exiting while that thread still held its zmq socket was a race: on a loaded machine the kernel
   * once ended by a signal instead of with exit code 0 after shutdown_request.
   */
  async close(): Promise<void> {
    await Promise.all(Object.values(this.queues).map((q) => q.drain()));
    this.closed = true;
    await this.supervisor.close();
    for (const s of [this.shell, this.stdin]) s.close();
    await this.endHeartbeat();
  }

  private async endHeartbeat(): Promise<void> {
    const hb = this.hbWorker;
    if (!hb) return;
    await new Promise<void>((resolve) => {
      const late = setTimeout(() => void hb.terminate().finally(resolve), 2000);
      hb.once("exit", () => {
        clearTimeout(late);
        resolve();
      });
      hb.postMessage("close");
    });
  }
}
