/**
 * The tensor engine after a cell that failed or was interrupted. tfjs keeps its scope stack,
 * gradient tape and kernel depth in one global engine (`globalThis._tfengine`); a tidy or a
 * gradient cut short by a throw or an interrupt leaves them open, and then every later gradient
 * fails ("Cannot compute gradient of y=f(x) with respect to x") and forward runs leak. Read
 * through the global so the kernel never loads tfjs itself (a session without tensors pays nothing).
 */

interface TapeNode {
  saved?: { dispose(): void }[];
}
interface EngineLike {
  state: {
    scopeStack: unknown[];
    activeScope: unknown;
    gradientDepth: number;
    kernelDepth: number;
    activeTape: TapeNode[] | null;
    numTensors: number;
    numBytes: number;
  };
  endScope(result?: unknown): void;
  backendName?: string;
  memory(): { numTensors: number; numBytes: number; unreliable?: boolean };
}

function engine(): EngineLike | undefined {
  const e = (globalThis as unknown as { _tfengine?: EngineLike })._tfengine;
  return e && e.state && Array.isArray(e.state.scopeStack) ? e : undefined;
}

/**
 * Closes what a cut-short call left open: scopes (disposing the tensors they tracked, as their
 * tidy would have), the gradient tape (disposing its saved tensors) and the depths. Returns what
 * was repaired, for the log.
 */
export function resetEngine(): string | undefined {
  const e = engine();
  if (!e) return undefined;
  const s = e.state;
  const fixed: string[] = [];
  if (s.scopeStack.length > 0) {
    fixed.push(`${s.scopeStack.length} open scope(s)`);
    for (let guard = 0; s.scopeStack.length > 0 && guard < 10000; guard++) {
      try {
        e.endScope(undefined);
      } catch {
        s.scopeStack.pop();
      }
    }
    s.activeScope = null;
  }
  if (s.gradientDepth !== 0 || s.activeTape) {
    if (s.gradientDepth !== 0) fixed.push(`gradient depth ${s.gradientDepth}`);
    for (const node of s.activeTape ?? []) for (const t of node.saved ?? []) t.dispose();
    s.activeTape = null;
    s.gradientDepth = 0;
  }
  if (s.kernelDepth !== 0) {
    fixed.push(`kernel depth ${s.kernelDepth}`);
    s.kernelDepth = 0;
  }
  return fixed.length > 0 ? fixed.join(", ") : undefined;
}

/** Errors that mean the backend (WebAssembly heap or native allocator) ran out of memory. */
export function isBackendMemoryError(e: unknown): boolean {
  const text = `${(e as Error)?.name ?? ""}: ${(e as Error)?.message ?? String(e)}`;
  return /Aborted\(\)|out of memory|\bOOM\b|bad_alloc|Cannot allocate|Array buffer allocation failed|memory access out of bounds|Cannot enlarge memory/i.test(text);
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** What is holding tensor memory now, for the message of a memory error. */
export function memoryReport(): string {
  const e = engine();
  if (!e) return "";
  try {
    const m = e.memory();
    return `tf.memory(): ${m.numTensors} tensors, ${mb(m.numBytes)}${e.backendName ? ` on the ${e.backendName} backend` : ""}`;
  } catch {
    return "";
  }
}
