/**
 * Attribution patching (Nanda 2023): a linear estimate of every activation-patching cell at once.
 *
 * Patching activation a from the clean run into the corrupted run changes the metric M by
 *
 *   M(a_clean) − M(a_corrupted) ≈ (a_clean − a_corrupted) · ∂M/∂a |corrupted run
 *
 * (first-order Taylor term around the corrupted run). One forward pass of the clean prompts
 * (cache), one forward and one backward pass of the corrupted prompts (activations and
 * gradients) give every cell of every grid, where exact patching needs one forward row per cell.
 * The gradient with respect to each hook point is taken by adding a zero tensor there (a hook
 * returning act + δ) and differentiating M with respect to δ, so the forward pass is the model's
 * own, hooks and all; nothing here knows the architecture beyond the hook names.
 *
 * Grids (dot product over d_model, or d_head for heads):
 *   resid        blocks.L.hook_resid_pre   [layer, pos]
 *   attn_out     blocks.L.hook_attn_out    [layer, pos]
 *   mlp_out      blocks.L.hook_mlp_out     [layer, pos]   (not in attention-only models)
 *   heads        blocks.L.attn.hook_z      [layer, head]  (summed over positions: all positions patched)
 *   heads_by_pos blocks.L.attn.hook_z      [layer, head, pos]
 * The same sites as lib/methods/patching.ts's named grids, so `{compare: true}` runs those and
 * reports the Pearson correlation of the two maps. Values are normalised as patching's are,
 * estimate / (M_clean − M_corrupted): 0 = no change, 1 = the whole clean−corrupted gap.
 * Several prompt pairs of one length run as one batch; maps are averaged over pairs (per-pair
 * estimates are in `raw`). The metric is summed over the batch, so each row's gradient is its own.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { prepareSingle, promptList, resolvePos } from "./common";
import {
  patchAttnOutByPos,
  patchHeadOut,
  patchHeadOutByPos,
  patchMlpOutByPos,
  patchResidByPos,
  type PatchingOptions,
  type PatchingResult,
} from "./patching";
import { WorkProgress, type RunOptions } from "./progress";
import { resolveToken } from "./logit_attribution";
import { tidyData } from "../backend";

export type AttributionGridName = "resid" | "attn_out" | "mlp_out" | "heads" | "heads_by_pos";
export const ATTRIBUTION_GRIDS: readonly AttributionGridName[] = ["resid", "attn_out", "mlp_out", "heads", "heads_by_pos"];

const SITE: Record<AttributionGridName, "resid_pre" | "attn_out" | "mlp_out" | "z"> = {
  resid: "resid_pre",
  attn_out: "attn_out",
  mlp_out: "mlp_out",
  heads: "z",
  heads_by_pos: "z",
};

type Prompt = string | number[];

/** A differentiable per-row metric of logits [batch, pos, vocab] -> [batch]. */
export type DifferentiableMetric = (logits: tf.Tensor3D) => tf.Tensor1D;

export interface AttributionPatchingOptions extends RunOptions {
  /**
   * Logit difference answer − wrong at `pos` (default: last), one token (id or one-token string)
   * for every pair or one per pair; or any differentiable per-row function of the logits.
   * Default: answer = the clean run's top token, wrong = the corrupted run's top token, per pair.
   */
  metric?: { answer: number | string | (number | string)[]; wrong: number | string | (number | string)[]; pos?: number } | DifferentiableMetric;
  /** Which grids; default all the model has. */
  grids?: AttributionGridName[];
  /** Also run exact activation patching of the same grids and report the correlation. */
  compare?: boolean;
}

export interface AttributionPatchingGrid {
  kind: "attribution-patching-grid";
  grid: AttributionGridName;
  /** The hook point patched / differentiated (patching.ts's site name). */
  site: string;
  /** Normalised estimate, mean over pairs, laid out by `shape`. */
  data: Float32Array;
  /** Unnormalised estimate of M_patched − M_corrupted per pair: [pair, ...shape]. */
  raw: Float32Array;
  shape: number[];
  dims: string[];
  tokens: string[];
  metric: string;
  /** With compare: exact activation patching (normalised, mean over pairs), its Pearson r with `data`, and its time. */
  exact?: Float32Array;
  correlation?: number;
  exactMs?: number;
}

