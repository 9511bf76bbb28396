/**
 * Induction-head measures (Olsson et al. 2022): repeated random tokens, prefix matching,
 * copying through OV and the unembedding, the in-context-learning score, and K-composition
 * between heads (Elhage et al. 2021).
 */
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel } from "../model/types";
import { architecture } from "../model/architectures";
import { kvHeadOf } from "../model/attention";
import { actName, type HookName } from "../hooks/names";
import { checkInt, prepareSingle, promptList } from "./common";
import { tokenLosses } from "./metrics";
import { Rng } from "./rng";
import { tidyDataAll } from "../backend";

export interface RepeatedTokensOptions {
  /** Length of the random block that is repeated. */
  seqLen: number;
  batch?: number;
  /** How many copies of the block (default 2). */
  repeats?: number;
  seed?: number;
  /** Token id put first in every row (e.g. GPT-2's <|endoftext|>); none when undefined. */
  bos?: number;
  /** Random ids are drawn from [lo, hi); default the whole vocabulary (minus bos). */
  range?: [number, number];
}

/** Rows of [bos?] + block + block (+ block…), each block uniformly random, seeded. */
export function repeatedRandomTokens(vocab: number, opts: RepeatedTokensOptions): { ids: number[][]; offset: number; settings: Required<Omit<RepeatedTokensOptions, "bos">> & { bos: number | null } } {
  const fn = "repeatedRandomTokens";
  checkInt(opts.seqLen, 1, 1e6, "seqLen", fn);
  const batch = opts.batch ?? 1;
  const repeats = opts.repeats ?? 2;
  const seed = opts.seed ?? 0;
  checkInt(batch, 1, 1e6, "batch", fn);
  checkInt(repeats, 2, 1000, "repeats", fn);
  const [lo, hi] = opts.range ?? [0, vocab];
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && 0 <= lo && lo < hi && hi <= vocab)) throw new Error(`${fn}: range must be [lo, hi) within [0, ${vocab}]; got [${lo}, ${hi}]`);
  const rng = new Rng(seed);
  const ids: number[][] = [];
  for (let b = 0; b < batch; b++) {
    const block: number[] = [];
    for (let i = 0; i < opts.seqLen; i++) {
      let t = lo + rng.int(hi - lo);
      if (opts.bos !== undefined && t === opts.bos && hi - lo > 1) t = t + 1 < hi ? t + 1 : lo;
      block.push(t);
    }
    const row = opts.bos !== undefined ? [opts.bos] : [];
    for (let r = 0; r < repeats; r++) row.push(...block);
    ids.push(row);
  }
  return { ids, offset: opts.bos !== undefined ? 1 : 0, settings: { seqLen: opts.seqLen, batch, repeats, seed, range: [lo, hi], bos: opts.bos ?? null } };
}

export interface InductionResult {
  kind: "induction-scores";
  /** [layer, head]: mean attention from each later-repeat token to the token after its earlier occurrence. */
  prefixMatching: Float32Array;
  /** [layer, head]: mean z-score of the attended token's direct logit through the head's OV circuit. */
  copying: Float32Array;
  /** [layer, head]: fraction of attended tokens that the head's OV output ranks in its top 5 logits. */
  copyingTop5: Float32Array;
  shape: [number, number];
  /** Mean next-token loss per position over the batch: [pos − 1]. */
  lossByPosition: Float32Array;
  /** Mean loss on the first block and on the repeats. */
  lossFirstBlock: number;
  lossRepeats: number;
  ids: number[][];
  settings: ReturnType<typeof repeatedRandomTokens>["settings"];
}

/**
 * Runs the model on repeated random tokens and scores every head. For a token at position i
 * in a repeat, its earlier occurrence is i − seqLen, and an induction head attends to
 * i − seqLen + 1. Copying takes the attended position's LayerNorm-ed residual through the
 * head's W_V W_O, then the final LayerNorm's scale at the query and the unembedding.
 */
