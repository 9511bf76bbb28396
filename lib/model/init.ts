/** Seeded random initialisation; each architecture draws its own weights (arch.init), e.g. GPT-2: N(0, 0.02), output projections scaled by 1/sqrt(2 n_layers). */
import * as tf from "@tensorflow/tfjs";
import { assertReady, uploadToBackend } from "../backend";
import { resolveConfig, type ModelSpec } from "./config";
import { HookedTransformer, type WeightsInit } from "./model";
import type { InitRandom } from "./arch";
import { architecture } from "./architectures";
import type { Tokenizer } from "./types";
import { seededNormals } from "./normal_fill";

/** Standard normal samples by Box-Muller from a seeded uniform source. */
export function normalArray(n: number, std: number, uniform: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = 1 - uniform(); // (0, 1], so log is finite
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    const th = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

export interface CreateOptions {
  /** Seed of the initialisation; the same seed gives bit-identical weights. Default 0. */
  seed?: number;
  tokenizer?: Tokenizer;
  /** Std of the weight matrices; default 0.02 as GPT-2 and BERT. */
  initStd?: number;
}

/** A randomly initialised model. Call `await ready()` first. */
export function createModel(spec: ModelSpec, opts: CreateOptions = {}): HookedTransformer {
  assertReady("createModel");
  const cfg = resolveConfig(spec, "createModel: config");
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new Error(`createModel: opts.seed must be an integer; got ${seed}`);
  if (opts.tokenizer && opts.tokenizer.vocabSize > cfg.dVocab) {
    throw new Error(`createModel: tokenizer vocabSize ${opts.tokenizer.vocabSize} exceeds config dVocab ${cfg.dVocab}`);
  }
  const std = opts.initStd ?? 0.02;
  // Draws of mulberry32(seed) in order, as normalArray(n, s, mulberry32(seed)) would make them;
  // seededNormals fills large tensors on two threads (normal_fill.ts).
  let drawn = 0;
  const made: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
  const r: InitRandom = {
    std,
    normal: (shape, s = std) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = seededNormals(n, s, seed, drawn);
      drawn += 2 * Math.ceil(n / 2);
      const t = track(tf.tensor(values, shape));
      uploadToBackend(t); // as the loaders do: TensorFlow takes the values now, the host array can go
      return t;
    },
    ones: (n) => track(tf.ones([n]) as tf.Tensor1D),
    zeros: (shape) => track(tf.zeros(shape)),
  };
  try {
    const w: WeightsInit = { ...architecture(cfg).init(cfg, r), b_U: r.zeros([cfg.dVocab]) as tf.Tensor1D };
    return new HookedTransformer(cfg, w, opts.tokenizer);
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
}
