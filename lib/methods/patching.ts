/**
 * Activation patching, clean → corrupted: run the corrupted prompt with one activation
 * replaced by its value on the clean prompt, and measure how much of the clean behaviour
 * comes back. One generic routine does every kind; the patched variants are stacked along
 * the batch axis so a grid costs a handful of forward passes, not one per cell.
 * Normalised effect = (m_patched − m_corrupted) / (m_clean − m_corrupted): 0 = corrupted, 1 = clean.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { assertSameLength, checkHead, checkLayer, checkInt, prepareSingle, resolvePos } from "./common";
import { logitDiff } from "./metrics";
import { resolveToken } from "./logit_attribution";
import { DEFAULT_MEMORY_BUDGET, WorkProgress, rowsInBudget, yieldToEventLoop, type RunOptions } from "./progress";
import { architecture } from "../model/architectures";
import { PatchEngine, patchHeads, patchPositions } from "./patch_engine";

/** Sites shaped [batch, pos, d]. */
export type PositionSite = "resid_pre" | "resid_mid" | "resid_post" | "attn_out" | "mlp_out";
/** Sites shaped [batch, pos, head, *]. */
export type HeadSite = "z" | "q" | "k" | "v" | "result";
export type PatchSite = PositionSite | HeadSite;

const HEAD_SITES: readonly string[] = ["z", "q", "k", "v", "result"];
const POSITION_SITES: readonly string[] = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"];

/** One patched variant: the clean value replaces the corrupted one at (layer, head?, pos?); null = every. */
export interface PatchCell {
  layer: number;
  pos: number | null;
  head?: number | null;
}

export { patchPositions, patchHeads } from "./patch_engine";

/** Per-row metric of a batch of logits [batch, pos, vocab]. */
export type LogitMetric = (logits: tf.Tensor3D) => Float32Array;

export interface PatchingOptions extends RunOptions {
  /** The measure: a function of logits, or logit difference answer − wrong (token ids or one-token strings) at `pos` (default the last). */
  metric?: LogitMetric | { answer: number | string; wrong: number | string; pos?: number };
  /**
   * "cached" (default on causal models): each patched run starts at the patched layer from the
   * corrupted run's cached residual, recomputes only positions from the patch on and unembeds only
   * what the metric reads (patch_engine.ts). "hooked": whole forward passes with the patch as a
   * hook (any model; the plain definition, kept as the reference the tests compare against).
   */
  engine?: "cached" | "hooked";
}

export interface PatchingResult {
  kind: "activation-patching";
  site: PatchSite;
  /** Normalised effect per cell, laid out by `shape` (NaN for cells not run when partial). */
  data: Float32Array;
  /** The raw metric of each patched run. */
  raw: Float32Array;
  shape: number[];
  dims: string[];
  cells: PatchCell[];
  cleanMetric: number;
  corruptedMetric: number;
  tokens: string[];
  corruptedTokens: string[];
  partial: boolean;
  settings: PatchingSettings;
}

/**
 * What was run. `metric` is a readable label (`logit diff " Mary" − " John"`, or "custom"); for a
 * logit difference `answer`/`wrong` are the tokens as strings (decoded, e.g. " Mary"),
 * `answerId`/`wrongId` their ids and `metricPos` the position read (negative = from the end).
 */
export interface PatchingSettings {
  metric: string;
  answer?: string;
  wrong?: string;
  answerId?: number;
  wrongId?: number;
  metricPos?: number;
  engine: "cached" | "hooked";
  rowsPerPass: number;
  forwardPasses: number;
}

/** Display string of one token id (the id itself when the model cannot decode it). */
function tokenString(model: TransformerModel, id: number): string {
  try {
    const s = model.toStrTokens([id]);
    if (s.length === 1 && typeof s[0] === "string") return s[0];
  } catch {
    /* fall through */
  }
  return String(id);
}

