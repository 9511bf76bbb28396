/**
 * What the first cell of a notebook would otherwise pay, done while the kernel waits for it: after
 * the first replies, one step per turn of the event loop, and only while no cell runs (a step
 * holds the main thread for its duration; a request that arrives meanwhile is answered after it,
 * never dropped).
 *
 *   1. the TypeScript program (tslab's converter), as before;
 *   2. attnlab's types in that program (CellExecutor.keepTypes): attnlab's declarations and
 *      TensorFlow.js' are most of the compile time of a first `import ... from "attnlab"`;
 *   3. attnlab's JavaScript (`require("attnlab")`: TensorFlow.js and the library; the module
 *      cache is what a cell's import then finds, and loading it computes nothing);
 *   4. tfjs-node's JavaScript and native TensorFlow library (libtensorflow_cc, ~1-2.5 s to load
 *      on this project's machine), unless ATTNLAB_BACKEND asks for another backend. Loading it
 *      makes it TensorFlow.js' backend, as when `ready()` loads it; attnlab's `activeBackend()`
 *      stays null until a cell calls `ready()`. (A worker thread cannot load it in parallel:
 *      libtensorflow loaded from a worker aborted the process at exit, double free, when tried.)
 *
 * Nothing here defines a name, prints, or changes what a cell computes. A step that fails is
 * logged and skipped (the cell that needs it then fails with the real error). A cell that arrives
 * first does the work itself, as before; the steps left then find it done.
 * `ATTNLAB_KERNEL_WARMUP=0` keeps only step 1 (as kernels did before).
 *
 * The steps share the JavaScript heap with the user's variables (attnlab's types alone are tens of
 * MB in the program), so once the heap is more than half full they stop for good: after the heap
 * watch stopped a cell at 80%, a step run in the idle moment that follows would take the heap over
 * its limit and the restart would lose every variable the stop had kept.
 */
import { getHeapStatistics } from "v8";
import { log } from "./log";
import type { CellExecutor } from "./execute";

export interface WarmUpHost {
  executor: CellExecutor;
  /** True while a cell runs (the steps wait for the kernel to be idle). */
  busy(): boolean;
  /** The kernel's own timer (user code's timers are tracked and cancelled; these must not be). */
  timer: (fn: () => void, ms: number) => unknown;
}

type Step = [name: string, run: () => void];

function steps(host: WarmUpHost): Step[] {
  const list: Step[] = [["TypeScript program", () => host.executor.warmUp()]];
  if (process.env.ATTNLAB_KERNEL_WARMUP === "0") return list;
  list.push(
    ["attnlab types", () => {
      if (!host.executor.keepTypes("attnlab")) log("warm-up: attnlab's types did not compile; not kept");
    }],
    ["attnlab module", () => void require("attnlab")],
  );
  const backend = (process.env.ATTNLAB_BACKEND ?? "").trim().toLowerCase();
  if (backend === "" || backend === "tensorflow" || backend === "node" || backend === "tfjs-node") {
    list.push(["tfjs-node", () => {
      // The environment lib/backend.ts gives TensorFlow before loading it (required here, not
      // imported: the kernel starts without TensorFlow.js).
      (require("../lib/backend") as typeof import("../lib/backend")).nativeEnvDefaults();
      require("@tensorflow/tfjs-node");
    }]);
  }
  return list;
}

/** Above this share of the heap limit no step runs (see above). */
const HEAP_SHARE = 0.5;

/** Runs the steps after `delayMs`, one per timer turn, each only when no cell is running. */
export function scheduleWarmUp(host: WarmUpHost, delayMs: number): void {
  const todo = steps(host);
  const next = (ms: number) => host.timer(run, ms);
  const run = () => {
    if (todo.length === 0) return;
    if (host.busy()) return void next(100);
    const { used_heap_size: used, heap_size_limit: limit } = getHeapStatistics();
    if (used > HEAP_SHARE * limit) {
      log(`warm-up: stopped before "${todo[0][0]}": the heap is at ${Math.round((100 * used) / limit)}% of its limit (left to the first cell that needs it)`);
      todo.length = 0;
      return;
    }
    const [name, fn] = todo.shift()!;
    const t0 = Date.now();
    try {
      fn();
      log(`warm-up: ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      log(`warm-up: ${name} failed (${String((e as Error)?.message ?? e).split("\n")[0]}); left to the first cell that needs it`);
    }
    next(0);
  };
  next(delayMs);
}
