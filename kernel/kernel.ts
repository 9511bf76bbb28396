/**
 * The attnlab kernel: message handlers for shell, control and stdin on top of the wire
 * layer, execution through CellExecutor, IOPub status/outputs, comms and widgets.
 */
import { randomUUID } from "crypto";
import { toMimeBundle } from "../lib/widget/display";
import { Channels, type ChannelName, type ConnectionInfo } from "./channels";
import { CommManager } from "./comms";
import { setLastExecute, withParent } from "./context";
import { allowInterruptingCallbacks, clearCellTimers, installTimerTracking, setCellTimers, type CellTimers } from "./guard";
import { CellExecutor, describeError, type CellError } from "./execute";
import { log } from "./log";
import { StreamCapture } from "./output";
import { makeHeader, PROTOCOL_VERSION, unserialisable, type Message } from "./wire";
import { kernelInfo } from "./info";
import { installTensorBudget, isBackendMemoryError, memoryReport, recoverBackend, resetEngine, tensorBudgetBytes } from "./engine";
import { setCellSignal } from "../lib/methods/progress";
import { CRASH_ENV, type CrashReport, type ToNanny } from "./nanny";
import { scheduleWarmUp } from "./warmup";

/** Tells the watcher process (nanny.ts) what runs, so a crash can be reported to that cell. */
const requestRecord = (msg: Message, count: number) => ({
  identities: msg.identities.map((b) => b.toString("base64")),
  header: msg.header as unknown as Record<string, unknown>,
  count,
});
const toNanny = (m: ToNanny) => {
  try {
    process.send?.(m);
  } catch {
    /* no watcher (ATTNLAB_KERNEL_NO_NANNY) or it is gone */
  }
};

// The kernel's own timers, taken before installTimerTracking wraps the globals for user code.
const kernelTimeout = setTimeout;
const kernelImmediate = setImmediate;
/** The real process.exit: cells get one that throws (a cell must not end the kernel). */
const realExit = process.exit.bind(process);

class ProcessExitError extends Error {
  name = "ProcessExit";
}

/** Jupyter counts cursor positions in code points, JavaScript strings in UTF-16 units. */
export function cpToIndex(s: string, cp: number): number {
  let i = 0;
  for (let n = 0; n < cp && i < s.length; n++) i += (s.codePointAt(i) ?? 0) > 0xffff ? 2 : 1;
  return i;
}
export function indexToCp(s: string, idx: number): number {
  return [...s.slice(0, idx)].length;
}

interface Running {
  msg: Message;
  done: boolean;
  finish: () => void;
  count: number;
  /** Aborted by an interrupt: methods given no signal of their own stop on it (lib/methods/progress). */
  abort: AbortController;
  /** Timers the cell created (cancelled when it is interrupted). */
  timers: CellTimers;
  /** Why the supervisor stopped the cell, when it was not the user (heap nearly exhausted). */
  stopReason?: string;
}

/** The reason an interrupt gives the cell's AbortSignal (the progress bar reads "interrupted"). */
class KernelInterrupt extends Error {
  name = "KernelInterrupt";
}

export class Kernel {
  private running: Running | undefined;
  readonly session = randomUUID();
  private channels: Channels;
  readonly comms: CommManager;
  private streams: StreamCapture;
  private executor!: CellExecutor;
  private executionCount = 0;
  private executeQueue: Promise<void> = Promise.resolve();
  /** Bumped on error with stop_on_error: execute requests queued before it are aborted. */
  private abortEpoch = 0;
  private shuttingDown = false;

  constructor(conn: ConnectionInfo) {
    this.channels = new Channels(conn, this.session);
    this.streams = new StreamCapture((name, text, parent) => this.channels.supervisor.stream(name, text, (parent?.header ?? {}) as Record<string, unknown>));
    this.comms = new CommManager((t, c, p, extra) => this.sendIOPub(t, c, p, extra));
  }