interface ResolvedMetric {
  f: LogitMetric;
  name: string;
  /** Set for a logit difference. */
  diff?: { answer: number; wrong: number; pos: number };
  labels: Partial<PatchingSettings>;
}

function resolveMetric(model: TransformerModel, m: PatchingOptions["metric"], fn: string): ResolvedMetric {
  if (typeof m === "function") return { f: m, name: "custom", labels: {} };
  if (m && typeof m === "object") {
    const answer = resolveToken(model, m.answer, "opts.metric.answer", fn);
    const wrong = resolveToken(model, m.wrong, "opts.metric.wrong", fn);
    const pos = m.pos ?? -1;
    if (!Number.isInteger(pos)) throw new Error(`${fn}: opts.metric.pos must be an integer position (negative counts from the end); got ${pos}`);
    const [a, w] = [tokenString(model, answer), tokenString(model, wrong)];
    return {
      f: (lg) => logitDiff(lg, answer, wrong, pos),
      name: `logit diff ${JSON.stringify(a)} − ${JSON.stringify(w)}`,
      diff: { answer, wrong, pos },
      labels: { answer: a, wrong: w, answerId: answer, wrongId: wrong, metricPos: pos },
    };
  }
  throw new Error(`${fn}: opts.metric is required: a function of logits, or {answer, wrong} (token ids or one-token strings) for a logit difference`);
}

/**
 * The generic routine: for every cell, the corrupted run with `site` patched from the clean
 * run at that cell. Cells are packed into batches of as many rows as the memory budget allows.
 */
export async function activationPatching(
  model: TransformerModel,
  clean: string | number[],
  corrupted: string | number[],
  site: PatchSite,
  cells: PatchCell[],
  opts: PatchingOptions & { shape?: number[]; dims?: string[] } = {},
): Promise<PatchingResult> {
  const fn = "activationPatching";
  const headSite = HEAD_SITES.includes(site);
  if (!headSite && !POSITION_SITES.includes(site)) throw new Error(`${fn}: site must be one of ${[...POSITION_SITES, ...HEAD_SITES].join(", ")}; got ${JSON.stringify(site)}`);
  if (model.config.attnOnly && (site === "mlp_out" || site === "resid_mid")) throw new Error(`${fn}: site "${site}" does not exist in an attention-only model`);
  const metric = resolveMetric(model, opts.metric, fn);
  const c = prepareSingle(model, clean, fn);
  const k = prepareSingle(model, corrupted, fn);
  assertSameLength(c.ids, k.ids, fn);
  const P = c.ids.length;
  if (!Array.isArray(cells) || cells.length === 0) throw new Error(`${fn}: cells must be a non-empty array of {layer, pos, head?}`);
  for (const cell of cells) {
    checkLayer(model, cell.layer, fn);
    if (cell.pos !== null) checkInt(cell.pos, 0, P - 1, "pos", fn);
    if (headSite) {
      if (cell.head === undefined || cell.head === null) throw new Error(`${fn}: site "${site}" is per head, so every cell needs a head`);
      checkHead(model, cell.head, fn);
    }
  }
  const layers = [...new Set(cells.map((x) => x.layer))].sort((a, b) => a - b);
  const engine = opts.engine ?? (architecture(model.config).causal ? "cached" : "hooked");
  if (engine !== "cached" && engine !== "hooked") throw new Error(`${fn}: opts.engine must be "cached" or "hooked"; got ${JSON.stringify(engine)}`);
  if (engine === "cached" && !architecture(model.config).causal) throw new Error(`${fn}: opts.engine "cached" needs a causal (decoder) model; use "hooked"`);
  const { dModel: d, dMlp, nHeads: H, dVocab: V } = model.config;
  // The cached engine keeps no full logits per row: one position's when the metric reads one.
  const logitRow = engine === "cached" && metric.diff ? V : P * V;
  const bytesPerRow = 4 * (P * (6 * d + dMlp + 2 * H * P) + logitRow);
  const rowsPerPass = rowsInBudget(bytesPerRow, opts, engine === "cached" ? 1024 : 256);
  const passes = Math.ceil(cells.length / rowsPerPass);
  const progress = new WorkProgress(cells.length, opts, "activationPatching");
  progress.plan(passes + 2, `${cells.length} patched runs of "${site}" in ${passes} batched passes, plus one clean and one corrupted run`);
  const raw = new Float32Array(cells.length).fill(NaN);
  const run = engine === "cached" ? cachedRuns : hookedRuns;
  const { cleanMetric, corruptedMetric, partial } = await run(model, c.ids, k.ids, site, headSite, layers, metric, cells, rowsPerPass, raw, progress, opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET);
  const denom = cleanMetric - corruptedMetric;
  const data = raw.map((m) => (m - corruptedMetric) / denom);
  return {
    kind: "activation-patching",
    site,
    data,
    raw,
    shape: opts.shape ?? [cells.length],
    dims: opts.dims ?? ["cell"],
    cells,
    cleanMetric,
    corruptedMetric,
    tokens: c.tokens,
    corruptedTokens: k.tokens,
    partial,
    settings: { metric: metric.name, ...metric.labels, engine, rowsPerPass, forwardPasses: passes + 2 },
  };
}

