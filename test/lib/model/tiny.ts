/** Tiny model configs and helpers shared by the model tests (not a test file itself). */
import * as tf from "@tensorflow/tfjs";
import type { ModelSpec } from "../../../lib/model/config";
import type { TransformerModel } from "../../../lib/model/types";

export const TINY_GPT2: ModelSpec = { arch: "gpt2", nLayers: 2, dModel: 16, nHeads: 4, dVocab: 23, nCtx: 12 };
export const TINY_ATTN_ONLY: ModelSpec = { ...TINY_GPT2, attnOnly: true, tiedUnembed: false };
export const TINY_BERT: ModelSpec = { arch: "bert", nLayers: 2, dModel: 16, nHeads: 4, dVocab: 23, nCtx: 12 };

/** Mean next-token cross-entropy of ids under the model's logits [batch, pos, vocab]. */
export function nextTokenLoss(logits: tf.Tensor3D, ids: number[][]): tf.Scalar {
  const [b, p, v] = logits.shape;
  const targets: number[] = [];
  for (const row of ids) for (let j = 0; j < p - 1; j++) targets.push(row[j + 1]);
  const pred = tf.reshape(tf.slice(logits, [0, 0, 0], [b, p - 1, v]), [b * (p - 1), v]);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(targets, "int32"), v), pred) as tf.Scalar;
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** Every weight tensor of a model, in a fixed order. */
export function weightList(m: TransformerModel): Array<[string, tf.Tensor]> {
  const out: Array<[string, tf.Tensor]> = [];
  for (const [k, v] of Object.entries(m.weights)) {
    if (k === "blocks") (v as object[]).forEach((b, i) => Object.entries(b).forEach(([bk, t]) => out.push([`blocks.${i}.${bk}`, t as tf.Tensor])));
    else if (k !== "W_U" || !m.config.tiedUnembed) out.push([k, v as tf.Tensor]);
  }
  return out;
}
