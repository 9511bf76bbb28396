/**
 * Causal tracing (Meng et al. 2022, ROME's experiments/causal_trace.py).
 *
 * One clean run and `samples` (10) corrupted runs whose subject-token embeddings get Gaussian
 * noise ν·N(0, 1). By default ν = 3 × the standard deviation of the token-embedding values of
 * this prompt's subject tokens (ROME takes it over the subjects of its whole fact set); the
 * draws come from a seeded RNG and the same draws serve every restoration, as ROME re-seeds
 * per restoration. The metric is p(answer) at the last position, answer = the clean run's top
 * token, averaged over the corrupted rows. Hidden restoration at (pos, layer) copies the clean
 * output of block `layer` at `pos` into the corrupted rows; MLP and attention restoration copy
 * that module's clean output at `pos` for layers max(0, L−5) … min(n, L+5) − 1 (window 10).
 *
 * Restoring a position before the first subject token restores a value that the corrupted runs
 * already have (noise is causal from the subject onward), so those cells equal p_corrupted
 * exactly and are not recomputed. The rest runs in TraceEngine, split over worker threads.
 * `positions` and `layers` restrict the restorations to some rows and columns (the cost is per
 * restored cell, so a notebook can trace the cells it needs on a 30-layer model); the rest stay NaN.
 */
import { Worker } from "worker_threads";
import { activeBackend } from "../backend";
import { releaseHostBuffers } from "./patch_engine";
import type { TransformerModel } from "../model/types";
import { architecture } from "../model/architectures";
import { checkInt, prepareSingle } from "./common";
import { WorkProgress, rowsInBudget, yieldToEventLoop, type RunOptions } from "./progress";
import { Rng } from "./rng";
import { TraceEngine, type TraceCell, type TraceKind } from "./trace_engine";
import { packWeights, type WorkerJob } from "./trace_worker";

export type { TraceKind } from "./trace_engine";

export interface CausalTraceOptions extends RunOptions {
  /** The subject: a substring of the prompt, or a [start, end) token range. */
  subject: string | [number, number];
  samples?: number;
  /** Absolute noise level ν; overrides noiseScale. */
  noise?: number;
  /** ν = noiseScale × std of embedding values (default 3). */
  noiseScale?: number;
  /** Which embedding values the std is taken over: this prompt's subject tokens (default) or the whole W_E. */
  noiseStdOver?: "subject" | "vocabulary";
  seed?: number;
  /** Unscaled N(0, 1) draws [samples, subject tokens, d_model], e.g. to match another implementation. */
  noiseDraws?: Float32Array;
  window?: number;
  kinds?: TraceKind[];
  /** Token whose probability is traced; default the clean run's top token. */
  answer?: number;
  /** Extra worker threads (0 = main thread only); default 1 when the grid is large. */
  workers?: number;
  /** Restore only at these token positions (default all); the grids' other rows stay NaN. */
  positions?: number[];
  /** Restore only at these layers (hidden) or window centres (MLP, attention) (default all); other columns stay NaN. */
  layers?: number[];
}

export interface TraceGrid {
  /** p(answer) with the restoration, [pos, layer] (tokens as rows, layers as columns). */
  scores: Float32Array;
  /** scores − p_corrupted. */
  indirect: Float32Array;
}

export interface CausalTraceResult {
  kind: "causal-trace";
  tokens: string[];
  subjectRange: [number, number];
  answer: { id: number; token: string };
  pClean: number;
  pCorrupted: number;
  totalEffect: number;
  grids: Partial<Record<TraceKind, TraceGrid>>;
  shape: [number, number];
  dims: ["pos", "layer"];
  partial: boolean;
  settings: {
    samples: number; noise: number; noiseScale: number | null; noiseStdOver: string; embeddingStd: number | null;
    seed: number | null; noiseDrawsGiven: boolean; window: number; kinds: TraceKind[]; workers: number;
    forwardPasses: number; naiveForwardPasses: number; shortcutPositions: number;
  };
}

export interface TraceSetup {
  ids: number[];
  tokens: string[];
  subject: [number, number];
  samples: number;
  window: number;
  kinds: TraceKind[];
  noise: number;
  embeddingStd: number | null;
  draws: Float32Array; // unscaled
  scaled: Float32Array; // ν × draws
  /** Positions and layers to restore (opts.positions / opts.layers, sorted), null = all. */
  positions: number[] | null;
  layers: number[] | null;
}

