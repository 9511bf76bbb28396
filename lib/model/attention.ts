/** Multi-head self-attention with TransformerLens hook points. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { BlockContext } from "./arch";
import type { HookState } from "./hooked";
import { linear, reshapeTo } from "./linear";
import { applyRotary } from "./rotary";
import { DerivedWeights } from "./derived";
import type { LayerWeights, ModelConfig } from "./types";

/** [h, d, e] -> [d, h*e], so one matmul projects every head at once. */
function fuseHeads(W: tf.Tensor3D): tf.Tensor2D {
  const [h, d, e] = W.shape;
  return tf.reshape(tf.transpose(W, [1, 0, 2]), [d, h * e]);
}

/**
 * Fused [d, (H + 2G)·e] projection W_Q | W_K | W_V of a model's layers and b_Q | b_K | b_V
 * flattened, [(H + 2G)·e] (derived.ts says when they are used). Why: re-fusing the [h, d, e]
 * matrices on every call costs three weight transposes per layer (on tfjs-node the [9, 576, 64] one
 * of SmolLM2 took up to 26 ms on a loaded machine), one matmul on the fused matrix replaces three,
 * and one bias add before the split replaces three after it.
 */
export const fusedQKV = new DerivedWeights<LayerWeights>(
  (w) => [w.W_Q, w.W_K, w.W_V, w.b_Q, w.b_K, w.b_V],
  (w) => [
    tf.concat([fuseHeads(w.W_Q), fuseHeads(w.W_K), fuseHeads(w.W_V)], 1),
    tf.concat([w.b_Q, w.b_K, w.b_V].map((t) => tf.reshape(t, [-1]))),
  ],
);

/**
 * Additive mask, [batch, 1, query, key]: 0 where the key is a real token and (when causal) not in
 * the future, -Infinity elsewhere. Adding it (rather than tf.where) broadcasts over heads without
 * materialising a [batch, head, query, key] condition, which wasm's Tile makes slow. Built in
 * JavaScript from the [batch, pos] 0/1 mask: tf.linalg.bandPart is a chain of small ops (an
 * unstack/stack of p rows) that cost more than the whole mask (about 1 ms per 128 positions on
 * tfjs-node, more on a loaded machine).
 */
export function attentionMask(mask: tf.Tensor2D, causal: boolean): tf.Tensor4D {
  const [b, p] = mask.shape;
  return attentionMaskFrom(mask.dataSync() as Int32Array, b, p, causal);
}

/** The same mask from the [batch, pos] row-major 0/1 array itself. */
export function attentionMaskFrom(mask: ArrayLike<number>, b: number, p: number, causal: boolean): tf.Tensor4D {
  // -inf (not a large negative number) as TransformerLens does, so masked entries are exactly 0 after softmax.
  const out = new Float32Array(b * p * p);
  for (let i = 0; i < b; i++) {
    for (let q = 0; q < p; q++) {
      const row = (i * p + q) * p;
      for (let k = 0; k < p; k++) out[row + k] = mask[i * p + k] !== 0 && (!causal || k <= q) ? 0 : -Infinity;
    }
  }
  return tf.tensor4d(out, [b, 1, p, p]);
}

/** Key/value head read by each query head under grouped-query attention: ⌊h · g / H⌋. */
export function kvHeadOf(h: number, nHeads: number, nKVHeads: number): number {
  return Math.floor((h * nKVHeads) / nHeads);
}

/**
 * x: [batch, pos, d] (the attention input after any norm); ctx: mask, and for KV-cached calls the
 * past keys/values, the absolute first position and the first query row (see BlockContext).
 * `rot`: rotary tables for the rows of x (Llama), applied to queries and keys after hook_q/hook_k.
 * Returns the attention output [batch, pos − queryFrom, d] before hook_attn_out.
 * hook_k/hook_v have the key/value-head count; hook_pattern and hook_z one entry per query head.
 * hook_result ([batch, pos, head, d]) is only materialised when a hook or the cache wants it.
 */
