/** Multi-head self-attention with TransformerLens hook points. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { HookState } from "./hooked";
import { linear } from "./linear";
import type { LayerWeights, ModelConfig } from "./types";

/** [h, d, e] -> [d, h*e], so one matmul projects every head at once. */
function fuseHeads(W: tf.Tensor3D): tf.Tensor2D {
  const [h, d, e] = W.shape;
  return tf.reshape(tf.transpose(W, [1, 0, 2]), [d, h * e]);
}

/**
 * Additive mask, [batch, 1, query, key]: 0 where the key is a real token and (when causal) not in
 * the future, -Infinity elsewhere. Adding it (rather than tf.where) broadcasts over heads without
 * materialising a [batch, head, query, key] condition, which wasm's Tile makes slow.
 */
export function attentionMask(mask: tf.Tensor2D, causal: boolean): tf.Tensor4D {
  const [b, p] = mask.shape;
  let allowed: tf.Tensor4D = tf.reshape(tf.cast(mask, "bool"), [b, 1, 1, p]);
  if (causal) {
    const tri = tf.cast(tf.linalg.bandPart(tf.ones([p, p]), -1, 0), "bool").reshape([1, 1, p, p]);
    allowed = tf.logicalAnd(allowed, tri);
  }
  // -inf (not a large negative number) as TransformerLens does, so masked entries are exactly 0 after softmax.
  return tf.where(allowed, tf.zeros(allowed.shape), tf.fill(allowed.shape, -Infinity)) as tf.Tensor4D;
}

/**
 * x: [batch, pos, d] (the attention input after any LayerNorm); maskAdd: from attentionMask().
 * Returns the attention output [batch, pos, d] before hook_attn_out.
 * hook_result ([batch, pos, head, d]) is only materialised when a hook or the cache wants it.
 */
export function attention(
  x: tf.Tensor3D,
  w: LayerWeights,
  maskAdd: tf.Tensor4D,
  cfg: ModelConfig,
  hs: HookState,
  layer: number,
): tf.Tensor3D {
  const [b, p] = x.shape;
  const h = cfg.nHeads;
  const e = cfg.dHead;
  const name = (s: string) => `blocks.${layer}.attn.${s}` as HookName;
  const project = (W: tf.Tensor3D, bias: tf.Tensor2D): tf.Tensor4D =>
    tf.add(tf.reshape(linear(x, fuseHeads(W)), [b, p, h, e]), bias); // [batch, pos, h, e]

  const q = hs.point(name("hook_q"), layer, project(w.W_Q, w.b_Q));
  const k = hs.point(name("hook_k"), layer, project(w.W_K, w.b_K));
  const v = hs.point(name("hook_v"), layer, project(w.W_V, w.b_V));

  // [batch, h, query, e] @ [batch, h, key, e]^T -> [batch, h, query, key] (transposeB measured faster on wasm)
  const raw = tf.div(tf.matMul(tf.transpose(q, [0, 2, 1, 3]), tf.transpose(k, [0, 2, 1, 3]), false, true), Math.sqrt(e));
  let scores = tf.add(raw, maskAdd) as tf.Tensor4D;
  scores = hs.point(name("hook_attn_scores"), layer, scores);
  const pattern = hs.point(name("hook_pattern"), layer, tf.softmax(scores) as tf.Tensor4D);

  // [batch, h, query, key] @ [batch, h, key, e] -> [batch, h, query, e] -> [batch, pos, h, e]
  const z = hs.point(
    name("hook_z"),
    layer,
    tf.transpose(tf.matMul(pattern, tf.transpose(v, [0, 2, 1, 3])), [0, 2, 1, 3]) as tf.Tensor4D,
  );

  if (hs.wants(name("hook_result"))) {
    // [h, batch*pos, e] @ [h, e, d] -> [h, batch*pos, d] -> [batch, pos, h, d]
    const perHead = tf.matMul(tf.reshape(tf.transpose(z, [2, 0, 1, 3]), [h, b * p, e]), w.W_O);
    let result = tf.transpose(tf.reshape(perHead, [h, b, p, cfg.dModel]), [1, 2, 0, 3]) as tf.Tensor4D;
    result = hs.point(name("hook_result"), layer, result);
    return tf.add(tf.sum(result, 2), w.b_O);
  }
  const WO = tf.reshape(w.W_O, [h * e, cfg.dModel]) as tf.Tensor2D;
  return linear(tf.reshape(z, [b, p, h * e]) as tf.Tensor3D, WO, w.b_O);
}
