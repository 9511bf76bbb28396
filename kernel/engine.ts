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

/** Errors that mean the backend (WebAssembly heap or native allocator) ran out of memory, or the kernel's budget stopped it. */
export function isBackendMemoryError(e: unknown): boolean {
  const text = `${(e as Error)?.name ?? ""}: ${(e as Error)?.message ?? String(e)}`;
  return /TensorMemoryBudget|Aborted\(\)|out of memory|\bOOM\b|bad_alloc|Cannot allocate|Array buffer allocation failed|memory access out of bounds|Cannot enlarge memory/i.test(text);
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
  budgetSuspended = true;
  try {
    const t = e.makeTensor(new Float32Array([1, 2]), [2], "float32");
    const ok = t.dataSync()[1] === 2;
    t.dispose();
    return ok;
  } catch {
    return false;
  } finally {
    budgetSuspended = false;
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

/**
 * The tensor-memory budget. Tensors live outside the JavaScript heap (native memory with
 * tfjs-node, the WebAssembly memory with wasm), so nothing stops a loop that keeps every
 * `runWithCache` result until the allocator fails: tfjs-node's then aborts the process or the
 * system's OOM killer takes it (and the shared machine's memory first); wasm's ends in `Aborted()`
 * with a dead backend. The kernel stops the cell first: when `tf.memory().numBytes` (what the
 * engine tracks: every live tensor's size, a reshape's view counted again) passes the budget,
 * the tensor just made is freed and the op throws, so the cell fails with BackendOutOfMemory, its
 * variables stay, and the backend keeps working. One op larger than what the machine has can
 * still reach the allocator: then the watcher process restarts the kernel (nanny.ts).
 *
 * Budget: `ATTNLAB_TENSOR_BUDGET_MB`, else half of the memory the kernel may use (the cgroup's
 * limit where there is one, else physical memory), at least 1 GB.
 */
export class TensorMemoryBudget extends Error {
  name = "TensorMemoryBudget";
}

let budgetSuspended = false;

/** The cgroup's memory limit in bytes (v2, then v1), if one is set. */
function cgroupLimit(): number | undefined {
  const fs = require("fs") as typeof import("fs");
  for (const f of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const n = Number(fs.readFileSync(f, "utf8").trim());
      if (Number.isFinite(n) && n > 0 && n < 2 ** 60) return n;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

/** The budget in bytes: ATTNLAB_TENSOR_BUDGET_MB, else half the memory available to the kernel, at least 1 GB. */
export function tensorBudgetBytes(env: NodeJS.ProcessEnv = process.env): number {
  const set = env.ATTNLAB_TENSOR_BUDGET_MB;
  if (set !== undefined && set !== "") {
    const mbs = Number(set);
    if (!Number.isFinite(mbs) || mbs <= 0) throw new Error(`ATTNLAB_TENSOR_BUDGET_MB must be a positive number of megabytes, got "${set}"`);
    return mbs * 2 ** 20;
  }
  const os = require("os") as typeof import("os");
  const available = Math.min(os.totalmem(), cgroupLimit() ?? Infinity);
  return Math.max(2 ** 30, Math.floor(available / 2));
}

interface Trackable {
  trackTensor(a: { size: number; dtype: string; dispose(): void; trainable?: unknown }, backend: unknown): void;
  state: { numBytes: number };
}

function enforce(e: Trackable, budget: number): void {
  if ((e as unknown as { [k: symbol]: boolean })[BUDGETED]) return;
  (e as unknown as { [k: symbol]: boolean })[BUDGETED] = true;
  const track = e.trackTensor;
  e.trackTensor = function (this: Trackable, a, backend) {
    track.call(this, a, backend);
    // Variables re-track an existing tensor's data (no new memory); the kernel's own probes are exempt.
    if (budgetSuspended || a.trainable !== undefined || this.state.numBytes <= budget) return;
    const held = this.state.numBytes;
    a.dispose();
    throw new TensorMemoryBudget(
      `tensor memory budget exceeded: the tensors held would take ${mb(held)}, over the kernel's budget of ${mb(budget)} ` +
        "(ATTNLAB_TENSOR_BUDGET_MB; the default is half the machine's memory). The op that passed it was stopped and its result freed.",
    );
  };
}

const BUDGETED = Symbol.for("attnlab.tensorBudget");

/**
 * Enforces the budget on tfjs' engine: now if it exists, else as soon as tfjs makes it (tfjs-core
 * sets `globalThis._tfengine` once, on first load; a property setter catches that moment, so the
 * first cell that loads tfjs is covered too).
 */
export function installTensorBudget(budget: number): void {
  const g = globalThis as unknown as { _tfengine?: Trackable };
  if (g._tfengine) return enforce(g._tfengine, budget);
  let value: Trackable | undefined;
  Object.defineProperty(globalThis, "_tfengine", {
    configurable: true,
    enumerable: false,
    get: () => value,
    set: (v: Trackable | undefined) => {
      value = v;
      if (v && typeof v.trackTensor === "function") enforce(v, budget);
    },
  });
}
