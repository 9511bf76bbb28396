/**
 * Kernel start-up: time from launch to the first kernel_info_reply, to the first trivial
 * cell, and (attnlab only) to a first cell that imports attnlab and loads the tutorials' model
 * (SmolLM2-135M, from its Python package in the venv) with loadModel. Peer: tslab's own kernel (`tslab kernel`), launched the same way in the
 * same run. Prints JSON. Usage: node dist/bench/kernel_startup.js [--reps N] [--think MS]
 *   --think MS  waits MS after the first kernel_info_reply before the first cell (a user reading the
 *               notebook); attnlab is then also launched with ATTNLAB_KERNEL_WARMUP=0 in the same run,
 *               so the background warm-up (kernel/warmup.ts) is compared with none. Times still count
 *               from launch; the think time is part of them.
 */
import { spawn, type ChildProcess } from "child_process";
import { randomUUID } from "crypto";
import { mkdtempSync, writeFileSync } from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as zmq from "zeromq";
import { decode, encode, makeHeader, Signer } from "../kernel/wire";

const ROOT = path.resolve(__dirname, "..", "..");
const MODEL_CELL = `import { loadModel } from "attnlab";
const model = await loadModel("smollm2-135m");
"ok"`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

interface Run {
  kernel_info_ms: number;
  first_cell_ms: number;
  model_cell_ms?: number;
}

const THINK_AT = process.argv.indexOf("--think");
const THINK_MS = THINK_AT >= 0 ? Number(process.argv[THINK_AT + 1]) : 0;

async function measure(kind: "attnlab" | "tslab", withModel: boolean, env: Record<string, string> = {}): Promise<Run> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "attnlab-bench-"));
  const ports = await Promise.all([0, 1, 2, 3, 4].map(freePort));
  const key = randomUUID();
  const conn = { transport: "tcp", ip: "127.0.0.1", shell_port: ports[0], iopub_port: ports[1], stdin_port: ports[2], control_port: ports[3], hb_port: ports[4], key, signature_scheme: "hmac-sha256" };
  const file = path.join(dir, "conn.json");
  writeFileSync(file, JSON.stringify(conn));
  const signer = new Signer(key);
  const shell = new zmq.Dealer();
  shell.connect(`tcp://127.0.0.1:${conn.shell_port}`);
  const session = randomUUID();
  const request = async (type: string, content: object) => {
    const header = makeHeader(type, session);
    await shell.send(encode({ identities: [], header, parent_header: {}, metadata: {}, content }, signer));
    for (;;) {
      const msg = decode((await shell.receive()) as Buffer[], signer);
      if (msg.parent_header.msg_id === header.msg_id) return msg;
    }
  };
  const t0 = performance.now();
  // Both run with the notebook directory outside the project (attnlab) / at its root (tslab, which has no attnlab resolution).
  const child: ChildProcess =
    kind === "attnlab"
      ? spawn(process.execPath, [path.join(ROOT, "dist", "kernel", "main.js"), file], { cwd: dir, stdio: process.env.BENCH_DEBUG ? "inherit" : "ignore", env: { ...process.env, ...env } })
      : spawn(process.execPath, [path.join(ROOT, "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", file], { cwd: ROOT, stdio: "ignore" });
  child.on("exit", (code, sig) => {
    if (process.env.BENCH_DEBUG) console.error(kind, "kernel exited", code, sig);
  });
  try {
    await request("kernel_info_request", {});
    if (process.env.BENCH_DEBUG) console.error(kind, "kernel_info ok");
    const kernelInfo = performance.now() - t0;
    if (THINK_MS > 0) await new Promise((r) => setTimeout(r, THINK_MS));
    const exec = async (code: string) => {
      const r = await request("execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false });
      if (r.content.status !== "ok") throw new Error(`${kind}: cell failed: ${r.content.ename}: ${r.content.evalue}`);
    };
    await exec("1 + 1");
    if (process.env.BENCH_DEBUG) console.error(kind, "first cell ok");
    const first = performance.now() - t0;
    const run: Run = { kernel_info_ms: kernelInfo, first_cell_ms: first };
    if (withModel) {
      if (process.env.BENCH_DEBUG) console.error(kind, "model cell start");
      await exec(MODEL_CELL);
      run.model_cell_ms = performance.now() - t0;
    }
    return run;
  } finally {
    child.kill("SIGKILL");
    shell.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const i = process.argv.indexOf("--reps");
  const reps = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const runs: Record<string, Run[]> = { attnlab: [], tslab: [], attnlab_no_warmup: [] };
  for (let r = 0; r < reps; r++) {
    runs.attnlab.push(await measure("attnlab", true));
    if (THINK_MS > 0) runs.attnlab_no_warmup.push(await measure("attnlab", true, { ATTNLAB_KERNEL_WARMUP: "0" }));
    runs.tslab.push(await measure("tslab", false));
  }
  const opt = (rs: Run[], k: keyof Run) => (rs[0][k] === undefined ? undefined : median(rs.map((r) => r[k]!)));
  const summary = (rs: Run[]) =>
    rs.length === 0
      ? undefined
      : {
          kernel_info_ms: median(rs.map((r) => r.kernel_info_ms)),
          first_cell_ms: median(rs.map((r) => r.first_cell_ms)),
          model_cell_ms: opt(rs, "model_cell_ms"),
        };
  console.log(JSON.stringify({
    reps, think_ms: THINK_MS, model_cell: MODEL_CELL,
    attnlab: summary(runs.attnlab), attnlab_no_warmup: summary(runs.attnlab_no_warmup), tslab: summary(runs.tslab), all: runs,
  }));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
