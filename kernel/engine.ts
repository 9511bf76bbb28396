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

interface Recoverable extends EngineLike {
  backendName: string;
  registryFactory: Record<string, unknown>;
  registry: Record<string, { dispose(): void }>;
  makeTensor(values: Float32Array, shape: number[], dtype: string): { dataSync(): Float32Array; dispose(): void };
  reset(): void;
  setBackend(name: string): Promise<boolean>;
}

function works(e: Recoverable): boolean {
  try {
    const t = e.makeTensor(new Float32Array([1, 2]), [2], "float32");
    const ok = t.dataSync()[1] === 2;
    t.dispose();
    return ok;
  } catch {
    return false;
  }
}

const isTensor = (v: unknown) => v !== null && typeof v === "object" && "dataId" in (v as object) && "shape" in (v as object) && "isDisposed" in (v as object);

/** Names of cell variables that hold tensors (directly or a few levels inside objects and arrays). */
function tensorHolders(locals: Record<string, unknown>): string[] {
  const holds = (v: unknown, depth: number, seen: Set<unknown>): boolean => {
    if (isTensor(v)) return true;
    if (v === null || typeof v !== "object" || depth === 0 || seen.has(v) || ArrayBuffer.isView(v)) return false;
    seen.add(v);
    const values = v instanceof Map ? [...v.values()] : Array.isArray(v) ? v.slice(0, 1000) : Object.values(v as object);
    return values.some((x) => holds(x, depth - 1, seen));
  };
  return Object.keys(locals).filter((k) => holds(locals[k], 4, new Set()));
}

/**
 * After a backend memory error: if the backend no longer computes (WebAssembly's `Aborted()`
 * leaves its module dead), the engine is reset and the same backend made again, empty. Tensors
 * made before are gone with it, so the message names the variables that held them. Returns a
 * sentence for the cell's error, or undefined when the backend still works.
 */
export async function recoverBackend(locals: Record<string, unknown>): Promise<string | undefined> {
  const e = engine() as Recoverable | undefined;
  if (!e || typeof e.makeTensor !== "function" || works(e)) return undefined;
  const name = e.backendName;
  try {
    try {
      e.reset();
    } catch {
      /* the dead backend's dispose may throw; the registry is cleared anyway below */
      for (const k of Object.keys(e.registry ?? {})) delete e.registry[k];
    }
    await e.setBackend(name);
  } catch (err) {
    return `The ${name} backend no longer works and could not be started again (${(err as Error).message}): restart the kernel.`;
  }
  if (!works(e)) return `The ${name} backend no longer works after running out of memory: restart the kernel.`;
  const lost = tensorHolders(locals);
  return `The ${name} backend stopped working and was started again, empty: tensors made before are lost${lost.length ? `, so these variables no longer work: ${lost.join(", ")} (load or create them again)` : ""}.`;
}