export interface AttributionPatchingResult {
  kind: "attribution-patching";
  /** Tokens of the first pair (clean, corrupted). */
  tokens: string[];
  corruptedTokens: string[];
  pairs: number;
  cleanMetric: Float32Array;
  corruptedMetric: Float32Array;
  grids: Partial<Record<AttributionGridName, AttributionPatchingGrid>>;
  /** Wall time of the attribution estimate (all grids: 2 forward + 1 backward) and of each exact grid. */
  timing: { attributionMs: number; exactMs: number | null };
  settings: { metric: string; answers: number[] | null; wrongs: number[] | null; pos: number; grids: AttributionGridName[]; compare: boolean; forwardPasses: number; backwardPasses: number };
}

/** Pearson correlation of two equal-length arrays (NaN if either is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`pearson: arrays must have the same length; got ${a.length} and ${b.length}`);
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function tokenList(model: TransformerModel, v: number | string | (number | string)[], n: number, what: string, fn: string): number[] {
  const arr = Array.isArray(v) ? v : Array.from({ length: n }, () => v);
  if (arr.length !== n) throw new Error(`${fn}: opts.metric.${what} must be one token or one per prompt pair (${n}); got ${arr.length}`);
  return arr.map((t, i) => resolveToken(model, t, `metric.${what}[${i}]`, fn));
}

/** Per-row logit[answer_r] − logit[wrong_r] at position p: [batch]. Differentiable. */
function logitDiffRows(logits: tf.Tensor3D, answers: number[], wrongs: number[], p: number): tf.Tensor1D {
  const [B, , V] = logits.shape;
  const row = logits.slice([0, p, 0], [B, 1, V]).reshape([B, V]);
  const sel = tf.oneHot(tf.tensor1d(answers, "int32"), V).sub(tf.oneHot(tf.tensor1d(wrongs, "int32"), V));
  return row.mul(sel).sum(1) as tf.Tensor1D;
}

