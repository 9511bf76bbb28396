/**
 * Binding the kernel's sockets, and what happens when a port is taken.
 *
 * The Jupyter server picks the five TCP ports (it binds port 0, closes, writes them to the
 * connection file) and the kernel binds them seconds later, so on a busy machine another process
 * can take one in between (jupyter/jupyter_client#487). In jupyter_client 8.x a restart "with new
 * random ports" reuses the same ports when the server caches them (LocalPortCache, the default for
 * tcp), so such a kernel fails the same way at every restart: docs/classroom.md says why the
 * classroom uses the ipc transport instead. Here the kernel makes the failure clean: a short retry
 * for a port held for a moment (another server probing for free ports holds it for milliseconds),
 * then every socket it did bind is closed and it exits with one line naming the channel and address.
 */
import type * as zmq from "zeromq";

export type Channel = "shell" | "control" | "stdin" | "iopub" | "heartbeat";

/** A socket the kernel could not bind: which channel, where, why. */
export class BindError extends Error {
  constructor(readonly channel: Channel, readonly address: string, readonly reason: string) {
    super(`cannot bind the ${channel} channel to ${address}: ${reason}`);
    this.name = "BindError";
  }
}

/** The error as it crosses from a worker thread (structured clone drops the class). */
export interface BindFailure {
  channel: Channel;
  address: string;
  reason: string;
}

/** Tries after the first when the address is in use, and the pause between them. */
const RETRIES = 3;
const PAUSE_MS = 300;

/** Binds one socket; an address in use is tried again RETRIES times, PAUSE_MS apart. */
async function bindOne(socket: zmq.Socket, channel: Channel, address: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await socket.bind(address);
      return;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      if (err.code === "EADDRINUSE" && attempt < RETRIES) {
        await new Promise((r) => setTimeout(r, PAUSE_MS));
        continue;
      }
      throw new BindError(channel, address, err.message ?? String(e));
    }
  }
}

/**
 * Binds every socket. If one cannot be bound, all of them are closed (bound or not, so no port
 * stays held and no zmq socket outlives its thread) and the first BindError is thrown.
 */
export async function bindAll(sockets: { socket: zmq.Socket; channel: Channel; address: string }[]): Promise<void> {
  const results = await Promise.allSettled(sockets.map((s) => bindOne(s.socket, s.channel, s.address)));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (!failed) return;
  for (const s of sockets) {
    s.socket.linger = 0;
    s.socket.close();
  }
  throw failed.reason;
}

/** A BindError from a worker's failure message. */
export function bindErrorOf(f: BindFailure): BindError {
  return new BindError(f.channel, f.address, f.reason);
}
