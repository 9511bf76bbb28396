/** LayerNorm with TransformerLens hook points (scale before the affine map, normalized after centring). */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { HookState } from "./hooked";

/**
 * x: [batch, pos, d]. `prefix` is "blocks.L.ln1", "blocks.L.ln2" or "ln_final"; pass null for
 * LayerNorms that have no hook names (BERT's embedding and MLM-head norms).
 */
export function layerNorm(
  x: tf.Tensor3D,
  w: tf.Tensor1D,
  b: tf.Tensor1D,
  eps: number,
  hs: HookState | null,
  prefix: string | null,
  layer: number | null,
): tf.Tensor3D {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  let scale = tf.sqrt(tf.add(tf.mean(tf.square(centred), -1, true), eps)) as tf.Tensor3D; // [batch, pos, 1]
  if (hs && prefix) scale = hs.point(`${prefix}.hook_scale` as HookName, layer, scale);
  // Multiplying by 1/scale (one [batch, pos, 1] reciprocal) rather than dividing: on tfjs-node
  // TensorFlow's broadcast division of [1, 128, 576] by [1, 128, 1] took 0.59 ms at best against
  // 0.30 ms for reciprocal + multiplication (and much longer than that on a loaded machine).
  let normed: tf.Tensor3D = tf.mul(centred, tf.reciprocal(scale));
  if (hs && prefix) normed = hs.point(`${prefix}.hook_normalized` as HookName, layer, normed);
  return tf.add(tf.mul(normed, w), b);
}

/**
 * RMSNorm (Llama): x / sqrt(mean(x²) + eps) · w, with TransformerLens's hook points (hook_scale is
 * sqrt(mean(x²) + eps) [batch, pos, 1], hook_normalized is x / scale, before the gain).
 */
export function rmsNorm(
  x: tf.Tensor3D,
  w: tf.Tensor1D,
  eps: number,
  hs: HookState | null,
  prefix: string | null,
  layer: number | null,
): tf.Tensor3D {
  let scale = tf.sqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)) as tf.Tensor3D; // [batch, pos, 1]
  if (hs && prefix) scale = hs.point(`${prefix}.hook_scale` as HookName, layer, scale);
  let normed: tf.Tensor3D = tf.mul(x, tf.reciprocal(scale)); // see layerNorm
  if (hs && prefix) normed = hs.point(`${prefix}.hook_normalized` as HookName, layer, normed);
  return tf.mul(normed, w);
}