export function inductionScores(model: TransformerModel, opts: RepeatedTokensOptions): InductionResult {
  const fn = "inductionScores";
  const { nLayers: L, nHeads: H, dVocab: V } = model.config;
  const rep = repeatedRandomTokens(V, opts);
  const { ids, offset } = rep;
  const S = rep.settings.seqLen;
  const n = ids[0].length;
  if (n > model.config.nCtx) throw new Error(`${fn}: ${n} tokens exceed the model's context of ${model.config.nCtx}; lower seqLen or repeats`);
  const B = ids.length;
  const names: HookName[] = [];
  for (let l = 0; l < L; l++) names.push(actName("pattern", l), actName("ln1_normalized", l));
  // Pre-norm decoders read the residual through a final norm whose scale the copying score divides by.
  const gpt = architecture(model.config).preNorm;
  if (gpt) names.push("ln_final.hook_scale");
  const { logits, cache } = model.runWithCache(ids, { names });
  try {
    const loss = tokenLosses(logits, ids.flat());
    const lossByPosition = new Float32Array(n - 1);
    for (let b = 0; b < B; b++) for (let t = 0; t < n - 1; t++) lossByPosition[t] += loss.data[b * (n - 1) + t] / B;
    // Position t predicts token t + 1: the first block's predictions are t + 1 in [offset, offset + S).
    let first = 0;
    let rest = 0;
    for (let t = 0; t < n - 1; t++) (t + 1 < offset + S ? (first += lossByPosition[t]) : (rest += lossByPosition[t]));
    const queries: [number, number][] = []; // [batch, query position] in the repeats
    for (let b = 0; b < B; b++) for (let i = offset + S; i < n; i++) queries.push([b, i]);
    const prefixMatching = new Float32Array(L * H);
    const copying = new Float32Array(L * H);
    const copyingTop5 = new Float32Array(L * H);
    for (let l = 0; l < L; l++) {
      const pat = cache.get(actName("pattern", l)).dataSync() as Float32Array; // [B, H, n, n]
      for (let h = 0; h < H; h++) {
        let s = 0;
        for (const [b, i] of queries) s += pat[((b * H + h) * n + i) * n + (i - S + 1)];
        prefixMatching[l * H + h] = s / queries.length;
      }
      const c = copyScores(model, l, cache.get(actName("ln1_normalized", l)) as tf.Tensor3D, gpt ? (cache.get("ln_final.hook_scale") as tf.Tensor3D) : null, ids, queries, S);
      copying.set(c.z, l * H);
      copyingTop5.set(c.top5, l * H);
    }
    return {
      kind: "induction-scores",
      prefixMatching,
      copying,
      copyingTop5,
      shape: [L, H],
      lossByPosition,
      lossFirstBlock: first / Math.max(1, offset + S - 1),
      lossRepeats: rest / Math.max(1, n - 1 - (offset + S - 1)),
      ids,
      settings: rep.settings,
    };
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

function copyScores(
  model: TransformerModel,
  layer: number,
  normed: tf.Tensor3D, // [B, n, d], ln1 before its affine map
  finalScale: tf.Tensor3D | null, // [B, n, 1]
  ids: number[][],
  queries: [number, number][],
  S: number,
): { z: Float32Array; top5: Float32Array } {
  const w = model.weights.blocks[layer];
  const { nHeads: H } = model.config;
  const n = ids[0].length;
  const keys = queries.map(([b, i]) => b * n + (i - S + 1));
  const qrows = queries.map(([b, i]) => b * n + i);
  const targets = keys.map((k) => ids[Math.floor(k / n)][k % n]);
  const out = tidyDataAll(() => {
    const d = normed.shape[2];
    let x = tf.gather(normed.reshape([-1, d]), tf.tensor1d(keys, "int32")).mul(w.ln1_w); // [Q, d]
    if (w.ln1_b) x = x.add(w.ln1_b);
    // Each query head's value head (grouped-query attention shares them): [H, d, e], [H, 1, e]
    const G = w.W_V.shape[0];
    const kv = G === H ? null : tf.tensor1d(Array.from({ length: H }, (_, h) => kvHeadOf(h, H, G)), "int32");
    const WV = kv ? tf.gather(w.W_V, kv) : w.W_V;
    const bV = kv ? tf.gather(w.b_V, kv) : w.b_V;
    // [H, Q, d] @ [H, d, e] -> [H, Q, e] -> @ [H, e, d] -> [H, Q, d]
    const v = tf.matMul(tf.broadcastTo(x, [H, ...x.shape]), WV).add(bV.expandDims(1));
    let o = tf.matMul(v, w.W_O);
    const mw = model.weights;
    if (finalScale && mw.ln_final_w) {
      // The query's own final-norm scale; LayerNorm also centres (RMSNorm does not); gains, no bias.
      const sc = tf.gather(finalScale.reshape([-1, 1]), tf.tensor1d(qrows, "int32")); // [Q, 1]
      if (architecture(model.config).norm === "layernorm") o = o.sub(o.mean(-1, true));
      o = o.div(sc).mul(mw.ln_final_w);
    }
    const vocab = mw.W_U.shape[1];
    const lg = tf.matMul(o.reshape([-1, o.shape[2] as number]), mw.W_U).reshape([H, keys.length, vocab]); // [H, Q, V]
    const mean = lg.mean(-1, true);
    const std = lg.sub(mean).square().mean(-1, true).sqrt().add(1e-12);
    const tgt = tf.oneHot(tf.tensor1d(targets, "int32"), vocab).expandDims(0); // [1, Q, V]
    const tl = lg.mul(tgt).sum(-1, true); // [H, Q, 1]
    const z = tl.sub(mean).div(std).mean([1, 2]);
    const higher = lg.greater(tl).cast("float32").sum(-1); // [H, Q] tokens strictly above the target
    const top5 = higher.less(5).cast("float32").mean(1);
    return [z, top5];
  }) as Float32Array[];
  return { z: out[0], top5: out[1] };
}

export interface IclResult {
  kind: "icl-score";
  /** loss(late) − loss(early), averaged over the batch; negative when later tokens are easier. */
  score: number;
  early: number;
  late: number;
  lossByPosition: Float32Array;
  tokens: string[][];
  settings: { early: number; late: number; scaledFrom: "olsson-500-50" | "user" };
}

/**
 * In-context-learning score: the loss of predicting token `late` minus that of token `early`.
 * Olsson et al. use tokens 500 and 50; by default attnlab keeps their 10:1 ratio within the
 * input: late = last token, early = round(late / 10) (at least 1).
 */
export function iclScore(model: TransformerModel, inputs: (string | number[])[] | string | number[], opts: { early?: number; late?: number } = {}): IclResult {
  const fn = "iclScore";
  const list = promptList(inputs);
  const rows = list.map((x) => prepareSingle(model, x, fn));
  const n = rows[0].ids.length;
  rows.forEach((r, i) => {
    if (r.ids.length !== n) throw new Error(`${fn}: every input must have the same number of tokens; input 0 has ${n}, input ${i} has ${r.ids.length}`);
  });
  if (n < 3) throw new Error(`${fn}: inputs need at least 3 tokens; got ${n}`);
  const late = opts.late ?? n - 1;
  const early = opts.early ?? Math.max(1, Math.round(late / 10));
  checkInt(late, 1, n - 1, "late (token index)", fn);
  checkInt(early, 1, late - 1, "early (token index)", fn);
  const logits = model.run(rows.map((r) => r.ids));
  try {
    const loss = tokenLosses(logits, rows.flatMap((r) => r.ids));
    const lossByPosition = new Float32Array(n - 1);
    for (let b = 0; b < rows.length; b++) for (let t = 0; t < n - 1; t++) lossByPosition[t] += loss.data[b * (n - 1) + t] / rows.length;
    // Token k is predicted at position k − 1.
    return {
      kind: "icl-score",
      score: lossByPosition[late - 1] - lossByPosition[early - 1],
      early,
      late,
      lossByPosition,
      tokens: rows.map((r) => r.tokens),
      settings: { early, late, scaledFrom: opts.early === undefined && opts.late === undefined ? "olsson-500-50" : "user" },
    };
  } finally {
    logits.dispose();
  }
}

export interface KCompositionResult {
  kind: "k-composition";
  /** [layer A, head A, layer B, head B]; zero unless layer A < layer B. */
  scores: Float32Array;
  shape: [number, number, number, number];
  settings: { formula: string };
}

/**
 * K-composition of every earlier head A into every later head B:
 * ‖W_OV^A · (W_QK^B)ᵀ‖_F / (‖W_OV^A‖_F ‖W_QK^B‖_F), with W_OV = W_V W_O and W_QK = W_Q W_Kᵀ
 * ([d, d], row-vector convention). Norms are computed through [e, e] Gram matrices, so no
 * [d, d] product is formed: ‖V C Qᵀ‖² = tr(VᵀV · C · QᵀQ · Cᵀ) with C = W_O^A W_K^B.
 */
export function kComposition(model: TransformerModel): KCompositionResult {
  const { nLayers: L, nHeads: H } = model.config;
  const scores = new Float32Array(L * H * L * H);
  tf.tidy(() => {
    const gram = (W: tf.Tensor3D) => tf.matMul(W, W, true, false); // [H, e, e] = Wᵀ W
    const blk = model.weights.blocks;
    const gV = blk.map((b) => gram(b.W_V));
    const gQ = blk.map((b) => gram(b.W_Q));
    const gK = blk.map((b) => gram(b.W_K));
    const oOt = blk.map((b) => tf.matMul(b.W_O, b.W_O, false, true)); // [H, e, e] = W_O W_Oᵀ
    const trace = (a: tf.Tensor, b: tf.Tensor) => a.mul(b.transpose([0, 2, 1])).sum([1, 2]); // tr(A B) per head
    const normOV = blk.map((_, l) => trace(gV[l], oOt[l]).sqrt()); // [H]
    const normQK = blk.map((_, l) => trace(gQ[l], gK[l]).sqrt());
    for (let a = 0; a < L; a++) {
      for (let b = a + 1; b < L; b++) {
        for (let ha = 0; ha < H; ha++) {
          const C = tf.matMul(blk[a].W_O.slice([ha, 0, 0], [1, -1, -1]).broadcastTo([H, blk[a].W_O.shape[1], blk[a].W_O.shape[2]]), blk[b].W_K); // [H_B, e, e]
          const left = tf.matMul(gV[a].slice([ha, 0, 0], [1, -1, -1]).broadcastTo(C.shape), C); // VᵀV C
          const right = tf.matMul(C, gQ[b]); // C QᵀQ
          const num = left.mul(right).sum([1, 2]).sqrt(); // tr(VᵀV C QᵀQ Cᵀ) = Σ (VᵀV C) ⊙ (C QᵀQ), both factors symmetric-Gram
          const den = normOV[a].slice([ha], [1]).mul(normQK[b]);
          const s = num.div(den.add(1e-30)).dataSync();
          for (let hb = 0; hb < H; hb++) scores[((a * H + ha) * L + b) * H + hb] = s[hb];
        }
      }
    }
  });
  return { kind: "k-composition", scores, shape: [L, H, L, H], settings: { formula: "‖W_OV^A (W_QK^B)ᵀ‖_F / (‖W_OV^A‖_F ‖W_QK^B‖_F)" } };
}
