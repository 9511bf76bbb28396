/**
 * Captures process.stdout/stderr (hence console.log/console.error, including output from
 * inside library methods) as IOPub stream messages. Each write goes straight to the
 * supervisor thread, which batches it (at most 50 ms, 1 MB chunks) and sends it while the
 * main thread may still be computing: output printed before a long synchronous computation
 * arrives before that computation ends.
 */
import { currentParent } from "./context";
import type { Message } from "./wire";

export type StreamSink = (name: "stdout" | "stderr", text: string, parent: Message | undefined) => void;

export class StreamCapture {
  constructor(private readonly sink: StreamSink) {}

  install(): void {
    for (const name of ["stdout", "stderr"] as const) {
      const stream = process[name];
      (stream as unknown as { write: unknown }).write = (chunk: unknown, encoding?: unknown, cb?: unknown) => {
        const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
        this.write(name, text);
        const done = typeof encoding === "function" ? encoding : cb;
        if (typeof done === "function") process.nextTick(done as () => void);
        return true;
      };
    }
  }

  write(name: "stdout" | "stderr", text: string): void {
    if (text.length > 0) this.sink(name, text, currentParent());
  }
}
