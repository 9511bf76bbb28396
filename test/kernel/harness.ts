/**
 * A minimal Jupyter client for the kernel tests: spawns dist/kernel/main.js with a
 * connection file on 127.0.0.1 and talks to it over real zmq sockets. Signing is
 * implemented here independently of kernel/wire.ts so a shared bug cannot hide.
 */
import { spawn, type ChildProcess } from "child_process";
import { createHmac, randomUUID } from "crypto";
import { mkdtempSync, writeFileSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";

export const ROOT = path.resolve(__dirname, "..", "..");
export const MAIN = path.join(ROOT, "dist", "kernel", "main.js");

export interface Msg {
  header: Record<string, any>;
  parent_header: Record<string, any>;
  metadata: Record<string, any>;
  content: Record<string, any>;
  buffers: Buffer[];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

type Chan = "shell" | "control" | "stdin";

export class KernelClient {
  proc!: ChildProcess;
  stderr = "";
  readonly key = randomUUID();
  readonly session = randomUUID();
  conn!: Record<string, any>;
  iopubLog: Msg[] = [];
  // A routing id, as jupyter_client and Jupyter Server set (their session id): replies reach the
  // client across a restart of the kernel process.
  private sockets: Record<Chan, zmq.Dealer> = {
    shell: new zmq.Dealer({ routingId: this.session }),
    control: new zmq.Dealer({ routingId: this.session }),
    stdin: new zmq.Dealer({ routingId: this.session }),
  };
  private iopub = new zmq.Subscriber();
  private replies = new Map<string, Msg>();
  private waiters: (() => void)[] = [];
  private closed = false;

  static async start(opts: { cwd?: string; key?: string; nodeArgs?: string[]; env?: Record<string, string> } = {}): Promise<KernelClient> {
    const c = new KernelClient();
    await c.launch(opts);
    return c;
  }

  private async launch(opts: { cwd?: string; key?: string; nodeArgs?: string[]; env?: Record<string, string> }): Promise<void> {
    const dir = mkdtempSync(path.join(os.tmpdir(), "attnlab-kernel-test-"));
    const ports = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
    this.conn = {
      transport: "tcp",
      ip: "127.0.0.1",
      shell_port: ports[0],
      iopub_port: ports[1],
      stdin_port: ports[2],
      control_port: ports[3],
      hb_port: ports[4],
      key: opts.key ?? this.key,
      signature_scheme: "hmac-sha256",
    };
    const file = path.join(dir, "kernel.json");
    writeFileSync(file, JSON.stringify(this.conn));
    this.proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN, file], { cwd: opts.cwd ?? dir, stdio: ["ignore", "pipe", "pipe"], detached: true, env: { ...process.env, ...opts.env } });
    this.proc.stderr!.on("data", (d) => (this.stderr += d.toString()));
    this.proc.stdout!.on("data", (d) => (this.stderr += d.toString()));
    const addr = (p: number) => `tcp://127.0.0.1:${p}`;
    this.sockets.shell.connect(addr(this.conn.shell_port));
    this.sockets.control.connect(addr(this.conn.control_port));
    this.sockets.stdin.connect(addr(this.conn.stdin_port));
    this.iopub.connect(addr(this.conn.iopub_port));
    this.iopub.subscribe();
    for (const ch of ["shell", "control", "stdin"] as Chan[]) void this.recvLoop(ch);
    void this.iopubLoop();
    // Like jupyter_client's wait_for_ready: kernel_info until IOPub is known to be connected.
    const deadline = Date.now() + 60000;
    while (Date.now() < deadline) {
      const id = this.send("shell", "kernel_info_request", {});
      try {
        await this.reply(id, 2000);
        await this.waitFor(() => this.iopubLog.some((m) => m.parent_header.msg_id === id), 500);
        return;
      } catch {
        if (this.proc.exitCode !== null) throw new Error(`kernel exited: ${this.stderr}`);
      }
    }
    throw new Error(`kernel did not become ready: ${this.stderr}`);
  }

  sign(frames: Buffer[], key = this.conn.key): string {
    if (!key) return "";
    const h = createHmac("sha256", key);
    for (const f of frames) h.update(f);
    return h.digest("hex");
  }

  /** Sends a request; returns its msg_id. */
  send(ch: Chan, msgType: string, content: object, opts: { buffers?: Buffer[]; metadata?: object; badSignature?: boolean } = {}): string {
    const header = { msg_id: randomUUID(), session: this.session, username: "test", date: new Date().toISOString(), msg_type: msgType, version: "5.3" };
    const json = [header, {}, opts.metadata ?? {}, content].map((o) => Buffer.from(JSON.stringify(o)));
    const sig = opts.badSignature ? "0".repeat(64) : this.sign(json);
    void this.sendRaw(ch, [Buffer.from("<IDS|MSG>"), Buffer.from(sig), ...json, ...(opts.buffers ?? [])]);
    return header.msg_id;
  }

  private sendQueues: Partial<Record<Chan, Promise<void>>> = {};
  sendRaw(ch: Chan, frames: Buffer[]): Promise<void> {
    const prev = this.sendQueues[ch] ?? Promise.resolve();
    const next = prev.then(() => this.sockets[ch].send(frames));
    this.sendQueues[ch] = next.catch(() => undefined);
    return next;
  }

  private parse(frames: Buffer[]): Msg {
    const i = frames.findIndex((f) => f.toString() === "<IDS|MSG>");
    const json = frames.slice(i + 2, i + 6);
    const expected = this.sign(json);
    if (frames[i + 1].toString() !== expected) throw new Error(`kernel sent a bad signature on ${JSON.parse(json[0].toString()).msg_type}`);
    const [header, parent_header, metadata, content] = json.map((b) => JSON.parse(b.toString()));
    return { header, parent_header, metadata, content, buffers: frames.slice(i + 6) };
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async recvLoop(ch: Chan): Promise<void> {
    try {
      for await (const frames of this.sockets[ch]) {
        const m = this.parse(frames as Buffer[]);
        this.replies.set(m.parent_header.msg_id, m);
        this.notify();
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  private async iopubLoop(): Promise<void> {
    try {
      for await (const frames of this.iopub) {
        this.iopubLog.push(this.parse(frames as Buffer[]));
        this.notify();
      }
    } catch (e) {
      if (!this.closed) throw e;
    }
  }

  waitFor<T>(get: () => T | undefined | false, timeout = 30000): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v: T | undefined | false;
        try {
          v = get();
        } catch (e) {
          clearTimeout(timer);
          reject(e);
          return;
        }
        if (v) {
          clearTimeout(timer);
          resolve(v as T);
        } else this.waiters.push(check);
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`timed out after ${timeout} ms`));
      }, timeout);
      check();
    });
  }

  reply(msgId: string, timeout = 30000): Promise<Msg> {
    return this.waitFor(() => this.replies.get(msgId), timeout);
  }

  /** IOPub messages parented to msgId, once its idle status has arrived. */
  async outputs(msgId: string, timeout = 30000): Promise<Msg[]> {
    await this.waitFor(
      () => this.iopubLog.some((m) => m.parent_header.msg_id === msgId && m.header.msg_type === "status" && m.content.execution_state === "idle"),
      timeout,
    );
    return this.iopubLog.filter((m) => m.parent_header.msg_id === msgId);
  }

  async request(ch: Chan, msgType: string, content: object, opts: { buffers?: Buffer[] } = {}): Promise<{ reply: Msg; iopub: Msg[] }> {
    const id = this.send(ch, msgType, content, opts);
    const reply = await this.reply(id);
    return { reply, iopub: await this.outputs(id) };
  }

  /** For messages without a reply (comm_*): the IOPub messages they caused. */
  async post(msgType: string, content: object, opts: { buffers?: Buffer[] } = {}): Promise<Msg[]> {
    return this.outputs(this.send("shell", msgType, content, opts));
  }

  execute(code: string, extra: object = {}, timeout = 60000): Promise<{ id: string; reply: Msg; iopub: Msg[] }> {
    const id = this.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...extra });
    return this.reply(id, timeout).then(async (reply) => ({ id, reply, iopub: await this.outputs(id, timeout) }));
  }

  /** Executes and returns the text/plain of the execute_result (throws on error). */
  async value(code: string): Promise<string> {
    const r = await this.execute(code);
    if (r.reply.content.status !== "ok") throw new Error(`${r.reply.content.ename}: ${r.reply.content.evalue}`);
    const res = r.iopub.find((m) => m.header.msg_type === "execute_result");
    return res?.content.data["text/plain"];
  }

  stream(iopub: Msg[], name = "stdout"): string {
    return iopub.filter((m) => m.header.msg_type === "stream" && m.content.name === name).map((m) => m.content.text).join("");
  }

  /** SIGINT to the kernel process only (not its group), as the strictest case. */
  interrupt(): void {
    this.proc.kill("SIGINT");
  }

  alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async heartbeat(timeout = 5000): Promise<boolean> {
    const req = new zmq.Request();
    req.receiveTimeout = timeout;
    req.connect(`tcp://127.0.0.1:${this.conn.hb_port}`);
    try {
      await req.send("ping");
      const [r] = await req.receive();
      return r.toString() === "ping";
    } finally {
      req.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.alive()) {
      const id = this.send("control", "shutdown_request", { restart: false });
      await this.reply(id, 5000).catch(() => undefined);
      await new Promise<void>((r) => {
        if (!this.alive()) return r();
        const t = setTimeout(() => {
          this.proc.kill("SIGKILL");
          r();
        }, 5000);
        this.proc.on("exit", () => {
          clearTimeout(t);
          r();
        });
      });
    }
    this.closed = true;
    for (const s of [...Object.values(this.sockets), this.iopub]) s.close();
  }
}