/** Validates the options and draws the noise; shared by the fast and the naive path. */
export function traceSetup(model: TransformerModel, prompt: string | number[], opts: CausalTraceOptions, fn: string): TraceSetup {
  const arch = architecture(model.config);
  if (!arch.causal) throw new Error(`${fn}: causal tracing needs a causal (decoder) model; ${arch.label} is not`);
  const { ids, tokens } = prepareSingle(model, prompt, fn);
  const P = ids.length;
  const subject = resolveSubject(model, prompt, ids, opts.subject, fn);
  const samples = opts.samples ?? 10;
  checkInt(samples, 1, 10000, "samples", fn);
  const window = opts.window ?? 10;
  checkInt(window, 1, 10000, "window", fn);
  const kinds = opts.kinds ?? ["hidden", "mlp", "attn"];
  for (const k of kinds) if (!["hidden", "mlp", "attn"].includes(k)) throw new Error(`${fn}: kinds must be "hidden", "mlp" or "attn"; got ${JSON.stringify(k)}`);
  if (model.config.attnOnly && kinds.includes("mlp")) throw new Error(`${fn}: an attention-only model has no MLP to restore; leave "mlp" out of kinds`);
  if (opts.answer !== undefined) checkInt(opts.answer, 0, model.config.dVocab - 1, "answer", fn);
  const subset = (xs: number[] | undefined, n: number, name: string, what: string): number[] | null => {
    if (xs === undefined) return null;
    if (!Array.isArray(xs) || xs.length === 0 || !xs.every((x) => Number.isInteger(x) && x >= 0 && x < n)) {
      throw new Error(`${fn}: ${name} must be a non-empty array of ${what} from 0 to ${n - 1}; got ${JSON.stringify(xs)}`);
    }
    return [...new Set(xs)].sort((a, b) => a - b);
  };
  const positions = subset(opts.positions, P, "positions", "token positions");
  const layers = subset(opts.layers, model.config.nLayers, "layers", "layers");
  const d = model.config.dModel;
  const n = samples * (subject[1] - subject[0]) * d;
  let draws: Float32Array;
  if (opts.noiseDraws) {
    if (opts.noiseDraws.length !== n) throw new Error(`${fn}: noiseDraws must hold samples × subject tokens × d_model = ${samples} × ${subject[1] - subject[0]} × ${d} = ${n} values; got ${opts.noiseDraws.length}`);
    draws = opts.noiseDraws;
  } else {
    draws = new Rng(opts.seed ?? 1).normalArray(n);
  }
  let noise: number;
  let embeddingStd: number | null = null;
  if (opts.noise !== undefined) {
    if (!(opts.noise >= 0)) throw new Error(`${fn}: noise must be a non-negative number; got ${opts.noise}`);
    noise = opts.noise;
  } else {
    const E = model.weights.W_E.dataSync() as Float32Array;
    const rows = opts.noiseStdOver === "vocabulary" ? null : ids.slice(subject[0], subject[1]);
    let s = 0, s2 = 0, cnt = 0;
    const addRow = (r: number) => {
      for (let i = 0; i < d; i++) {
        const v = E[r * d + i];
        s += v;
        s2 += v * v;
      }
      cnt += d;
    };
    if (rows) rows.forEach(addRow);
    else for (let r = 0; r < model.config.dVocab; r++) addRow(r);
    const mean = s / cnt;
    // Unbiased, as torch.std (which ROME uses).
    embeddingStd = Math.sqrt(Math.max(0, (s2 - cnt * mean * mean) / (cnt - 1)));
    noise = (opts.noiseScale ?? 3) * embeddingStd;
  }
  const scaled = draws.map((v) => v * noise);
  return { ids, tokens, subject, samples, window, kinds, noise, embeddingStd, draws, scaled, positions, layers };
}

