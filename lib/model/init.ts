/** Seeded random initialisation (GPT-2 style: N(0, 0.02), output projections scaled by 1/sqrt(2 n_layers)). */
import * as tf from "@tensorflow/tfjs";
import { assertReady } from "../backend";
import { resolveConfig, type ModelSpec } from "./config";
import { HookedTransformer, type WeightsInit } from "./model";
import type { LayerWeights, Tokenizer } from "./types";
import { mulberry32 } from "../methods/rng";

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
  const projStd = cfg.arch === "gpt2" ? std / Math.sqrt(2 * cfg.nLayers) : std;
  const u = mulberry32(seed);
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const made: tf.Tensor[] = [];
  const track = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
  const normal = (shape: number[], s = std) => track(tf.tensor(normalArray(shape.reduce((a, b) => a * b, 1), s, u), shape));
  const ones = (n: number) => track(tf.ones([n]) as tf.Tensor1D);
  const zeros = (shape: number[]) => track(tf.zeros(shape));
  try {
    const blocks: LayerWeights[] = [];
    const W_E = normal([v, d]) as tf.Tensor2D;
    const W_pos = normal([cfg.nCtx, d], cfg.arch === "gpt2" ? 0.01 : std) as tf.Tensor2D;
    for (let l = 0; l < cfg.nLayers; l++) {
      const b: LayerWeights = {
        W_Q: normal([h, d, e]) as tf.Tensor3D,
        b_Q: zeros([h, e]) as tf.Tensor2D,
        W_K: normal([h, d, e]) as tf.Tensor3D,
        b_K: zeros([h, e]) as tf.Tensor2D,
        W_V: normal([h, d, e]) as tf.Tensor3D,
        b_V: zeros([h, e]) as tf.Tensor2D,
        W_O: normal([h, e, d], projStd) as tf.Tensor3D,
        b_O: zeros([d]) as tf.Tensor1D,
        ln1_w: ones(d),
        ln1_b: zeros([d]) as tf.Tensor1D,
      };
      if (!cfg.attnOnly) {
        b.ln2_w = ones(d);
        b.ln2_b = zeros([d]) as tf.Tensor1D;
        b.W_in = normal([d, m]) as tf.Tensor2D;
        b.b_in = zeros([m]) as tf.Tensor1D;
        b.W_out = normal([m, d], projStd) as tf.Tensor2D;
        b.b_out = zeros([d]) as tf.Tensor1D;
      }
      blocks.push(b);
    }
    const w: WeightsInit = { W_E, W_pos, blocks, b_U: zeros([v]) as tf.Tensor1D };
    if (!cfg.tiedUnembed) w.W_U = normal([d, v]) as tf.Tensor2D;
    if (cfg.arch === "gpt2") {
      w.ln_final_w = ones(d);
      w.ln_final_b = zeros([d]) as tf.Tensor1D;
    } else {
      w.W_type = normal([cfg.typeVocabSize!, d]) as tf.Tensor2D;
      w.ln_embed_w = ones(d);
      w.ln_embed_b = zeros([d]) as tf.Tensor1D;
      if (cfg.mlmHead) {
        w.mlm_W = normal([d, d]) as tf.Tensor2D;
        w.mlm_b = zeros([d]) as tf.Tensor1D;
        w.mlm_ln_w = ones(d);
        w.mlm_ln_b = zeros([d]) as tf.Tensor1D;
      }
    }
    return new HookedTransformer(cfg, w, opts.tokenizer);
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
}
