/**
 * Interrupting user code that is not in the cell's synchronous body. tslab's executor
 * runs the cell with vm's breakOnSigint, which only covers that first synchronous run.
 * Timer callbacks and promise continuations (code after an `await`) would otherwise
 * spin forever. guard() runs a callback, then drains the microtask queue, inside a vm
 * script with breakOnSigint: a SIGINT meanwhile terminates just that run.
 * Not covered: busy loops in callbacks of other I/O (fs, sockets) that resume after an
 * await on such I/O outside a guarded timer.
 */
import * as vm from "vm";

const runner = new vm.Script("globalThis[Symbol.for('attnlab.guarded')]()", { filename: "attnlab-guard" });
const SLOT = Symbol.for("attnlab.guarded");
const tick = (process as unknown as { _tickCallback: () => void })._tickCallback;

let depth = 0;
let onInterrupt: (where: string) => void = () => undefined;

export function isInterruption(e: unknown): boolean {
  return (e as { code?: string })?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

/** Runs fn (and the microtasks it queues) so that SIGINT can stop it; returns fn's value. */
export function guard<T>(where: string, fn: () => T): T | undefined {
  if (depth > 0) return fn();
  depth++;
  let out: T | undefined;
  (globalThis as unknown as Record<symbol, () => void>)[SLOT] = () => {
    try {
      out = fn();
    } finally {
      tick();
    }
  };
  try {
    runner.runInThisContext({ breakOnSigint: true });
    return out;
  } catch (e) {
    if (isInterruption(e)) {
      onInterrupt(where);
      return undefined;
    }
    throw e;
  } finally {
    depth--;
  }
}

type TimerFn = (cb: (...a: unknown[]) => void, ...rest: unknown[]) => unknown;

/** Wraps the global timer functions user code sees; call once at start-up. */
export function installGuards(interrupted: (where: string) => void): void {
  onInterrupt = interrupted;
  const g = globalThis as unknown as Record<string, TimerFn>;
  for (const name of ["setTimeout", "setInterval", "setImmediate"]) {
    const orig = g[name];
    const wrapped: TimerFn = (cb, ...rest) => {
      if (typeof cb !== "function") return orig(cb, ...rest);
      return orig((...args: unknown[]) => guard(name, () => cb(...args)), ...rest);
    };
    // Keep util.promisify(setTimeout) and friends working.
    for (const key of Reflect.ownKeys(orig)) {
      try {
        Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(orig, key)!);
      } catch {
        /* non-configurable: keep ours */
      }
    }
    g[name] = wrapped;
  }
}