  async start(): Promise<void> {
    await this.channels.bind();
    this.publish("status", { execution_state: "starting" }, undefined);
    this.streams.install();
    this.connectTslabDisplay();
    try {
      installTensorBudget(tensorBudgetBytes());
    } catch (e) {
      log(`${(e as Error).message}: the default tensor budget is used`);
      installTensorBudget(tensorBudgetBytes({}));
    }
    this.executor = new CellExecutor(process.cwd());
    this.executor.critical = (fn) => this.channels.supervisor.critical(fn);
    setCellSignal(() => this.running?.abort.signal);
    this.installProcessHandlers();
    void this.channels.listen("shell", (m) => this.onMessage("shell", m));
    void this.channels.listen("control", (m) => this.onMessage("control", m));
    void this.channels.listen("stdin", (m) => log(`unexpected ${m.header.msg_type} on stdin ignored`));
    this.publish("status", { execution_state: "idle" }, undefined);
    scheduleWarmUp({ executor: this.executor, busy: () => this.running !== undefined && !this.running.done, timer: kernelTimeout }, 500);
    // The watcher's IPC channel closes when it goes (killed by the server): go with it.
    if (process.send) process.on("disconnect", () => realExit(1));
    toNanny({ kind: "ready" });
    const crash = process.env[CRASH_ENV];
    delete process.env[CRASH_ENV];
    if (crash) this.reportCrash(JSON.parse(crash) as CrashReport);
  }

  /**
   * After the previous kernel process died: the cell it was running gets its error and reply
   * (JupyterLab shows the error in that cell), naming the cause and what was lost. Sent after a
   * second, once clients' IOPub subscriptions have reconnected to the new socket (a PUB socket
   * drops what it sends before then); the shell reply reaches clients that set a routing id,
   * as jupyter_client and Jupyter Server do (their session id).
   */
  private reportCrash(crash: CrashReport): void {
    const lost = crash.names.length ? ` These variables are gone: ${crash.names.join(", ")}.` : "";
    const what =
      `The kernel process died ${crash.running ? "while running this cell" : "after this cell (in a timer or callback it started)"}: ${crash.cause}. ` +
      `A new kernel was started: every variable is lost, run the cells you need again.${lost}` +
      (/JavaScript heap/.test(crash.cause) ? " Keep fewer large arrays or strings in JavaScript (tensors live outside this heap), or raise --max-old-space-size in the kernelspec." : "") +
      (/tensor backend|OOM killer/.test(crash.cause) ? " Free tensors with dispose() or tf.tidy(); the kernel's tensor budget (ATTNLAB_TENSOR_BUDGET_MB) stops a cell before this." : "");
    log(`reporting the previous kernel's death: ${crash.cause}`);
    const req = crash.request;
    if (req) this.executionCount = Math.max(this.executionCount, req.count);
    kernelTimeout(() => {
      if (!req) return;
      const msg = { identities: req.identities.map((b) => Buffer.from(b, "base64")), header: req.header, parent_header: {}, metadata: {}, content: {} } as unknown as Message;
      const error = { ename: "KernelDied", evalue: what, traceback: [`KernelDied: ${what}`] };
      if (!crash.running) this.channels.supervisor.stream("stderr", `KernelDied: ${what}\n`, req.header);
      else {
        this.publish("status", { execution_state: "busy" }, msg);
        this.publish("error", error, msg);
        this.reply("shell", msg, "execute_reply", { status: "error", execution_count: req.count, ...error });
        this.publish("status", { execution_state: "idle" }, msg);
      }
      // Requests that were waiting behind it are aborted, as after a failed cell.
      for (const q of crash.queued ?? []) {
        const qm = { identities: q.identities.map((b) => Buffer.from(b, "base64")), header: q.header, parent_header: {}, metadata: {}, content: {} } as unknown as Message;
        this.abortExecute(qm);
      }
    }, 1000);
  }

