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
