/**
 * generate(model, prompt, {maxNewTokens, temperature, topK, seed}): text continuation for any
 * causal architecture, with a key/value cache. The prompt runs once through the architecture's
 * blocks; each new token then runs alone at its absolute position (pos0, so rotary and learned
 * positions are right) and attends to the cached keys/values of every earlier position, which
 * each block hands back through BlockContext.onKV. No hooks run: this is for seeing what a model
 * says before dissecting it. temperature 0 (the default) is greedy decoding; otherwise logits /
 * temperature, restricted to the topK most likely tokens, are sampled with a seeded RNG.
 */
import * as tf from "@tensorflow/tfjs";
import { mulberry32 } from "../methods/rng";
import { architecture } from "./architectures";
import { HookState } from "./hooked";
import type { HookedTransformer } from "./model";

export interface GenerateOptions {
  /** Tokens to add (default 20); prompt + new tokens must fit in the context. */
  maxNewTokens?: number;
  /** 0 = greedy (default); > 0 samples from softmax(logits / temperature). */
  temperature?: number;
  /** Sample only among the k most likely tokens (default: all). */
  topK?: number;
  /** Seed of the sampling RNG (default 0); the same seed gives the same text. */
  seed?: number;
  /** Stop after the tokenizer's end-of-sequence token (default true). */
  stopAtEos?: boolean;
}

export interface GenerateResult {
  kind: "generation";
  /** Prompt and continuation as text ("" when the model has no tokenizer). */
  prompt: string;
  completion: string;
  text: string;
  /** Prompt ids then new ids. */
  ids: number[];
  newIds: number[];
  newTokens: string[];
  stoppedAtEos: boolean;
  settings: { maxNewTokens: number; temperature: number; topK: number | null; seed: number };
}

/** Index drawn from logits [vocab] (greedy when temperature is 0). */
export function sampleToken(logits: Float32Array, temperature: number, topK: number | null, uniform: () => number): number {
  if (temperature === 0) {
    let best = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let idx = Array.from(logits.keys());
  if (topK !== null && topK < logits.length) idx = idx.sort((a, b) => logits[b] - logits[a]).slice(0, topK);
  const max = Math.max(...idx.map((i) => logits[i]));
  const w = idx.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let r = uniform() * total;
  for (let j = 0; j < idx.length; j++) {
    r -= w[j];
    if (r < 0) return idx[j];
  }
  return idx[idx.length - 1];
}

export function generate(model: HookedTransformer, prompt: string | number[], opts: GenerateOptions = {}): GenerateResult {
  const fn = "generate";
  const cfg = model.config;
  const arch = architecture(cfg);
  if (!arch.causal) throw new Error(`${fn}: generation needs a causal (decoder) model; ${arch.label} is not`);
  const maxNew = opts.maxNewTokens ?? 20;
  const temperature = opts.temperature ?? 0;
  const topK = opts.topK ?? null;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(maxNew) || maxNew < 1) throw new Error(`${fn}: opts.maxNewTokens must be a positive integer; got ${JSON.stringify(opts.maxNewTokens)}`);
  if (!(typeof temperature === "number" && temperature >= 0 && Number.isFinite(temperature))) throw new Error(`${fn}: opts.temperature must be a number ≥ 0; got ${JSON.stringify(opts.temperature)}`);
  if (topK !== null && (!Number.isInteger(topK) || topK < 1)) throw new Error(`${fn}: opts.topK must be a positive integer; got ${JSON.stringify(opts.topK)}`);
  if (!Number.isInteger(seed)) throw new Error(`${fn}: opts.seed must be an integer; got ${JSON.stringify(opts.seed)}`);
  if (typeof prompt !== "string" && !(Array.isArray(prompt) && prompt.length > 0)) throw new Error(`${fn}: prompt must be a string or a non-empty array of token ids`);
  const batch = model.toTokens(typeof prompt === "string" ? prompt : [prompt]);
  if (batch.shape[0] !== 1) throw new Error(`${fn}: prompt must be one text or one id list`);
  const promptIds = Array.from(batch.ids);
  if (promptIds.length + maxNew > cfg.nCtx) {
    throw new Error(`${fn}: ${promptIds.length} prompt tokens + maxNewTokens ${maxNew} exceed the model's context of ${cfg.nCtx}`);
  }
  const eos = opts.stopAtEos === false ? undefined : model.tokenizer?.specialIds.eos;
  const uniform = mulberry32(seed);
  const noHooks = new HookState(model.hookNameSet);
  let past: { K: tf.Tensor4D; V: tf.Tensor4D }[] = [];

  /** Runs `ids` at positions pos0… with the cache, extends the cache, returns the last position's logits. */
  const step = (ids: number[], pos0: number): Float32Array => {
    const n = ids.length;
    const next: { K: tf.Tensor4D; V: tf.Tensor4D }[] = [];
    const logits = tf.tidy(() => {
      const mask = new Float32Array(n * (pos0 + n));
      for (let t = 0; t < n; t++) for (let k = pos0 + t + 1; k < pos0 + n; k++) mask[t * (pos0 + n) + k] = -Infinity;
      const maskAdd = tf.tensor4d(mask, [1, 1, n, pos0 + n]);
      let x = arch.embed(model, tf.tensor2d([ids], [1, n], "int32"), null, noHooks, pos0);
      for (let l = 0; l < cfg.nLayers; l++) {
        const p = past[l] ?? null;
        x = arch.block(model, l, x, {
          maskAdd, pos0, past: p,
          onKV: (K, V) => next.push({ K: tf.keep(p ? tf.concat([p.K, K], 2) : K.clone()), V: tf.keep(p ? tf.concat([p.V, V], 2) : V.clone()) }),
        }, noHooks);
      }
      const last = x.slice([0, n - 1, 0], [1, 1, cfg.dModel]) as tf.Tensor3D;
      return arch.unembed(model, last, noHooks).reshape([-1]);
    });
    for (const p of past) {
      p.K.dispose();
      p.V.dispose();
    }
    past = next;
    const data = logits.dataSync() as Float32Array;
    logits.dispose();
    return data;
  };

  const newIds: number[] = [];
  let stoppedAtEos = false;
  try {
    let logits = step(promptIds, 0);
    for (let i = 0; i < maxNew; i++) {
      const id = sampleToken(logits, temperature, topK, uniform);
      newIds.push(id);
      if (eos !== undefined && id === eos) {
        stoppedAtEos = true;
        break;
      }
      if (i + 1 < maxNew) logits = step([id], promptIds.length + i);
    }
  } finally {
    for (const p of past) {
      p.K.dispose();
      p.V.dispose();
    }
  }
  const tok = model.tokenizer;
  const promptText = typeof prompt === "string" ? prompt : tok ? tok.decode(promptIds) : "";
  const completion = tok ? tok.decode(newIds) : "";
  return {
    kind: "generation",
    prompt: promptText,
    completion,
    text: promptText + completion,
    ids: [...promptIds, ...newIds],
    newIds,
    newTokens: model.toStrTokens(newIds),
    stoppedAtEos,
    settings: { maxNewTokens: maxNew, temperature, topK, seed },
  };
}
