/**
 * Output measures shared by the methods: logit difference, loss, and distances between
 * distributions (KL, total variation, Jensen–Shannon). Plain-array versions work on one
 * distribution; tensor versions return one number per batch row.
 */
import * as tf from "@tensorflow/tfjs";
import { tidyData } from "../backend";

export function softmax(logits: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  const out = new Float32Array(logits.length);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += out[i] = Math.exp(logits[i] - m);
  for (let i = 0; i < out.length; i++) out[i] /= s;
  return out;
}

function checkSameLength(p: ArrayLike<number>, q: ArrayLike<number>, fn: string): void {
  if (p.length !== q.length) throw new Error(`${fn}: p and q must have the same length; got ${p.length} and ${q.length}`);
}

/** KL(p‖q) in nats; terms with p = 0 contribute nothing. */
export function kl(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q, "kl");
  let s = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) s += p[i] * Math.log(p[i] / Math.max(q[i], 1e-30));
  return s;
}

/** Total variation distance ½Σ|p−q|, in [0, 1]. */
export function tvd(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q, "tvd");
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return s / 2;
}

/** Jensen–Shannon divergence with natural log (maximum ln 2). */
export function jsd(p: ArrayLike<number>, q: ArrayLike<number>): number {
  checkSameLength(p, q, "jsd");
  const m = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) m[i] = (p[i] + q[i]) / 2;
  return (kl(p, m) + kl(q, m)) / 2;
}

function resolvePos(pos: number, n: number, fn: string): number {
  const p = pos < 0 ? n + pos : pos;
  if (!Number.isInteger(p) || p < 0 || p >= n) throw new Error(`${fn}: position must be in [-${n}, ${n - 1}]; got ${pos}`);
  return p;
}

/** logit[answer] − logit[wrong] at one position, per batch row. logits: [batch, pos, vocab]. */
export function logitDiff(logits: tf.Tensor3D, answer: number, wrong: number, pos = -1): Float32Array {
  const [, n, v] = logits.shape;
  const p = resolvePos(pos, n, "logitDiff");
  for (const [name, t] of [["answer", answer], ["wrong", wrong]] as const) {
    if (!Number.isInteger(t) || t < 0 || t >= v) throw new Error(`logitDiff: ${name} token must be in [0, ${v - 1}]; got ${t}`);
  }
  return tidyData(() => {
    const last = logits.slice([0, p, 0], [-1, 1, -1]).reshape([-1, v]);
    const a = last.slice([0, answer], [-1, 1]);
    const b = last.slice([0, wrong], [-1, 1]);
    return a.sub(b).reshape([-1]);
  });
}

/** Softmax probabilities at one position, per row: [batch, vocab]. */
export function probsAt(logits: tf.Tensor3D, pos = -1): tf.Tensor2D {
  const [, n, v] = logits.shape;
  const p = resolvePos(pos, n, "probsAt");
  return tf.tidy(() => tf.softmax(logits.slice([0, p, 0], [-1, 1, -1]).reshape([-1, v])) as tf.Tensor2D);
}

/**
 * Next-token cross-entropy per row and position: [batch, pos − 1], entry t is the loss of
 * predicting ids[t + 1] from position t.
 */
export function tokenLosses(logits: tf.Tensor3D, ids: Int32Array | number[]): { data: Float32Array; shape: [number, number] } {
  const [b, n, v] = logits.shape;
  if (ids.length !== b * n) throw new Error(`tokenLosses: ids must hold batch×pos = ${b * n} ids; got ${ids.length}`);
  if (n < 2) throw new Error(`tokenLosses: need at least 2 positions; got ${n}`);
  const data = tidyData(() => {
    const lp = tf.logSoftmax(logits.slice([0, 0, 0], [-1, n - 1, -1]));
    const tgt: number[] = [];
    for (let r = 0; r < b; r++) for (let t = 1; t < n; t++) tgt.push(ids[r * n + t]);
    const oh = tf.oneHot(tf.tensor1d(tgt, "int32"), v).reshape([b, n - 1, v]);
    return lp.mul(oh).sum(-1).neg();
  });
  return { data, shape: [b, n - 1] };
}

/** Mean next-token loss per row. */
export function meanLoss(logits: tf.Tensor3D, ids: Int32Array | number[]): Float32Array {
  const { data, shape } = tokenLosses(logits, ids);
  const out = new Float32Array(shape[0]);
  for (let r = 0; r < shape[0]; r++) {
    let s = 0;
    for (let t = 0; t < shape[1]; t++) s += data[r * shape[1] + t];
    out[r] = s / shape[1];
  }
  return out;
}

/** KL(ref‖other) of the next-token distributions at one position, per row of `other`. ref has 1 row or as many as other. */
export function klAt(refLogits: tf.Tensor3D, otherLogits: tf.Tensor3D, pos = -1): Float32Array {
  return tidyData(() => {
    const [, n, v] = refLogits.shape;
    const p = resolvePos(pos, n, "klAt");
    const q = resolvePos(pos, otherLogits.shape[1], "klAt");
    const lp = tf.logSoftmax(refLogits.slice([0, p, 0], [-1, 1, -1]).reshape([-1, v]));
    const lq = tf.logSoftmax(otherLogits.slice([0, q, 0], [-1, 1, -1]).reshape([-1, v]));
    return tf.exp(lp).mul(lp.sub(lq)).sum(-1);
  });
}
