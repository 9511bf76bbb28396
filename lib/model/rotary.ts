/**
 * Rotary position embeddings as Hugging Face's Llama applies them ("rotate half"): dimension i of
 * the first rotaryDim of each head pairs with dimension i + rotaryDim/2, rotated by the angle
 * pos · base^(−2i/rotaryDim). Dimensions past rotaryDim pass unchanged.
 */
import * as tf from "@tensorflow/tfjs";

/** cos and sin tables [pos, rotaryDim] for positions pos0…pos0+n−1, computed in float32 as transformers does. */
export function rotaryTables(pos0: number, n: number, rotaryDim: number, base: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
  const half = rotaryDim / 2;
  const invFreq = new Float32Array(half);
  // transformers: 1 / base ** (arange(0, dim, 2).float() / dim), in float32.
  for (let i = 0; i < half; i++) invFreq[i] = 1 / Math.fround(Math.pow(base, Math.fround((2 * i) / rotaryDim)));
  const cos = new Float32Array(n * rotaryDim);
  const sin = new Float32Array(n * rotaryDim);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < half; i++) {
      const a = Math.fround((pos0 + p) * invFreq[i]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[p * rotaryDim + i] = cos[p * rotaryDim + i + half] = c;
      sin[p * rotaryDim + i] = sin[p * rotaryDim + i + half] = s;
    }
  }
  return { cos: tf.tensor2d(cos, [n, rotaryDim]), sin: tf.tensor2d(sin, [n, rotaryDim]) };
}

/** x [batch, pos, heads, e] rotated by tables [pos, rotaryDim] (rotaryDim ≤ e, even). */
export function applyRotary(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const [b, p, h, e] = x.shape;
  const r = cos.shape[1];
  const c = cos.reshape([1, p, 1, r]);
  const s = sin.reshape([1, p, 1, r]);
  const xr = r === e ? x : (x.slice([0, 0, 0, 0], [b, p, h, r]) as tf.Tensor4D);
  const x1 = xr.slice([0, 0, 0, 0], [b, p, h, r / 2]);
  const x2 = xr.slice([0, 0, 0, r / 2], [b, p, h, r / 2]);
  const rotated = tf.concat([tf.neg(x2), x1], 3); // rotate_half
  const out = tf.add(tf.mul(xr, c), tf.mul(rotated, s)) as tf.Tensor4D;
  return r === e ? out : (tf.concat([out, x.slice([0, 0, 0, r], [b, p, h, e - r])], 3) as tf.Tensor4D);
}