function resolveSubject(model: TransformerModel, prompt: string | number[], ids: number[], subject: CausalTraceOptions["subject"], fn: string): [number, number] {
  const P = ids.length;
  if (Array.isArray(subject)) {
    const [a, b] = subject;
    if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b > P || a >= b) throw new Error(`${fn}: subject range must be [start, end) with 0 ≤ start < end ≤ ${P}; got [${a}, ${b}]`);
    return [a, b];
  }
  if (typeof subject !== "string" || subject.length === 0) throw new Error(`${fn}: opts.subject must be a substring of the prompt or a [start, end) token range`);
  if (typeof prompt !== "string" || !model.tokenizer) throw new Error(`${fn}: a subject given as text needs a text prompt and a model with a tokenizer; give a [start, end) token range instead`);
  const at = prompt.indexOf(subject);
  if (at < 0) throw new Error(`${fn}: subject ${JSON.stringify(subject)} is not in the prompt ${JSON.stringify(prompt)}`);
  const enc = model.tokenizer.encode(prompt);
  const hit = enc.offsets.map(([s, e], i) => (e > s && s < at + subject.length && e > at ? i : -1)).filter((i) => i >= 0);
  if (hit.length === 0) throw new Error(`${fn}: subject ${JSON.stringify(subject)} does not cover any token of the prompt`);
  return [hit[0], hit[hit.length - 1] + 1];
}

function spawnWorker(job: WorkerJob): Worker {
  const file = require.resolve("./trace_worker");
  const tsPath = file.endsWith(".ts") ? require.resolve("typescript") : null;
  // Under ts-jest the sources are .ts: compile them on load with the TypeScript compiler.
  const boot = `
const { workerData } = require("worker_threads");
if (workerData.tsPath) {
  const ts = require(workerData.tsPath);
  const fs = require("fs");
  require.extensions[".ts"] = (m, filename) => {
    const out = ts.transpileModule(fs.readFileSync(filename, "utf8"), { fileName: filename, compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2021, esModuleInterop: true } });
    m._compile(out.outputText, filename);
  };
}
require(workerData.file);`;
  return new Worker(boot, { eval: true, workerData: { ...job, file, tsPath } });
}