/** Attribution patching of clean → corrupted prompt pairs (see the file comment). */
export async function attributionPatching(
  model: TransformerModel,
  clean: Prompt | Prompt[],
  corrupted: Prompt | Prompt[],
  opts: AttributionPatchingOptions = {},
): Promise<AttributionPatchingResult> {
  const fn = "attributionPatching";
  const cleanList = promptList(clean);
  const corrList = promptList(corrupted);
  if (cleanList.length === 0) throw new Error(`${fn}: clean must be a prompt or a non-empty list of prompts`);
  if (cleanList.length !== corrList.length) throw new Error(`${fn}: clean and corrupted must have as many prompts; got ${cleanList.length} and ${corrList.length}`);
  const cl = cleanList.map((x) => prepareSingle(model, x, fn));
  const co = corrList.map((x) => prepareSingle(model, x, fn));
  const P = cl[0].ids.length;
  [...cl, ...co].forEach((x, i) => {
    if (x.ids.length !== P) {
      const which = i < cl.length ? `clean[${i}]` : `corrupted[${i - cl.length}]`;
      throw new Error(`${fn}: every prompt must have the same number of tokens (${P}, like clean[0]); ${which} has ${x.ids.length}`);
    }
  });
  const B = cl.length;
  const { nLayers: L, nHeads: H } = model.config;
  const names = new Set<string>(model.hookNames());
  const hasMlp = names.has("blocks.0.hook_mlp_out");
  const grids = opts.grids ?? ATTRIBUTION_GRIDS.filter((g) => g !== "mlp_out" || hasMlp);
  if (!Array.isArray(grids) || grids.length === 0) throw new Error(`${fn}: opts.grids must be a non-empty list of ${ATTRIBUTION_GRIDS.join(", ")}`);
  for (const g of grids) {
    if (!ATTRIBUTION_GRIDS.includes(g)) throw new Error(`${fn}: opts.grids entries must be one of ${ATTRIBUTION_GRIDS.join(", ")}; got ${JSON.stringify(g)}`);
    const site = actName(SITE[g], 0);
    if (!names.has(site)) throw new Error(`${fn}: grid "${g}" needs hook point ${site}, which this model does not have`);
  }
  const compare = opts.compare ?? false;

  // The metric: explicit logit difference, a function, or clean top − corrupted top.
  let metricFn: DifferentiableMetric;
  let metricName: string;
  let answers: number[] | null = null;
  let wrongs: number[] | null = null;
  let pos = P - 1;
  const cleanBatch = cl.map((x) => x.ids);
  const corrBatch = co.map((x) => x.ids);
  if (typeof opts.metric === "function") {
    if (compare) throw new Error(`${fn}: compare needs a logit-difference metric {answer, wrong, pos?} (exact patching measures the same); got a function`);
    metricFn = opts.metric;
    metricName = "custom";
  } else {
    const m = opts.metric;
    if (m !== undefined && (typeof m !== "object" || m === null || m.answer === undefined || m.wrong === undefined)) {
      throw new Error(`${fn}: opts.metric must be {answer, wrong, pos?} (token ids or one-token strings) or a differentiable function of the logits`);
    }
    pos = resolvePos(m?.pos ?? -1, P, fn, "metric.pos");
    if (m) {
      answers = tokenList(model, m.answer, B, "answer", fn);
      wrongs = tokenList(model, m.wrong, B, "wrong", fn);
    } else {
      const top = (batch: number[][]) => Array.from(tidyData<Int32Array>(() => {
        const lg = model.run(batch);
        return lg.slice([0, pos, 0], [B, 1, -1]).reshape([B, -1]).argMax(1);
      }));
      answers = top(cleanBatch);
      wrongs = top(corrBatch);
      answers.forEach((a, i) => {
        if (a === wrongs![i]) throw new Error(`${fn}: pair ${i}'s clean and corrupted runs predict the same top token (${a}); pass opts.metric = {answer, wrong}`);
      });
    }
    const [a, w] = [answers, wrongs];
    metricFn = (lg) => logitDiffRows(lg, a, w, pos);
    metricName = "logit difference";
  }

  // Hook points per grid; heads and heads_by_pos share hook_z.
  const sites = [...new Set(grids.map((g) => SITE[g]))];
  const hookNames: HookName[] = [];
  for (const s of sites) for (let l = 0; l < L; l++) hookNames.push(actName(s, l));

  const t0 = performance.now();
  const { logits: cleanLogits, cache: cleanCache } = model.runWithCache(cleanBatch, { names: hookNames });
  const corrActs = new Map<string, tf.Tensor>();
  const grads = new Map<string, tf.Tensor>();
  let cleanMetric: Float32Array;
  let corruptedMetric: Float32Array;
  try {
    cleanMetric = tidyData(() => metricFn(cleanLogits));
    // Zero perturbations at every hook point; ∂M/∂δ = ∂M/∂act on the corrupted run.
    const deltas = hookNames.map((n) => tf.zeros(cleanCache.get(n).shape));
    let rowMetric: tf.Tensor | null = null;
    try {
      const f = (...ds: tf.Tensor[]) => {
        const hooks: Hook[] = hookNames.map((n, i) => ({
          name: n,
          fn: (act: tf.Tensor) => {
            corrActs.set(n, tf.keep(act.clone()));
            return act.add(ds[i]);
          },
        }));
        const { logits } = model.runWithHooks(corrBatch, hooks);
        const perRow = metricFn(logits);
        rowMetric = tf.keep(perRow.clone());
        return perRow.sum() as tf.Scalar;
      };
      const { value, grads: gs } = tf.valueAndGrads(f)(deltas);
      value.dispose();
      hookNames.forEach((n, i) => grads.set(n, gs[i]));
      corruptedMetric = (rowMetric! as tf.Tensor).dataSync() as Float32Array;
    } finally {
      deltas.forEach((t) => t.dispose());
      (rowMetric as tf.Tensor | null)?.dispose();
    }
    corruptedMetric = corruptedMetric.slice();
  } catch (e) {
    cleanLogits.dispose();
    cleanCache.dispose();
    corrActs.forEach((t) => t.dispose());
    grads.forEach((t) => t.dispose());
    throw e;
  }

  // (clean − corrupted) · grad, summed over the last axis: [B, P] per layer, or [B, P, H] for z.
  const out: Partial<Record<AttributionGridName, AttributionPatchingGrid>> = {};
  try {
    const perSite = new Map<string, Float32Array[]>(); // site -> per layer [B, P] or [B, P, H]
    for (const s of sites) {
      perSite.set(
        s,
        Array.from({ length: L }, (_, l) => {
          const n = actName(s, l);
          return tidyData(() => cleanCache.get(n).sub(corrActs.get(n)!).mul(grads.get(n)!).sum(-1));
        }),
      );
    }
    const tokens = cl[0].tokens;
    for (const g of grids) {
      const layers = perSite.get(SITE[g])!;
      let shape: number[];
      let dims: string[];
      let raw: Float32Array;
      if (g === "heads" || g === "heads_by_pos") {
        shape = g === "heads" ? [L, H] : [L, H, P];
        dims = g === "heads" ? ["layer", "head"] : ["layer", "head", "pos"];
        const cells = g === "heads" ? L * H : L * H * P;
        raw = new Float32Array(B * cells);
        for (let b = 0; b < B; b++) {
          for (let l = 0; l < L; l++) {
            const a = layers[l]; // [B, P, H]
            for (let p = 0; p < P; p++) {
              for (let h = 0; h < H; h++) {
                const v = a[(b * P + p) * H + h];
                if (g === "heads") raw[b * cells + l * H + h] += v;
                else raw[b * cells + (l * H + h) * P + p] = v;
              }
            }
          }
        }
      } else {
        shape = [L, P];
        dims = ["layer", "pos"];
        raw = new Float32Array(B * L * P);
        for (let b = 0; b < B; b++) for (let l = 0; l < L; l++) raw.set(layers[l].subarray(b * P, (b + 1) * P), (b * L + l) * P);
      }
      out[g] = {
        kind: "attribution-patching-grid",
        grid: g,
        site: SITE[g],
        data: meanNormalised(raw, B, cleanMetric!, corruptedMetric!),
        raw,
        shape,
        dims,
        tokens,
        metric: metricName,
      };
    }
  } finally {
    cleanLogits.dispose();
    cleanCache.dispose();
    corrActs.forEach((t) => t.dispose());
    grads.forEach((t) => t.dispose());
  }
  const attributionMs = performance.now() - t0;

  let exactMs: number | null = null;
  if (compare) {
    exactMs = 0;
    const progress = new WorkProgress(grids.length * B, opts, "attributionPatching");
    const run: Record<AttributionGridName, (c: Prompt, k: Prompt, o: PatchingOptions) => Promise<PatchingResult>> = {
      resid: (c, k, o) => patchResidByPos(model, c, k, o),
      attn_out: (c, k, o) => patchAttnOutByPos(model, c, k, o),
      mlp_out: (c, k, o) => patchMlpOutByPos(model, c, k, o),
      heads: (c, k, o) => patchHeadOut(model, c, k, o),
      heads_by_pos: (c, k, o) => patchHeadOutByPos(model, c, k, o),
    };
    for (const g of grids) {
      const grid = out[g]!;
      const exact = new Float32Array(grid.data.length);
      const t1 = performance.now();
      for (let b = 0; b < B; b++) {
        const r = await run[g](cleanBatch[b], corrBatch[b], {
          metric: { answer: answers![b], wrong: wrongs![b], pos },
          memoryBudgetBytes: opts.memoryBudgetBytes,
          signal: opts.signal,
          onProgress: undefined,
          progressBar: false,
        });
        for (let i = 0; i < exact.length; i++) exact[i] += r.data[i] / B;
        progress.tick();
      }
      grid.exactMs = performance.now() - t1;
      exactMs += grid.exactMs;
      grid.exact = exact;
      grid.correlation = pearson(grid.data, exact);
    }
  }
  return {
    kind: "attribution-patching",
    tokens: cl[0].tokens,
    corruptedTokens: co[0].tokens,
    pairs: B,
    cleanMetric: cleanMetric!,
    corruptedMetric: corruptedMetric!,
    grids: out,
    timing: { attributionMs, exactMs },
    settings: { metric: metricName, answers, wrongs, pos, grids: [...grids], compare, forwardPasses: 2, backwardPasses: 1 },
  };
}

/** raw [B, n] / (clean − corrupted) per pair, averaged over pairs: [n]. */
function meanNormalised(raw: Float32Array, B: number, clean: Float32Array, corrupted: Float32Array): Float32Array {
  const n = raw.length / B;
  const out = new Float32Array(n);
  for (let b = 0; b < B; b++) {
    const den = clean[b] - corrupted[b];
    for (let i = 0; i < n; i++) out[i] += raw[b * n + i] / den / B;
  }
  return out;
}