type Runs = (
  model: TransformerModel, clean: number[], corrupted: number[], site: PatchSite, headSite: boolean, layers: number[],
  metric: ResolvedMetric, cells: PatchCell[], rowsPerPass: number, raw: Float32Array, progress: WorkProgress, budget: number,
) => Promise<{ cleanMetric: number; corruptedMetric: number; partial: boolean }>;

/** Causal models: patch_engine.ts, each pass one sweep from the cached corrupted run. */
const cachedRuns: Runs = async (model, clean, corrupted, site, headSite, layers, metric, cells, rowsPerPass, raw, progress, budget) => {
  const metricPos = metric.diff ? resolvePos(metric.diff.pos, clean.length, "activationPatching", "opts.metric.pos") : null;
  // For a logit difference the engine stops the sequence at the position it reads (the last
  // position there) and computes the logits of the two tokens only (columns 0 and 1).
  const f = metric.diff ? (lg: tf.Tensor3D) => logitDiff(lg, 0, 1, -1) : metric.f;
  const vocab = metric.diff ? [metric.diff.answer, metric.diff.wrong] : undefined;
  // One block call's intermediates get an eighth of the memory budget (a sweep's own rows are small).
  const callBytes = budget / 8;
  const eng = new PatchEngine(model, { clean, corrupted, site, headSite, layers, metric: f, metricPos, vocab, callBytes });
  let partial = false;
  try {
    for (let start = 0; start < cells.length; start += rowsPerPass) {
      if (progress.aborted) {
        partial = true;
        break;
      }
      const chunk = cells.slice(start, start + rowsPerPass);
      raw.set(eng.sweep(chunk), start);
      progress.tick(chunk.length);
      await yieldToEventLoop();
    }
    return { cleanMetric: eng.cleanMetric, corruptedMetric: eng.corruptedMetric, partial };
  } finally {
    eng.dispose();
  }
};

