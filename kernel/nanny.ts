/**
 * The process the Jupyter server starts: a small watcher that runs the kernel as its child and,
 * when the child dies (JavaScript heap exhausted, a native abort in the tensor backend, killed by
 * the system's OOM killer), starts a new kernel that tells the client why. ipykernel leaves this
 * to the Jupyter server's restarter, which only says "the kernel appears to have died"; here the
 * cell that was running gets an error naming the cause and the variables that were lost.
 *
 * A watcher process rather than a worker thread: V8 ends the whole process on some heap
 * exhaustions even inside a worker with resourceLimits (a single large allocation fails with
 * CALL_AND_RETRY_LAST, measured on Node 20), and a native abort or SIGKILL takes every thread.
 *
 * The child is in its own process group: signals go to the watcher (Jupyter sends SIGINT to the
 * group it started) and are passed on once. The child exits when the watcher's IPC channel closes.
 */
import { fork, type ChildProcess } from "child_process";
import * as v8 from "v8";

/** Set in the child's environment: run the kernel itself. */
export const CHILD_ENV = "ATTNLAB_KERNEL_CHILD";
/** Set in a restarted child's environment: a CrashReport as JSON. */
export const CRASH_ENV = "ATTNLAB_KERNEL_CRASH";

/** What the child tells the watcher over IPC. */
export type ToNanny =
  | { kind: "ready" }
  | { kind: "queued"; request: CrashedRequest }
  | { kind: "running"; request: CrashedRequest }
  | { kind: "idle"; id: string; names: string[] }
  | { kind: "aborted"; id: string };

export interface CrashedRequest {
  /** zmq identities of the execute_request, base64. */
  identities: string[];
  header: Record<string, unknown>;
  count: number;
}

export interface CrashReport {
  /** "the JavaScript heap ran out of memory (limit 448 MB)" and the like. */
  cause: string;
  /** The execute_request that was running, if any; else the last one (for where to say it). */
  request?: CrashedRequest;
  running: boolean;
  /** execute_requests received after it, not yet run: they are answered "aborted" (as after an error). */
  queued: CrashedRequest[];
  /** Names the session had defined (all lost). */
  names: string[];
}

/** The heap limit Node runs with, in MB (what --max-old-space-size gave, plus the young generation). */
function heapLimitText(): string {
  const flag = process.execArgv.map((a) => /^--max-old-space-size=(\d+)/.exec(a)).find(Boolean);
  const mb = flag ? Number(flag[1]) : Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  return `${mb} MB`;
}

const TF_NOTICE = /^I\d{4} \d\d:\d\d:\d\d|^WARNING: All log messages before absl::InitializeLog\(\) is called/;

/** Why the child died, from its exit and the last lines it wrote to stderr. */
export function describeDeath(code: number | null, signal: NodeJS.Signals | null, tail: string): string {
  if (/JavaScript heap out of memory|Allocation failed|Ineffective mark-compacts near heap limit/.test(tail))
    return `the JavaScript heap ran out of memory (limit ${heapLimitText()}, the kernelspec's --max-old-space-size)`;
  if (/std::bad_alloc|Cannot allocate memory|OOM when allocating|failed to allocate/i.test(tail))
    return `the tensor backend could not allocate memory (the native allocator failed${signal ? `, ${signal}` : ""})`;
  if (signal === "SIGKILL") return "it was killed (SIGKILL), most likely by the system running out of memory (the OOM killer)";
  // Native stack frames and TensorFlow's start-up notices (absl's "I0000 … oneDNN custom operations
  // are on", printed whatever TF_CPP_MIN_LOG_LEVEL says) are not a cause.
  const last = tail.trim().split("\n").filter((l) => l.trim() && !/^\s*\d+: 0x/.test(l) && !TF_NOTICE.test(l)).slice(-1)[0];
  const how = signal ? `it ended on ${signal}` : `it exited with code ${code}`;
  return last ? `${how} (last message: ${last.trim().slice(0, 300)})` : how;
}

/** Runs the kernel as a child process, restarting it after a crash. Never returns. */
export function runNanny(main: string, args: string[]): void {
  let child: ChildProcess | undefined;
  let running: CrashedRequest | undefined;
  let last: CrashedRequest | undefined;
  let queued: CrashedRequest[] = [];
  let names: string[] = [];
  let tail = "";
  let ready = false;
  let stopping = false;
  let crashes: number[] = [];

  const start = (crash?: CrashReport) => {
    running = undefined;
    ready = false;
    tail = "";
    const env: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: "1" };
    if (crash) env[CRASH_ENV] = JSON.stringify(crash);
    else delete env[CRASH_ENV];
    const c = fork(main, args, { execArgv: process.execArgv, env, stdio: ["ignore", "inherit", "pipe", "ipc"], detached: true });
    child = c;
    c.stderr!.on("data", (d: Buffer) => {
      process.stderr.write(d);
      tail = (tail + d.toString()).slice(-8192);
    });
    c.on("message", (m: ToNanny) => {
      if (m.kind === "ready") ready = true;
      else if (m.kind === "queued") queued.push(m.request);
      else if (m.kind === "running") {
        running = last = m.request;
        queued = queued.filter((q) => q.header.msg_id !== m.request.header.msg_id);
      } else if (m.kind === "idle") {
        running = undefined;
        names = m.names;
      } else if (m.kind === "aborted") queued = queued.filter((q) => q.header.msg_id !== m.id);
    });
    c.on("exit", (code, signal) => {
      if (c !== child) return;
      if (stopping || code === 0) process.exit(code ?? 0);
      if (!ready) {
        process.stderr.write(`[attnlab kernel] the kernel process ended before it was ready (${signal ?? `code ${code}`})\n`);
        process.exit(code || 1);
      }
      const cause = describeDeath(code, signal, tail);
      process.stderr.write(`[attnlab kernel] the kernel process died: ${cause}; starting it again\n`);
      const now = Date.now();
      crashes = [...crashes.filter((t) => now - t < 60000), now];
      if (crashes.length > 5) {
        process.stderr.write("[attnlab kernel] more than 5 crashes in a minute: giving up\n");
        process.exit(1);
      }
      start({ cause, request: running ?? last, running: !!running, queued, names });
      names = [];
      queued = [];
    });
  };

  // Jupyter's interrupt (SIGINT to the group it started, which the child is not in) goes on to the kernel.
  process.on("SIGINT", () => child?.kill("SIGINT"));
  for (const sig of ["SIGTERM", "SIGHUP"] as const)
    process.on(sig, () => {
      stopping = true;
      child?.kill(sig);
      setTimeout(() => process.exit(1), 3000).unref();
    });
  // The child is in its own group: when this process goes, it goes too (it also exits on IPC disconnect).
  process.on("exit", () => {
    try {
      child?.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  });
  // Exit with the process that started us (Jupyter server, test runner), like ipykernel.
  const ppid = process.ppid;
  setInterval(() => {
    if (process.ppid !== ppid) {
      process.stderr.write(`[attnlab kernel] parent ${ppid} is gone: exiting\n`);
      stopping = true;
      process.exit(1);
    }
  }, 1000).unref();
  start();
}
