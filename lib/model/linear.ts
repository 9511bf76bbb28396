/** Small tensor helpers shared by the attention, MLP and unembedding code. */
import * as tf from "@tensorflow/tfjs";
import { oneDnnOn } from "../backend";

/**
 * x [..., in] @ W [in, out] (+ b [out]) -> [..., out] (W given as [out, in] with transposeW).
 * Through a 2-D matmul of every row at once, except on tfjs-node without a tape for x [1, pos, in],
 * which goes to TensorFlow's BatchMatMulV2 as it is: each reshape there is a TensorFlow op of its
 * own, and the two per call were ~100 of a GPT-2-small forward's ~200. Only for a batch of one:
 * with more, BatchMatMulV2 (oneDNN) multiplies each batch entry by the broadcast W separately, so
 * [R, 1, d] rows read all of W R times (the causal-tracing grid's fast path took twice as long:
 * 67–73 s against 33–37 s, bench/causal_trace.ts, docs/benchmarks.md).
 */
export function linear<R extends tf.Rank>(x: tf.Tensor<R>, W: tf.Tensor2D, b?: tf.Tensor1D, transposeW = false): tf.Tensor<R> {
  if (x.rank === 3 && x.shape[0] === 1 && tf.getBackend() === "tensorflow" && !tf.engine().isTapeOn()) {
    const y = tf.matMul(x as unknown as tf.Tensor3D, W as unknown as tf.Tensor3D, false, transposeW);
    return (b && !isZeroBias(b) ? tf.add(y, b) : y) as unknown as tf.Tensor<R>;
  }
  const inDim = x.shape[x.rank - 1];
  const outDim = transposeW ? W.shape[0] : W.shape[1];
  const flat = tf.reshape(x, [-1, inDim]) as tf.Tensor2D;
  let y: tf.Tensor2D = tf.matMul(flat, W, false, transposeW);
  if (b && !isZeroBias(b)) y = tf.add(y, b);
  return tf.reshape(y, [...x.shape.slice(0, -1), outDim] as number[]) as unknown as tf.Tensor<R>;
}

/**
 * x reshaped to `shape`, or x itself when it has that shape already: tf.reshape runs a kernel even
 * then, and on tfjs-node each is a TensorFlow op (~50 µs in a forward pass).
 */
export function reshapeTo<R extends tf.Rank>(x: tf.Tensor, shape: number[]): tf.Tensor<R> {
  return (tf.util.arraysEqual(x.shape, shape) ? x : tf.reshape<tf.Rank>(x, shape)) as tf.Tensor<R>;
}

/**
 * x [..., d] -> logits [..., vocab] (without bias). How a tied model multiplies by W_E^T depends on
 * the backend (bench/backend_choices.sh measures the forms):
 * - tfjs-node with oneDNN (attnlab's default, lib/backend.ts): x @ W_E^T as a matmul with a
 *   transposed right operand, which oneDNN runs at the plain matmul's speed; no copy, no transpose
 *   of the logits, and the gradient reaches W_E.
 * - tfjs-node without oneDNN (TF_ENABLE_ONEDNN_OPTS=0): W_E [vocab, d] @ x^T -> [vocab, rows],
 *   then one transpose. TensorFlow's own (Eigen) matmul runs x @ W_E^T about 3x slower.
 * - wasm: x @ W_U with the cached W_U = W_E^T, because wasm's matmul with a transposed operand is
 *   about 12x slower for the large vocab matrix; while gradients are recorded, x @ W_E^T so the
 *   gradient reaches W_E.
 */
export function unembedMatmul<R extends tf.Rank>(x: tf.Tensor<R>, w: { W_E: tf.Tensor2D; W_U: tf.Tensor2D }, tied: boolean): tf.Tensor<R> {
  if (tied && oneDnnOn()) return linear(x, w.W_E, undefined, true);
  if (tied && tf.getBackend() === "tensorflow") {
    const d = x.shape[x.rank - 1];
    const flat = tf.reshape(x, [-1, d]) as tf.Tensor2D;
    const y = tf.transpose(tf.matMul(w.W_E, flat, false, true)); // [rows, vocab]
    return tf.reshape(y, [...x.shape.slice(0, -1), w.W_E.shape[0]] as number[]) as unknown as tf.Tensor<R>;
  }
  if (tied && tf.engine().isTapeOn()) return linear(x, w.W_E, undefined, true);
  return linear(x, w.W_U);
}

/**
 * GPT-2's tanh approximation of GELU, 0.5·x·(1 + tanh(c·(x + 0.044715·x³))) with c = √(2/π),
 * computed as x · sigmoid(x · (2c + 2c·0.044715·x²)) (the same function, since
 * 0.5·(1 + tanh(u)) = sigmoid(2u)): 6 elementwise ops instead of 9, each a full pass over the
 * [batch, pos, d_mlp] activation. Differs from the tanh form by float rounding (≤ 5e-7 on N(0, 1)).
 */
export function geluNew(x: tf.Tensor): tf.Tensor {
  const c2 = 2 * Math.sqrt(2 / Math.PI);
  return tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(tf.mul(tf.square(x), c2 * 0.044715), c2))));
}

/** Exact (erf) GELU, as BERT uses. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export function activation(name: "gelu_new" | "gelu" | "relu" | "silu", x: tf.Tensor): tf.Tensor {
  if (name === "gelu_new") return geluNew(x);
  if (name === "gelu") return geluExact(x);
  if (name === "silu") return tf.mul(x, tf.sigmoid(x));
  return tf.relu(x);
}

/**
 * Whether a bias is all zeros (GPT-2's b_U: its lm_head has no bias; every bias of a Llama, which
 * has none, and of a freshly initialised model), remembered per tensor data so it is read once.
 * Lets the unembedding skip adding [vocab] zeros to every row of the logits (a pass over a
 * [pos, 50,257] tensor) and `linear` its zero biases (SmolLM2: 120 adds of a forward). Never
 * skipped while gradients are recorded (the bias must get one).
 */
const zeroBias = new WeakMap<object, boolean>();
export function isZeroBias(b: tf.Tensor): boolean {
  if (tf.engine().isTapeOn()) return false;
  const id = b.dataId as object;
  let z = zeroBias.get(id);
  if (z === undefined) {
    const data = b.dataSync();
    z = true;
    for (let i = 0; i < data.length; i++) {
      if (data[i] !== 0) {
        z = false;
        break;
      }
    }
    zeroBias.set(id, z);
  }
  return z;
}