/** Any model: whole forward passes with the patch as a hook, patched variants stacked as rows. */
const hookedRuns: Runs = async (model, clean, corrupted, site, headSite, layers, metric, cells, rowsPerPass, raw, progress) => {
  const names = layers.map((l) => actName(site, l)) as HookName[];
  const { logits: cleanLogits, cache } = model.runWithCache([clean], { names });
  let cleanMetric = NaN;
  let corruptedMetric = NaN;
  let partial = false;
  try {
    cleanMetric = metric.f(cleanLogits)[0];
    cleanLogits.dispose();
    const corrLogits = model.run([corrupted]);
    corruptedMetric = metric.f(corrLogits)[0];
    corrLogits.dispose();
    for (let start = 0; start < cells.length; start += rowsPerPass) {
      if (progress.aborted) {
        partial = true;
        break;
      }
      const chunk = cells.slice(start, start + rowsPerPass);
      const hooks: Hook[] = layers
        .filter((l) => chunk.some((x) => x.layer === l))
        .map((l) => {
          const cleanAct = cache.get(actName(site, l));
          const rows = chunk.map((x, row) => ({ ...x, row })).filter((x) => x.layer === l);
          return {
            name: actName(site, l),
            fn: (act: tf.Tensor) =>
              headSite ? patchHeads(act, cleanAct, rows.map((r) => ({ row: r.row, head: r.head!, pos: r.pos }))) : patchPositions(act, cleanAct, rows),
          };
        });
      const { logits } = model.runWithHooks(chunk.map(() => corrupted), hooks);
      try {
        raw.set(metric.f(logits), start);
      } finally {
        logits.dispose();
      }
      progress.tick(chunk.length);
      await yieldToEventLoop();
    }
  } finally {
    if (!cleanLogits.isDisposed) cleanLogits.dispose();
    cache.dispose();
  }
  return { cleanMetric, corruptedMetric, partial };
};

function gridLP(model: TransformerModel, P: number): PatchCell[] {
  const cells: PatchCell[] = [];
  for (let l = 0; l < model.config.nLayers; l++) for (let p = 0; p < P; p++) cells.push({ layer: l, pos: p });
  return cells;
}

function lengthOf(model: TransformerModel, input: string | number[], fn: string): number {
  return prepareSingle(model, input, fn).ids.length;
}

/** Residual stream entering each block (resid_pre), by [layer, pos]. */
export function patchResidByPos(model: TransformerModel, clean: string | number[], corrupted: string | number[], opts: PatchingOptions = {}) {
  const P = lengthOf(model, clean, "patchResidByPos");
  return activationPatching(model, clean, corrupted, "resid_pre", gridLP(model, P), { ...opts, shape: [model.config.nLayers, P], dims: ["layer", "pos"] });
}

/** Attention-layer output by [layer, pos]. */
export function patchAttnOutByPos(model: TransformerModel, clean: string | number[], corrupted: string | number[], opts: PatchingOptions = {}) {
  const P = lengthOf(model, clean, "patchAttnOutByPos");
  return activationPatching(model, clean, corrupted, "attn_out", gridLP(model, P), { ...opts, shape: [model.config.nLayers, P], dims: ["layer", "pos"] });
}

/** MLP output by [layer, pos]. */
export function patchMlpOutByPos(model: TransformerModel, clean: string | number[], corrupted: string | number[], opts: PatchingOptions = {}) {
  const P = lengthOf(model, clean, "patchMlpOutByPos");
  return activationPatching(model, clean, corrupted, "mlp_out", gridLP(model, P), { ...opts, shape: [model.config.nLayers, P], dims: ["layer", "pos"] });
}

/** Each head's output (hook_z, every position) by [layer, head]. */
export function patchHeadOut(model: TransformerModel, clean: string | number[], corrupted: string | number[], opts: PatchingOptions = {}) {
  const { nLayers: L, nHeads: H } = model.config;
  const cells: PatchCell[] = [];
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) cells.push({ layer: l, head: h, pos: null });
  return activationPatching(model, clean, corrupted, "z", cells, { ...opts, shape: [L, H], dims: ["layer", "head"] });
}

/** Each head's output at each position (hook_z) by [layer, head, pos]. */
export function patchHeadOutByPos(model: TransformerModel, clean: string | number[], corrupted: string | number[], opts: PatchingOptions = {}) {
  const { nLayers: L, nHeads: H } = model.config;
  const P = lengthOf(model, clean, "patchHeadOutByPos");
  const cells: PatchCell[] = [];
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) for (let p = 0; p < P; p++) cells.push({ layer: l, head: h, pos: p });
  return activationPatching(model, clean, corrupted, "z", cells, { ...opts, shape: [L, H, P], dims: ["layer", "head", "pos"] });
}
