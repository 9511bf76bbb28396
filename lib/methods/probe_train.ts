/**
 * Probe training on frozen features: multinomial logistic regression with L2 (or a one-hidden-
 * layer ReLU MLP, the "bigger probe" of Hewitt & Liang), full-batch Adam in tfjs on standardised
 * features, early stopping on validation loss (the best epoch's weights are kept).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "./rng";
import { tidyData } from "../backend";

export interface ProbeTrainOptions {
  probe?: "linear" | "mlp";
  hidden?: number;
  l2?: number;
  learningRate?: number;
  maxEpochs?: number;
  patience?: number;
  seed?: number;
}

export interface TrainedProbe {
  predict(X: Float32Array, n: number): Int32Array;
  epochs: number;
  bestEpoch: number;
  dispose(): void;
}

export function trainProbe(
  Xtr: Float32Array, ytr: Int32Array, Xva: Float32Array, yva: Int32Array, d: number, classes: number, opts: ProbeTrainOptions = {},
): TrainedProbe {
  const l2 = opts.l2 ?? 1e-3;
  const lr = opts.learningRate ?? 0.05;
  const maxEpochs = opts.maxEpochs ?? 300;
  const patience = opts.patience ?? 20;
  const mlp = (opts.probe ?? "linear") === "mlp";
  const hidden = opts.hidden ?? 128;
  const ntr = ytr.length;
  const nva = yva.length;
  // Standardise with training statistics so one learning rate suits every layer's scale.
  const mean = new Float32Array(d);
  const std = new Float32Array(d);
  for (let i = 0; i < ntr; i++) for (let j = 0; j < d; j++) mean[j] += Xtr[i * d + j] / ntr;
  for (let i = 0; i < ntr; i++) for (let j = 0; j < d; j++) std[j] += (Xtr[i * d + j] - mean[j]) ** 2 / ntr;
  for (let j = 0; j < d; j++) std[j] = Math.sqrt(std[j]) + 1e-6;
  // One tidy around the whole training: the data tensors and every step's intermediates belong to
  // its scope, so a cell interrupted mid-training (the kernel ends open scopes) leaves only the
  // variables and the kept statistics behind, whatever epoch it stopped in.
  let result!: TrainedProbe;
  tf.tidy(() => {
    const mu = tf.keep(tf.tensor1d(mean));
    const sd = tf.keep(tf.tensor1d(std));
    const prep = (X: Float32Array, n: number) => tf.tensor2d(X, [n, d]).sub(mu).div(sd);
    const xtr = prep(Xtr, ntr);
    const xva = prep(Xva, nva);
    const ytrOh = tf.oneHot(tf.tensor1d(ytr, "int32"), classes);
    const yvaOh = tf.oneHot(tf.tensor1d(yva, "int32"), classes);
    const rng = new Rng(opts.seed ?? 0);
    const init = (r: number, c: number, scale: number) => tf.variable(tf.tensor2d(rng.normalArray(r * c, scale), [r, c]));
    const vars = mlp
      ? [init(d, hidden, Math.sqrt(2 / d)), tf.variable(tf.zeros([hidden])), init(hidden, classes, Math.sqrt(1 / hidden)), tf.variable(tf.zeros([classes]))]
      : [tf.variable(tf.zeros([d, classes])), tf.variable(tf.zeros([classes]))];
    const forward = (x: tf.Tensor) => (mlp ? x.matMul(vars[0]).add(vars[1]).relu().matMul(vars[2]).add(vars[3]) : x.matMul(vars[0]).add(vars[1]));
    const ce = (logits: tf.Tensor, oh: tf.Tensor) => tf.logSoftmax(logits).mul(oh).sum(-1).mean().neg();
    const opt = tf.train.adam(lr);
    let best = Infinity;
    let bestEpoch = 0;
    let bestVals = vars.map((v) => tf.keep(v.clone()));
    let epoch = 0;
    for (; epoch < maxEpochs; epoch++) {
      opt.minimize(() => {
        let loss = ce(forward(xtr), ytrOh);
        for (const v of mlp ? [vars[0], vars[2]] : [vars[0]]) loss = loss.add(v.square().sum().mul(l2));
        return loss as tf.Scalar;
      }, false, vars);
      const val = tf.tidy(() => ce(forward(xva), yvaOh).dataSync()[0]);
      if (val < best - 1e-6) {
        best = val;
        bestEpoch = epoch;
        bestVals.forEach((t) => t.dispose());
        bestVals = vars.map((v) => tf.keep(v.clone()));
      } else if (epoch - bestEpoch >= patience) {
        epoch++;
        break;
      }
    }
    vars.forEach((v, i) => v.assign(bestVals[i]));
    bestVals.forEach((t) => t.dispose());
    opt.dispose();
    result = {
      epochs: epoch,
      bestEpoch,
      predict: (X, n) => tidyData<Int32Array>(() => forward(prep(X, n)).argMax(-1)),
      dispose: () => [...vars, mu, sd].forEach((t) => t.dispose()),
    };
  });
  return result;
}

/** Wilson score interval for a binomial proportion (95% by default). */
export function wilsonInterval(correct: number, n: number, z = 1.959963984540054): [number, number] {
  if (n === 0) return [NaN, NaN];
  const p = correct / n;
  const den = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / den;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / den;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
