/**
 * "Attention is not explanation" (Jain & Wallace 2019) for transformer heads. The attention
 * studied is one head's attention from the last position over the input; the output is the
 * next-token distribution at the last position, and importance is about the predicted token.
 *  - grad×input: |Σ_d ∂p(pred)/∂e_t · e_t| over token embeddings e_t, normalised to sum 1,
 *    with every attention pattern held fixed (detached), as the paper does;
 *  - integrated gradients (Sundararajan et al.) from a zero token embedding, `steps` midpoints,
 *    attention not detached (IG needs the full path), |IG_t| normalised;
 *  - leave-one-out: TVD between the output with token t deleted and the full output (the last
 *    token is the query, so it is not left out);
 *  - Kendall τ-b between the attention and each measure, without the first and last tokens.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName } from "../hooks/names";
import { checkHead, checkInt, checkLayer, prepareSingle } from "./common";
import { tvd } from "./metrics";
import { tidyData } from "../backend";

export interface HeadChoice {
  /** Default: the last layer. */
  layer?: number;
  /** Default 0. */
  head?: number;
}

/** Kendall τ-b (ties in either ranking accounted for), O(n²). */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new Error(`kendallTauB: x and y must have the same length; got ${x.length} and ${y.length}`);
  if (x.length < 2) throw new Error("kendallTauB: need at least 2 pairs");
  let conc = 0, disc = 0, tieX = 0, tieY = 0;
  for (let i = 0; i < x.length; i++) {
    for (let j = i + 1; j < x.length; j++) {
      const a = Math.sign(x[i] - x[j]);
      const b = Math.sign(y[i] - y[j]);
      if (a === 0 && b === 0) continue;
      if (a === 0) tieX++;
      else if (b === 0) tieY++;
      else if (a === b) conc++;
      else disc++;
    }
  }
  const den = Math.sqrt((conc + disc + tieX) * (conc + disc + tieY));
  return den === 0 ? NaN : (conc - disc) / den;
}

export function resolveHead(model: TransformerModel, opts: HeadChoice, fn: string): { layer: number; head: number } {
  const layer = opts.layer ?? model.config.nLayers - 1;
  const head = opts.head ?? 0;
  checkLayer(model, layer, fn);
  checkHead(model, head, fn);
  return { layer, head };
}

/**
 * The values of a tensor made inside `make` (run in tf.tidy), read outside it. Returning a
 * TypedArray from tf.tidy makes tidy walk it element by element looking for tensors: for the
 * next-token distributions of 100 permutations (100 × 49,152 values on SmolLM2) that walk took
 * 53 s of a 60 s permutation test on tfjs-node, against 0.2 s for the forward passes.
 */

/** Next-token distribution at the last position and the head's last-row attention, for one sequence. */
export function baseRun(model: TransformerModel, ids: number[], layer: number, head: number): { probs: Float32Array; attention: Float32Array; pred: number } {
  const P = ids.length;
  const { logits, cache } = model.runWithCache([ids], { names: [actName("pattern", layer)] });
  try {
    const probs = tidyData(() => tf.softmax(logits.slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])));
    const attention = tidyData(() => cache.get(actName("pattern", layer)).slice([0, head, P - 1, 0], [1, 1, 1, P]).reshape([P]));
    let pred = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[pred]) pred = i;
    return { probs, attention, pred };
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

function normalisedAbs(v: Float32Array): Float32Array {
  const a = v.map(Math.abs);
  const s = a.reduce((x, y) => x + y, 0);
  return s > 0 ? a.map((x) => x / s) : a;
}

export interface AttributionResult {
  kind: "attribution";
  tokens: string[];
  predicted: { id: number; token: string; prob: number };
  /** [pos] each. */
  attention: Float32Array;
  gradInput: Float32Array;
  integratedGradients: Float32Array;
  leaveOneOut: Float32Array;
  /** Signed values before normalisation: Σ_d grad·e per token, and IG per token (sums to ≈ p(x) − p(baseline)). */
  raw: { gradInput: Float32Array; integratedGradients: Float32Array };
  /** Kendall τ-b of attention against each measure, first and last tokens excluded. */
  kendall: { gradInput: number; integratedGradients: number; leaveOneOut: number };
  settings: { layer: number; head: number; steps: number; baseline: "zero embedding"; detachAttention: { gradInput: true; integratedGradients: false } };
}