export function attention(
  x: tf.Tensor3D,
  w: LayerWeights,
  ctx: BlockContext,
  cfg: ModelConfig,
  hs: HookState,
  layer: number,
  rot?: { cos: tf.Tensor2D; sin: tf.Tensor2D },
): tf.Tensor3D {
  const [b, T, d] = x.shape;
  const H = cfg.nHeads;
  const G = cfg.nKVHeads ?? H;
  const e = cfg.dHead;
  const qf = ctx.queryFrom ?? 0;
  const Tq = T - qf;
  const name = (s: string) => `blocks.${layer}.attn.${s}` as HookName;
  const xq = qf > 0 ? (tf.slice(x, [0, qf, 0], [b, Tq, d]) as tf.Tensor3D) : x;
  const project = (inp: tf.Tensor3D, W: tf.Tensor3D, bias: tf.Tensor2D, n: number, heads: number): tf.Tensor4D =>
    tf.add(tf.reshape(linear(inp, fuseHeads(W)), [b, n, heads, e]), bias); // [batch, pos, heads, e]

  const fused = qf === 0 ? fusedQKV.current(w) : null;
  let q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D;
  if (fused) {
    // One reshape to [batch, pos, H + 2G, e] and a split over the heads axis: q, k and v come out
    // in their hook shape (on tfjs-node every reshape is a TensorFlow op of its own).
    const qkv = tf.reshape(linear(x, fused[0] as tf.Tensor2D, fused[1] as tf.Tensor1D), [b, T, H + 2 * G, e]);
    const [pq, pk, pv] = tf.split(qkv, [H, G, G], 2) as tf.Tensor4D[];
    q = hs.point(name("hook_q"), layer, pq);
    k = hs.point(name("hook_k"), layer, pk);
    v = hs.point(name("hook_v"), layer, pv);
  } else {
    q = hs.point(name("hook_q"), layer, project(xq, w.W_Q, w.b_Q, Tq, H));
    k = hs.point(name("hook_k"), layer, project(x, w.W_K, w.b_K, T, G));
    v = hs.point(name("hook_v"), layer, project(x, w.W_V, w.b_V, T, G));
  }
  if (rot) {
    const cq = qf > 0 ? (rot.cos.slice([qf, 0], [Tq, -1]) as tf.Tensor2D) : rot.cos;
    const sq = qf > 0 ? (rot.sin.slice([qf, 0], [Tq, -1]) as tf.Tensor2D) : rot.sin;
    q = hs.point(name("hook_rot_q"), layer, applyRotary(q, cq, sq));
    k = hs.point(name("hook_rot_k"), layer, applyRotary(k, rot.cos, rot.sin));
  }
  let K = tf.transpose(k, [0, 2, 1, 3]) as tf.Tensor4D; // [batch, g, pos, e]
  let V = tf.transpose(v, [0, 2, 1, 3]) as tf.Tensor4D;
  ctx.onKV?.(K, V);
  if (ctx.past) {
    K = tf.concat([ctx.past.K, K], 2);
    V = tf.concat([ctx.past.V, V], 2);
  }
  // Grouped-query attention without copying K/V out to H heads: query heads g·r … g·r+r−1 all read
  // KV head g (⌊h·G/H⌋ with r = H/G), so the r heads' query rows are stacked into one matmul per KV
  // head: [batch, G, r·query, e] @ [batch, G, key, e]^T. Uneven groupings gather the heads out.
  const grouped = G !== H && H % G === 0;
  if (G !== H && !grouped) {
    const idx = tf.tensor1d(Array.from({ length: H }, (_, h) => kvHeadOf(h, H, G)), "int32");
    K = tf.gather(K, idx, 1);
    V = tf.gather(V, idx, 1);
  }
  const Tk = K.shape[2];
  const r = grouped ? H / G : 1;
  const Gm = grouped ? G : H;
  // Scaling by 1/sqrt(e): when that is a power of two (e a power of 4: 64 -> 1/8) the queries are
  // scaled before the matmul, an exact multiplication on [.., query, e] instead of the scores'
  // [.., query, key], with bit-identical scores; otherwise the scores are divided.
  const sqrtE = Math.sqrt(e);
  const exactScale = Number.isInteger(Math.log2(sqrtE));
  let qh = reshapeTo(tf.transpose(q, [0, 2, 1, 3]), [b, Gm, r * Tq, e]);
  if (exactScale) qh = tf.mul(qh, 1 / sqrtE);

  // [batch, h, query, e] @ [batch, h, key, e]^T -> [batch, h, query, key] (transposeB measured faster on wasm).
  const qk = reshapeTo(tf.matMul(qh, K, false, true), [b, H, Tq, Tk]);
  let scores = tf.add(exactScale ? qk : tf.div(qk, sqrtE), ctx.maskAdd) as tf.Tensor4D;
  scores = hs.point(name("hook_attn_scores"), layer, scores);
  const pattern = hs.point(name("hook_pattern"), layer, tf.softmax(scores) as tf.Tensor4D);

  // [batch, h, query, key] @ [batch, h, key, e] -> [batch, h, query, e] -> [batch, query, h, e]
  const zh = reshapeTo(tf.matMul(reshapeTo(pattern, [b, Gm, r * Tq, Tk]), V), [b, H, Tq, e]);
  const z = hs.point(name("hook_z"), layer, tf.transpose(zh, [0, 2, 1, 3]) as tf.Tensor4D);

  // hook_result is materialised here only when a hook may read or replace it (the attention output
  // is then the sum of the, possibly replaced, per-head results); a cache that wants it gets it
  // computed from z when read (the same matmul), and the output is one fused matmul.
  const resultName = name("hook_result");
  if (hs.hooked(resultName)) {
    const result = hs.point(resultName, layer, perHeadResult(z, w.W_O));
    return tf.add(tf.sum(result, 2), w.b_O);
  }
  hs.deferredPoint(resultName, [b, Tq, H, d], [z, w.W_O], (zz, WO) => perHeadResult(zz as tf.Tensor4D, WO as tf.Tensor3D));
  const WO = tf.reshape(w.W_O, [H * e, d]) as tf.Tensor2D;
  return linear(tf.reshape(z, [b, Tq, H * e]) as tf.Tensor3D, WO, w.b_O);
}

/** z [batch, query, h, e], W_O [h, e, d] -> each head's output, [batch, query, h, d] (hook_result). */
export function perHeadResult(z: tf.Tensor4D, W_O: tf.Tensor3D): tf.Tensor4D {
  const [b, Tq, H, e] = z.shape;
  const d = W_O.shape[2];
  // [h, batch*query, e] @ [h, e, d] -> [h, batch*query, d] -> [batch, query, h, d]
  const perHead = tf.matMul(tf.reshape(tf.transpose(z, [2, 0, 1, 3]), [H, b * Tq, e]), W_O);
  return tf.transpose(tf.reshape(perHead, [H, b, Tq, d]), [1, 2, 0, 3]) as tf.Tensor4D;
}
