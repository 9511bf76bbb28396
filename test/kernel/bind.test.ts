/**
 * Channels.bind (kernel/bind.ts): a kernel told to use a port another socket holds. Real
 * processes (dist/kernel/main.js with its watcher, as the kernelspec starts it) and real zmq
 * sockets: it must exit at once with code 1 and one line naming the channel and address, without
 * a native abort, leaving no process and no bound port; a start on other ports (what the Jupyter
 * server's restarter does) or on ipc sockets (the classroom's transport) then answers kernel_info.
 */
import { spawn } from "child_process";
import { createHmac, randomUUID } from "crypto";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { freePort, MAIN } from "./harness";

type Conn = Record<string, string | number>;
const CHANNELS = { shell: "shell_port", iopub: "iopub_port", stdin: "stdin_port", control: "control_port", heartbeat: "hb_port" } as const;

async function tcpConn(): Promise<Conn> {
  const [shell_port, iopub_port, stdin_port, control_port, hb_port] = await Promise.all([0, 1, 2, 3, 4].map(() => freePort()));
  return { transport: "tcp", ip: "127.0.0.1", shell_port, iopub_port, stdin_port, control_port, hb_port, key: randomUUID(), signature_scheme: "hmac-sha256" };
}

function addr(c: Conn, port: number | string): string {
  return c.transport === "ipc" ? `ipc://${c.ip}-${port}` : `tcp://${c.ip}:${port}`;
}

/** Starts the kernel as the kernelspec does; resolves with its exit (or undefined while it runs). */
function launch(conn: Conn) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "attnlab-bind-test-"));
  const file = path.join(dir, "kernel.json");
  writeFileSync(file, JSON.stringify(conn));
  const proc = spawn(process.execPath, [MAIN, file], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stderr = "";
  proc.stderr!.on("data", (d) => (stderr += d.toString()));
  proc.stdout!.on("data", (d) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  return { proc, file, exit, stderr: () => stderr };
}

/** Processes whose command line names this connection file (the watcher and its kernel child). */
function processesWith(file: string): number[] {
  const pids: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(file)) pids.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** kernel_info over the shell channel, signed with the connection's key (independent of kernel/wire.ts). */
async function kernelInfo(conn: Conn, timeoutMs = 90000): Promise<Record<string, unknown>> {
  const shell = new zmq.Dealer({ routingId: randomUUID() });
  shell.receiveTimeout = 2000;
  shell.connect(addr(conn, conn.shell_port));
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const header = JSON.stringify({ msg_id: randomUUID(), session: randomUUID(), username: "test", date: new Date().toISOString(), msg_type: "kernel_info_request", version: "5.3" });
      const parts = [header, "{}", "{}", "{}"];
      const hmac = createHmac("sha256", String(conn.key));
      for (const p of parts) hmac.update(p);
      await shell.send(["<IDS|MSG>", hmac.digest("hex"), ...parts]);
      try {
        const frames = (await shell.receive()).map((f) => f.toString());
        const i = frames.indexOf("<IDS|MSG>");
        return JSON.parse(frames[i + 5]) as Record<string, unknown>;
      } catch {
        /* not up yet: ask again */
      }
    }
    throw new Error("no kernel_info_reply");
  } finally {
    shell.linger = 0;
    shell.close();
  }
}

describe("Channels.bind", () => {
  test.each(["control", "heartbeat", "shell"] as const)(
    "a kernel whose %s port is taken exits with code 1 and one line naming it, leaving no process and no port",
    async (channel) => {
      const conn = await tcpConn();
      const holder = new zmq.Router();
      await holder.bind(addr(conn, conn[CHANNELS[channel]]));
      try {
        const k = launch(conn);
        const started = Date.now();
        const { code, signal } = await k.exit;
        // Promptly: node's start plus the short retry of a port in use (3 x 300 ms).
        expect(Date.now() - started).toBeLessThan(60000);
        expect({ code, signal }).toEqual({ code: 1, signal: null });
        const err = k.stderr();
        expect(err).toContain(`[attnlab kernel] failed to start: cannot bind the ${channel} channel to ${addr(conn, conn[CHANNELS[channel]])}: Address already in use\n`);
        expect(err).not.toMatch(/terminate called|Napi::Error|SIGABRT|\n\s+at /);
        // Neither the watcher nor its kernel child is left.
        await new Promise((r) => setTimeout(r, 300));
        expect(processesWith(k.file)).toEqual([]);
        // Every other port is free again: binding each one works.
        for (const [name, key] of Object.entries(CHANNELS)) {
          if (name === channel) continue;
          const s = new zmq.Router();
          await s.bind(addr(conn, conn[key]));
          s.close();
        }
      } finally {
        holder.close();
      }
    },
    90000,
  );

  test("after a failed start, a start on new ports (the server's restart) answers kernel_info while the old port is still taken", async () => {
    const conn = await tcpConn();
    const holder = new zmq.Router();
    await holder.bind(addr(conn, conn.iopub_port));
    try {
      const failed = launch(conn);
      expect((await failed.exit).code).toBe(1);
      expect(failed.stderr()).toContain("cannot bind the iopub channel");
      const again = { ...(await tcpConn()), key: conn.key };
      const k = launch(again);
      try {
        const info = await kernelInfo(again);
        expect(info.implementation).toBe("attnlab");
      } finally {
        k.proc.kill("SIGTERM");
        await k.exit;
      }
    } finally {
      holder.close();
    }
  }, 150000);

  test("a kernel on the ipc transport (the classroom's) binds its five sockets as files and answers kernel_info", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "attnlab-ipc-"));
    const ip = path.join(dir, `kernel-${randomUUID()}-ipc`);
    const conn: Conn = { transport: "ipc", ip, shell_port: 1, iopub_port: 2, stdin_port: 3, control_port: 4, hb_port: 5, key: randomUUID(), signature_scheme: "hmac-sha256" };
    const k = launch(conn);
    try {
      const info = await kernelInfo(conn);
      expect(info.implementation).toBe("attnlab");
      expect(readdirSync(dir).sort()).toEqual([1, 2, 3, 4, 5].map((n) => `${path.basename(ip)}-${n}`).sort());
    } finally {
      k.proc.kill("SIGTERM");
      await k.exit;
    }
  }, 150000);
});