  /** `import * as tslab from "tslab"; tslab.display.html(...)` keeps working in attnlab cells. */
  private connectTslabDisplay(): void {
    try {
      const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData?: unknown };
      jupyter.lastWriteDisplayData = (data: { data: Record<string, unknown>; metadata?: Record<string, unknown>; transient?: { display_id?: string } }, update: boolean) =>
        this.comms.display(data.data, { metadata: data.metadata as never, displayId: data.transient?.display_id, update });
    } catch (e) {
      log(`tslab display bridge unavailable: ${(e as Error).message}`);
    }
  }

  private sendIOPub(
    msgType: string,
    content: Record<string, unknown>,
    parent: Message | undefined,
    extra: { metadata?: Record<string, unknown>; buffers?: ArrayBufferView[] } = {},
  ): void {
    if (msgType !== "stream" && msgType !== "status") {
      // A display or comm message that cannot be JSON would be dropped by the wire layer: say so in the cell.
      const bad = unserialisable(content, "content") ?? unserialisable(extra.metadata ?? {}, "metadata");
      if (bad) {
        log(`${msgType} not sent: ${bad}`);
        this.channels.supervisor.stream("stderr", `Cannot show this output (${msgType}): ${bad}.\n`, (parent?.header ?? {}) as Record<string, unknown>);
        return;
      }
    }
    void this.channels.send("iopub", {
      identities: [Buffer.from(`kernel.${this.session}.${msgType}`)],
      header: makeHeader(msgType, this.session),
      parent_header: parent?.header ?? {},
      metadata: extra.metadata ?? {},
      content,
      buffers: extra.buffers,
    });
  }

  publish(msgType: string, content: Record<string, unknown>, parent: Message | undefined): void {
    this.sendIOPub(msgType, content, parent);
  }

  private reply(channel: ChannelName, req: Message, msgType: string, content: Record<string, unknown>): void {
    void this.channels.send(channel, {
      identities: req.identities,
      header: makeHeader(msgType, this.session),
      parent_header: req.header,
      metadata: {},
      content,
    });
  }

  private onMessage(channel: "shell" | "control", msg: Message): void {
    const type = msg.header.msg_type;
    if (type === "execute_request" && channel === "shell") {
      this.enqueueExecute(msg);
      return;
    }
    this.publish("status", { execution_state: "busy" }, msg);
    try {
      withParent(msg, () => this.handle(channel, msg));
    } catch (e) {
      log(`${type} failed: ${(e as Error).stack}`);
      const replyType = type.replace(/_request$/, "_reply");
      if (replyType !== type) this.reply(channel, msg, replyType, { status: "error", ...describeError(e) });
    }
    if (!this.shuttingDown) this.publish("status", { execution_state: "idle" }, msg);
  }

  private handle(channel: "shell" | "control", msg: Message): void {
    const c = msg.content;
    switch (msg.header.msg_type) {
      case "kernel_info_request":
        this.reply(channel, msg, "kernel_info_reply", kernelInfo());
        setImmediate(() => this.executor.warmUp());
        return;
      case "is_complete_request":
        return this.reply(channel, msg, "is_complete_reply", this.executor.isComplete(String(c.code ?? "")));
      case "complete_request": {
        const code = String(c.code ?? "");
        const r = this.executor.complete(code, cpToIndex(code, Number(c.cursor_pos ?? code.length)));
        return this.reply(channel, msg, "complete_reply", {
          status: "ok",
          matches: r.matches,
          cursor_start: indexToCp(code, r.cursor_start),
          cursor_end: indexToCp(code, r.cursor_end),
          metadata: {},
        });
      }
      case "inspect_request": {
        const code = String(c.code ?? "");
        const text = this.executor.inspect(code, cpToIndex(code, Number(c.cursor_pos ?? code.length)));
        return this.reply(channel, msg, "inspect_reply", {
          status: "ok",
          found: !!text,
          data: text ? { "text/plain": text } : {},
          metadata: {},
        });
      }
      case "history_request":
        return this.reply(channel, msg, "history_reply", { status: "ok", history: [] });
      case "comm_info_request":
        return this.reply(channel, msg, "comm_info_reply", {
          status: "ok",
          comms: this.comms.info(typeof c.target_name === "string" ? c.target_name : undefined),
        });
      case "comm_open":
        return this.comms.handleOpen(msg);
      case "comm_msg":
        return this.comms.handleMsg(msg);
      case "comm_close":
        return this.comms.handleClose(msg);
      case "interrupt_request":
        // On control the supervisor thread has already acted on it (it reads control while the
        // main thread is busy); elsewhere ask it to, so both routes stop the cell the same way.
        if (channel !== "control") this.channels.supervisor.interrupt();
        return this.reply(channel, msg, "interrupt_reply", { status: "ok" });
      case "shutdown_request":
        return this.shutdown(channel, msg);
      default:
        log(`unsupported message type ${msg.header.msg_type} on ${channel} ignored`);
    }
  }

  private shutdown(channel: ChannelName, msg: Message): void {
    const restart = !!msg.content.restart;
    this.reply(channel, msg, "shutdown_reply", { status: "ok", restart });
    this.publish("shutdown_reply", { status: "ok", restart }, msg);
    this.publish("status", { execution_state: "idle" }, msg);
    this.shuttingDown = true;
    setTimeout(() => {
      void this.channels.close().finally(() => {
        this.executor.close();
        realExit(0);
      });
    }, 50);
  }

  private enqueueExecute(msg: Message): void {
    const epoch = this.abortEpoch;
    toNanny({ kind: "queued", request: requestRecord(msg, 0) });
    this.executeQueue = this.executeQueue.then(() => {
      if (epoch !== this.abortEpoch) return this.abortExecute(msg);
      return new Promise<void>((resolve) => {
        const run: Running = { msg, done: false, finish: resolve, count: 0, abort: new AbortController(), timers: new Set() };
        this.running = run;
        this.beginExecute(run);
        // From a macrotask, after busy and execute_input have been handed to the supervisor.
        kernelImmediate(() => {
          this.execute(run).catch((e) => log(`execute failed: ${(e as Error).stack}`));
        });
      });
    });
  }

  /**
   * When the supervisor stopped the main thread's JavaScript, the kernel's own frames of a
   * synchronous cell (execute, tslab's executor) were cut with it: nothing else will answer.
   * An awaiting cell answers by itself at once (its await is rejected). Either way, the client
   * gets its reply shortly after the interrupt, with the cell's declarations kept.
   */
  private checkInterrupted(): void {
    const run = this.running;
    if (!run || run.done) return;
    kernelTimeout(() => {
      if (run.done) return;
      log("cell did not finish after an interrupt: replying for it");
      this.executor.abandon();
      this.finish(run, { ename: "Interrupted", evalue: "Execution interrupted", traceback: ["Interrupted: execution interrupted; variables are kept"] }, run.count);
    }, 150).unref();
  }

  /** An interrupt (SIGINT or interrupt_request, through the supervisor): stops what the running cell waits for. */
  private interruptRunning(why: string): void {
    log(`interrupt (${why})`);
    this.executor.interrupt();
    const run = this.running;
    if (run && !run.done && why.startsWith("heap")) run.stopReason = why;
    if (run && !run.done && !run.abort.signal.aborted) run.abort.abort(new KernelInterrupt(`interrupted (${why})`));
    if (run) clearCellTimers(run.timers);
    this.checkInterrupted();
  }

  private finish(run: Running, error: CellError | undefined, count: number): void {
    if (run.done) return;
    run.done = true;
    setCellTimers(undefined);
    if (error && run.stopReason && error.ename === "Interrupted") {
      const what = `${run.stopReason.replace(/^heap: /, "")}: the cell was stopped before the kernel ran out of memory. Variables holding large arrays or strings keep it near the limit: set them to undefined, or restart the kernel.`;
      error = { ename: "HeapLimit", evalue: what, traceback: [`HeapLimit: ${what}`] };
    }
    if (error) {
      // A throw or an interrupt inside a tidy or a gradient leaves tfjs' engine open.
      const fixed = resetEngine();
      if (fixed) log(`after a failed cell the tensor engine had ${fixed}: closed`);
      // Async work of the cell that was not awaited to the end stops at its next check.
      if (!run.abort.signal.aborted) run.abort.abort(new KernelInterrupt("the cell failed"));
    }
    const msg = run.msg;
    const c = msg.content;
    if (error) {
      const { ename, evalue, traceback } = error;
      if (!c.silent) this.publish("error", { ename, evalue, traceback }, msg);
      this.reply("shell", msg, "execute_reply", { status: "error", execution_count: count, ename, evalue, traceback });
      if (c.stop_on_error !== false) this.abortEpoch++;
    } else {
      this.reply("shell", msg, "execute_reply", { status: "ok", execution_count: count, user_expressions: {}, payload: [] });
    }
    this.publish("status", { execution_state: "idle" }, msg);
    toNanny({ kind: "idle", id: msg.header.msg_id, names: Object.keys(this.executor.locals) });
    run.finish();
  }

  private abortExecute(msg: Message): void {
    toNanny({ kind: "aborted", id: msg.header.msg_id });
    this.publish("status", { execution_state: "busy" }, msg);
    this.reply("shell", msg, "execute_reply", { status: "aborted", execution_count: this.executionCount });
    this.publish("status", { execution_state: "idle" }, msg);
  }

  /** busy and execute_input go out before the cell can block the thread. */
  private beginExecute(run: Running): void {
    const msg = run.msg;
    const c = msg.content;
    const silent = !!c.silent;
    const storeHistory = c.store_history === undefined ? !silent : !!c.store_history && !silent;
    setLastExecute(msg);
    this.publish("status", { execution_state: "busy" }, msg);
    if (storeHistory) this.executionCount++;
    setCellTimers(run.timers);
    run.count = this.executionCount;
    if (!silent) this.publish("execute_input", { code: String(c.code ?? ""), execution_count: run.count }, msg);
    toNanny({ kind: "running", request: requestRecord(msg, run.count) });
  }

  private async execute(run: Running): Promise<void> {
    const msg = run.msg;
    const silent = !!msg.content.silent;
    let error: CellError | undefined;
    try {
      const outcome = await this.executor.execute(String(msg.content.code ?? ""), `cell [${run.count}]`);
      if (!outcome.ok) error = outcome;
      else if (outcome.hasValue && !silent) {
        const data = toMimeBundle(outcome.value);
        const bad = data && unserialisable(data, "data");
        const type = outcome.value === null ? "null" : typeof outcome.value === "object" ? (outcome.value as object).constructor?.name ?? "Object" : typeof outcome.value;
        if (bad) error = { ename: "DisplayError", evalue: `cannot show the cell's value (a ${type}): ${bad}`, traceback: [`DisplayError: cannot show the cell's value (a ${type}): ${bad}`] };
        else if (data) this.publish("execute_result", { execution_count: run.count, data, metadata: {} }, msg);
      }
    } catch (e) {
      error = describeError(e);
    }
    if (error && error.ename !== "Interrupted" && isBackendMemoryError(`${error.ename}: ${error.evalue}`)) {
      error = memoryError(error);
      const recovered = await recoverBackend(this.executor.locals).catch((e) => `Recovering the backend failed: ${(e as Error).message}`);
      if (recovered) error = { ...error, evalue: `${error.evalue}\n${recovered}`, traceback: [...error.traceback.slice(0, 1), recovered, ...error.traceback.slice(1)] };
    }
    this.finish(run, error, run.count);
  }

  private installProcessHandlers(): void {
    allowInterruptingCallbacks();
    installTimerTracking();
    process.exit = ((code?: number | string) => {
      throw new ProcessExitError(
        `process.exit(${code ?? ""}) was called in a cell: the kernel keeps running and keeps your variables (restart it from the Kernel menu to start afresh)`,
      );
    }) as typeof process.exit;
    // The supervisor thread receives SIGINT and interrupt_request even while this thread is busy.
    this.channels.supervisor.listenInterrupt((why) => this.interruptRunning(why));
    this.channels.supervisor.listenStopped(() => {
      const run = this.running;
      if (!run || run.done) process.stderr.write("Interrupted (code running after its cell had finished: a timer or a callback); the kernel keeps its state.\n");
    });
    // SIGINT is the supervisor's; this listener only keeps Node from exiting on it.
    process.on("SIGINT", () => undefined);
    let reporting = false;
    const report = (kind: string) => (err: unknown) => {
      if (reporting) return; // an error while reporting an error must not loop
      reporting = true;
      try {
        this.reportAsync(kind, err);
      } finally {
        reporting = false;
      }
    };
    process.on("uncaughtException", report("Uncaught exception"));
    process.on("unhandledRejection", report("Unhandled promise rejection"));
    // Exit with the process that started us (Jupyter server, test runner), like ipykernel.
    const ppid = process.ppid;
    setInterval(() => {
      if (process.ppid !== ppid) {
        log(`parent ${ppid} is gone: exiting`);
        realExit(1);
      }
    }, 1000).unref();
  }

  private reportAsync(kind: string, err: unknown): void {
    {
      log(`${kind}: ${(err as Error)?.stack ?? err}`);
      const { ename, evalue, traceback } = describeError(err);
      process.stderr.write(`${kind} (the kernel keeps running): ${traceback.join("\n") || `${ename}: ${evalue}`}\n`);
    }
  }
}

/** A backend memory error, said as such: what to do and what holds memory now. */
function memoryError(error: CellError): CellError {
  const report = memoryReport();
  const advice =
    (error.ename === "TensorMemoryBudget" || /tensor memory budget/.test(error.evalue)
      ? "The cell's tensors reached the kernel's tensor memory budget: it was stopped before the backend runs out of memory (your variables and the backend are kept). "
      : "The tensor backend ran out of memory. ") +
    "Free tensors you no longer need with `t.dispose()` (or `model.dispose()`), " +
    "wrap tensor work in `tf.tidy(() => ...)` so intermediates are freed, and check `tf.memory()` for what is still held" +
    (report ? ` (now: ${report})` : "") + ".";
  return { ename: "BackendOutOfMemory", evalue: `${advice}\nOriginal error: ${error.ename}: ${error.evalue}`, traceback: [`BackendOutOfMemory: ${advice}`, ...error.traceback] };
}

export { PROTOCOL_VERSION };