export function attributions(model: TransformerModel, input: string | number[], opts: HeadChoice & { steps?: number } = {}): AttributionResult {
  const fn = "attributions";
  const { layer, head } = resolveHead(model, opts, fn);
  const steps = opts.steps ?? 32;
  checkInt(steps, 1, 10000, "steps", fn);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  if (P < 4) throw new Error(`${fn}: need at least 4 tokens (the correlations leave out the first and last); got ${P}`);
  const { probs, attention, pred } = baseRun(model, ids, layer, head);
  const L = model.config.nLayers;
  const emb = tf.tidy(() => tf.gather(model.weights.W_E, tf.tensor1d(ids, "int32")).expandDims(0)) as tf.Tensor3D; // [1, P, d]
  // Patterns of the plain run, returned by hooks so no gradient flows through the softmax scores.
  const names = Array.from({ length: L }, (_, l) => actName("pattern", l));
  const fixed = model.runWithCache([ids], { names });
  fixed.logits.dispose();
  const predProb = (rows: number, x: tf.Tensor, hooks: Hook[]) => {
    const { logits } = model.runWithHooks(Array.from({ length: rows }, () => ids), [{ name: "hook_embed", fn: () => x }, ...hooks]);
    return tf.softmax(logits.slice([0, P - 1, 0], [rows, 1, -1]).reshape([rows, -1])).slice([0, pred], [rows, 1]).sum();
  };
  let gradInput: Float32Array;
  let integratedGradients: Float32Array;
  try {
    const detach: Hook[] = names.map((n) => ({ name: n, fn: () => fixed.cache.get(n) }));
    gradInput = tidyData(() => {
      const g = tf.grad((x: tf.Tensor) => predProb(1, x, detach))(emb);
      return g.mul(emb).sum(-1).reshape([P]);
    });
    integratedGradients = tidyData(() => {
      const alphas = tf.linspace(0.5 / steps, 1 - 0.5 / steps, steps).reshape([steps, 1, 1]); // midpoint rule
      const path = alphas.mul(emb); // [steps, P, d], baseline 0
      const g = tf.grad((x: tf.Tensor) => predProb(steps, x, []))(path);
      return g.mean(0).mul(emb.squeeze([0])).sum(-1);
    });
  } finally {
    emb.dispose();
    fixed.cache.dispose();
  }
  // Leave-one-out: all deletions in one batch of P − 1 rows of length P − 1.
  const rows = Array.from({ length: P - 1 }, (_, t) => ids.filter((_, i) => i !== t));
  const leaveOneOut = new Float32Array(P).fill(NaN);
  const pr = tidyData(() => tf.softmax(model.run(rows).slice([0, P - 2, 0], [P - 1, 1, -1]).reshape([P - 1, -1])));
  const V = probs.length;
  for (let t = 0; t < P - 1; t++) leaveOneOut[t] = tvd(pr.subarray(t * V, (t + 1) * V), probs);
  const gi = normalisedAbs(gradInput);
  const ig = normalisedAbs(integratedGradients);
  const inner = (v: Float32Array) => v.subarray(1, P - 1);
  let token = String(pred);
  try {
    token = model.toStrTokens([pred])[0];
  } catch { /* no tokenizer */ }
  return {
    kind: "attribution",
    tokens,
    predicted: { id: pred, token, prob: probs[pred] },
    attention,
    gradInput: gi,
    integratedGradients: ig,
    leaveOneOut,
    raw: { gradInput, integratedGradients },
    kendall: {
      gradInput: kendallTauB(inner(attention), inner(gi)),
      integratedGradients: kendallTauB(inner(attention), inner(ig)),
      leaveOneOut: kendallTauB(inner(attention), inner(leaveOneOut)),
    },
    settings: { layer, head, steps, baseline: "zero embedding", detachAttention: { gradInput: true, integratedGradients: false } },
  };
}
