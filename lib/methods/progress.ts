/**
 * WorkProgress, cancellation and memory budget for long methods (patching grids, causal
 * tracing, permutation experiments). A method announces its number of forward passes
 * before starting, reports {done, total, etaSeconds} as it goes, and when its AbortSignal
 * fires it stops at the next unit of work and returns what it has, marked `partial: true`.
 * Inside the attnlab kernel, a method given no onProgress shows a progressBar (lib/widget)
 * labelled with the method's name and announced forward passes; `onProgress: undefined` given
 * explicitly (or `progressBar: false`) keeps it quiet.
 */
import { isKernelAttached } from "../widget/transport";
import { progressBar } from "../widget/progress";

export interface ProgressEvent {
  done: number;
  total: number;
  etaSeconds: number | null;
}

export interface PlanEvent {
  /** Forward passes (batched runs count once each) the method will make. */
  forwardPasses: number;
  /** Units of work `done`/`total` count (e.g. grid cells). */
  units: number;
  description: string;
}

export interface RunOptions {
  onProgress?: (e: ProgressEvent) => void;
  onPlan?: (e: PlanEvent) => void;
  signal?: AbortSignal;
  /**
   * Upper bound, in bytes, on activations a method keeps or stacks at once. Batched methods
   * split their batch to stay under it; caching methods keep only the hooks they need.
   */
  memoryBudgetBytes?: number;
  /** false: no default progress bar in the kernel when onProgress is not given. */
  progressBar?: boolean;
}

/**
 * The signal of the running kernel cell (the kernel sets the getter; an interrupt aborts it).
 * A method given no `signal` stops on it, so interrupting a cell stops its async work too.
 */
let cellSignal: () => AbortSignal | undefined = () => undefined;
export function setCellSignal(get: () => AbortSignal | undefined): void {
  cellSignal = get;
}
/** The signal a method stops on: its own, else the running kernel cell's. */
export function effectiveSignal(opts: { signal?: AbortSignal }): AbortSignal | undefined {
  return opts.signal ?? cellSignal();
}

export const DEFAULT_MEMORY_BUDGET = 512 * 1024 * 1024;

export class WorkProgress {
  private readonly start = Date.now();
  done = 0;

  private readonly opts: RunOptions;

  /** `label` names the method on the kernel's default progress bar (e.g. "causalTrace"). */
  constructor(readonly total: number, opts: RunOptions = {}, label = "attnlab") {
    const signal = effectiveSignal(opts);
    this.opts = withDefaultBar(signal && !opts.signal ? { ...opts, signal } : opts, label);
  }

  plan(forwardPasses: number, description: string): void {
    const e = { forwardPasses, units: this.total, description };
    this.opts.onPlan?.(e);
    // A progressBar given as onProgress also shows the plan without being passed as onPlan.
    const bar = this.opts.onProgress as { onPlan?: unknown } | undefined;
    if (bar && typeof bar.onPlan === "function" && bar.onPlan !== this.opts.onPlan) (bar.onPlan as (p: PlanEvent) => void)(e);
  }

  get aborted(): boolean {
    return this.opts.signal?.aborted ?? false;
  }

  tick(n = 1): void {
    this.done += n;
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = this.done > 0 ? (elapsed / this.done) * (this.total - this.done) : null;
    this.opts.onProgress?.({ done: this.done, total: this.total, etaSeconds: eta });
  }
}

/** Inside the kernel, no onProgress (not even an explicit undefined) means a progress bar. */
function withDefaultBar(opts: RunOptions, label: string): RunOptions {
  if (opts.onProgress || "onProgress" in opts || opts.progressBar === false || !isKernelAttached()) return opts;
  return { ...opts, onProgress: progressBar(label, { signal: opts.signal }) };
}

/** Number of rows of `bytesPerRow` that fit in the budget (at least 1). */
export function rowsInBudget(bytesPerRow: number, opts: RunOptions, cap = Infinity): number {
  const budget = opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET;
  if (!(budget > 0)) throw new Error(`memoryBudgetBytes must be a positive number; got ${opts.memoryBudgetBytes}`);
  return Math.max(1, Math.min(cap, Math.floor(budget / Math.max(1, bytesPerRow))));
}

/** Lets pending events (abort, worker messages) run between units of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}
