/**
 * Captures process.stdout/stderr (hence console.log/console.error) as IOPub stream
 * messages, batched per request so that a loop printing lines sends a few messages.
 */
import { currentParent } from "./context";
import type { Message } from "./wire";

const CHUNK = 1 << 20;

export type Publish = (msgType: string, content: Record<string, unknown>, parent: Message | undefined) => void;

export class StreamCapture {
  private pending: { name: "stdout" | "stderr"; parent: Message | undefined; text: string; since: number } | undefined;
  private scheduled = false;

  constructor(private readonly publish: Publish) {}

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
    if (text.length === 0) return;
    const parent = currentParent();
    if (this.pending && (this.pending.name !== name || this.pending.parent !== parent)) this.flush();
    if (!this.pending) this.pending = { name, parent, text: "", since: Date.now() };
    this.pending.text += text;
    // A long synchronous loop never reaches setImmediate: flush from here so progress shows.
    if (this.pending.text.length >= CHUNK || Date.now() - this.pending.since > 200) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  /** Sends what is buffered; called before any other IOPub message to keep order. */
  flush(): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    for (let i = 0; i < p.text.length; i += CHUNK) {
      this.publish("stream", { name: p.name, text: p.text.slice(i, i + CHUNK) }, p.parent);
    }
  }
}