/** Causal tracing grids for hidden states, MLPs and attention. */
export async function causalTrace(model: TransformerModel, prompt: string | number[], opts: CausalTraceOptions): Promise<CausalTraceResult> {
  const fn = "causalTrace";
  if (!opts || typeof opts !== "object") throw new Error(`${fn}: opts with a subject is required`);
  const su = traceSetup(model, prompt, opts, fn);
  const { nLayers: L, dModel: d, dMlp, nHeads: H, dVocab: V } = model.config;
  const P = su.ids.length;
  const cells: TraceCell[] = [];
  const layers = su.layers ?? Array.from({ length: L }, (_, l) => l);
  for (const kind of su.kinds) for (const l of layers) cells.push({ kind, layer: l });
  const traced = (p: number) => !su.positions || su.positions.includes(p);
  const positions = Array.from({ length: P - su.subject[0] }, (_, i) => su.subject[0] + i).filter(traced);
  const before = Array.from({ length: su.subject[0] }, (_, p) => p).filter(traced);
  // Rows in one sweep: cells × samples × positions × (activations + MLP hidden + attention).
  const bytesPerCell = 4 * su.samples * P * (8 * d + dMlp + 2 * H * P);
  const cellsPerSweep = rowsInBudget(bytesPerCell, opts, cells.length);
  const sweepsPerPos = Math.ceil(cells.length / cellsPerSweep);
  const flops = su.samples * cells.length * positions.reduce((a, p) => a + (P - p), 0) * L * 12 * d * d + positions.length * cells.length * su.samples * d * V * 2;
  const workers = opts.workers ?? (flops > 4e9 ? 1 : 0);
  checkInt(workers, 0, 64, "workers", fn);
  const nCells = cells.length * (before.length + positions.length);
  const progress = new WorkProgress(nCells, opts, "causalTrace");
  const passes = 1 + positions.length * sweepsPerPos;
  progress.plan(passes, `1 clean + ${su.samples} corrupted base run, then ${positions.length * sweepsPerPos} batched restoration sweeps (${nCells} cells) on ${workers + 1} thread(s)`);

  const engine = new TraceEngine(model);
  const grid = new Map<TraceKind, Float32Array>(su.kinds.map((k) => [k, new Float32Array(P * L).fill(NaN)]));
  const store = (p: number, probs: Float32Array) => {
    cells.forEach((c, i) => (grid.get(c.kind)![p * L + c.layer] = probs[i]));
    progress.tick(cells.length);
  };
  const running: Worker[] = [];
  let partial = false;
  try {
    const base = engine.prepare({ ids: su.ids, subject: su.subject, samples: su.samples, noise: su.scaled, window: su.window }, opts.answer);
    releaseHostBuffers(); // the base runs used every weight: free the loaded weights' host copy (see patch_engine.ts)
    for (const p of before) store(p, new Float32Array(cells.length).fill(base.pCorrupted));
    // A shared queue, most expensive (earliest) positions first: whichever thread is free takes the next.
    const queue = [...positions].sort((x, y) => x - y);
    const nWorkers = Math.min(workers, Math.max(0, positions.length - 1));
    // Packing copies every weight to the host (~0.5 GB for SmolLM2): only when a worker will use it.
    const job: WorkerJob | null = nWorkers === 0 ? null : {
      kind: "attnlab-trace", weights: packWeights(model), answer: base.answer, cells, cellsPerSweep, backend: activeBackend() ?? "wasm",
      input: { ids: su.ids, subject: su.subject, samples: su.samples, noise: su.scaled, window: su.window },
    };
    const done: Promise<void>[] = Array.from({ length: nWorkers }, () => new Promise<void>((resolve, reject) => {
      const w = spawnWorker(job!);
      running.push(w);
      const feed = () => {
        const p = progress.aborted ? undefined : queue.shift();
        if (p === undefined) {
          w.postMessage({ type: "stop" });
          resolve();
        } else w.postMessage({ type: "trace", pos: p });
      };
      w.on("message", (m: { type: string; pos?: number; probs?: Float32Array; message?: string }) => {
        if (m.type === "position") store(m.pos!, m.probs!);
        if (m.type === "error") reject(new Error(`${fn}: worker failed: ${m.message}`));
        else feed();
      });
      w.on("error", reject);
      w.on("exit", () => resolve());
    }));
    let failed: unknown = null;
    const watched = done.map((d) => d.catch((e) => void (failed = failed ?? e)));
    while (!progress.aborted && failed === null) {
      const p = queue.shift();
      if (p === undefined) break;
      const out = new Float32Array(cells.length);
      for (let i = 0; i < cells.length; i += cellsPerSweep) out.set(engine.tracePosition(p, cells.slice(i, i + cellsPerSweep)), i);
      store(p, out);
      await yieldToEventLoop();
    }
    if (!progress.aborted && done.length) {
      await Promise.race([
        Promise.all(watched),
        new Promise<void>((resolve) => opts.signal?.addEventListener("abort", () => resolve(), { once: true })),
      ]);
    }
    if (failed) throw failed;
    partial = progress.aborted && progress.done < progress.total;
    const grids: CausalTraceResult["grids"] = {};
    for (const [k, scores] of grid) grids[k] = { scores, indirect: scores.map((s) => s - base.pCorrupted) };
    let answerToken = String(base.answer);
    try {
      answerToken = model.toStrTokens([base.answer])[0];
    } catch { /* no tokenizer: keep the id */ }
    return {
      kind: "causal-trace", tokens: su.tokens, subjectRange: su.subject, answer: { id: base.answer, token: answerToken },
      pClean: base.pClean, pCorrupted: base.pCorrupted, totalEffect: base.pClean - base.pCorrupted, grids,
      shape: [P, L], dims: ["pos", "layer"], partial,
      settings: {
        samples: su.samples, noise: su.noise, noiseScale: opts.noise !== undefined ? null : opts.noiseScale ?? 3,
        noiseStdOver: opts.noise !== undefined ? "given" : opts.noiseStdOver === "vocabulary" ? "all token embeddings (W_E)" : "token embeddings of this prompt's subject tokens",
        embeddingStd: su.embeddingStd, seed: opts.noiseDraws ? null : opts.seed ?? 1, noiseDrawsGiven: !!opts.noiseDraws,
        window: su.window, kinds: su.kinds, workers, forwardPasses: passes, naiveForwardPasses: 1 + nCells,
        shortcutPositions: before.length,
      },
    };
  } finally {
    for (const w of running) void w.terminate();
    engine.dispose();
  }
}
