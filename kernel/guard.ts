/**
 * Runs a handler of user code (comm handlers). Interrupting it is the supervisor's job
 * (supervisor.ts), which stops any JavaScript the main thread runs; nothing here may use vm's
 * `breakOnSigint`: while its watchdog runs it takes SIGINT over, and after it stops no libuv
 * signal handle (the supervisor's, the main thread's) receives SIGINT again.
 */
export function guard<T>(_where: string, fn: () => T): T {
  return fn();
}

/**
 * Interrupting code that runs outside any call the kernel made (a callback after awaited I/O, a
 * timer) cuts a frame that pushed an async context in JavaScript; Node's check of that stack
 * would then abort the process. The check only guards against bugs in async_hooks users (it is
 * what `--no-force-async-hooks-checks` turns off); the kernel turns it off at start.
 */
export function allowInterruptingCallbacks(): void {
  try {
    const noDeprecation = process.noDeprecation;
    process.noDeprecation = true;
    const aw = (process as unknown as { binding(n: string): { constants: Record<string, number>; async_hook_fields: Uint32Array } }).binding("async_wrap");
    process.noDeprecation = noDeprecation;
    aw.async_hook_fields[aw.constants.kCheck] = 0;
  } catch {
    /* the check stays on: an interrupt in a timer may end the kernel (the server restarts it) */
  }
}

type TimerFn = (cb: (...a: unknown[]) => void, ...rest: unknown[]) => unknown;
const CLEAR: Record<string, string> = { setTimeout: "clearTimeout", setInterval: "clearInterval", setImmediate: "clearImmediate" };

/** Timers created while a cell runs, so that interrupting it can cancel them. */
export type CellTimers = Set<{ handle: unknown; kind: string }>;
let current: CellTimers | undefined;

export function setCellTimers(timers: CellTimers | undefined): void {
  current = timers;
}

/**
 * An interrupted cell's awaiting loop (`while (true) { await sleep(20); ... }`) would go on after
 * the Interrupted reply and print into later cells: its pending timers are cancelled, so it never
 * resumes.
 */
export function clearCellTimers(timers: CellTimers): void {
  const g = globalThis as unknown as Record<string, (h: unknown) => void>;
  for (const t of timers) g[CLEAR[t.kind]](t.handle);
  timers.clear();
}

/** Wraps the global timer functions user code sees; call once at start-up. */
export function installTimerTracking(): void {
  const g = globalThis as unknown as Record<string, TimerFn>;
  for (const kind of ["setTimeout", "setInterval", "setImmediate"]) {
    const orig = g[kind];
    const wrapped: TimerFn = (cb, ...rest) => {
      const set = current;
      if (!set || typeof cb !== "function") return orig(cb, ...rest);
      const entry = { handle: undefined as unknown, kind };
      entry.handle = orig((...args: unknown[]) => {
        if (kind !== "setInterval") set.delete(entry);
        cb(...args);
      }, ...rest);
      set.add(entry);
      return entry.handle;
    };
    // Keep util.promisify(setTimeout) and friends working.
    for (const key of Reflect.ownKeys(orig)) {
      try {
        Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(orig, key)!);
      } catch {
        /* non-configurable: keep ours */
      }
    }
    g[kind] = wrapped;
  }
}
