/**
 * Parameter layout of the trainable models. GPT-2 parameters carry their Hugging Face names and
 * layout ([in, out] Conv1D weights), so a checkpoint is the parameter table itself. BERT's nn.Linear
 * weights are trained as [in, out] and transposed to HF's [out, in] when saved (see checkpoint.ts).
 */
import type { ModelConfig } from "../../lib/model/types";
import { Rng } from "./rng";

export interface ParamSpec {
  name: string;
  shape: number[];
  init: "normal" | "zeros" | "ones";
  std?: number;
  /** AdamW weight decay applies to matrices only (not biases, LayerNorm or embeddings). */
  decay: boolean;
}

export type ParamTable = Record<string, Float32Array>;

export function validateTrainConfig(cfg: ModelConfig): void {
  const bad = (what: string) => {
    throw new Error(`train config: ${what}`);
  };
  if (cfg.dModel !== cfg.nHeads * cfg.dHead) bad(`dModel (${cfg.dModel}) must equal nHeads*dHead (${cfg.nHeads}*${cfg.dHead})`);
  if (cfg.attnOnly !== (cfg.dMlp === 0)) bad(`attnOnly (${cfg.attnOnly}) must match dMlp === 0 (dMlp ${cfg.dMlp})`);
  if (cfg.arch === "bert" && cfg.attnOnly) bad("attention-only BERT is not supported");
  for (const k of ["nLayers", "dModel", "nHeads", "dHead", "nCtx", "dVocab"] as const) {
    if (!Number.isInteger(cfg[k]) || cfg[k] <= 0) bad(`${k} must be a positive integer; got ${cfg[k]}`);
  }
}

export function paramSpecs(cfg: ModelConfig): ParamSpec[] {
  validateTrainConfig(cfg);
  return cfg.arch === "gpt2" ? gptSpecs(cfg) : bertSpecs(cfg);
}

function gptSpecs(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  const m = cfg.dMlp;
  // GPT-2 scales residual-writing projections by 1/sqrt(2 * n_layers) so the residual stream's variance stays put.
  const projStd = 0.02 / Math.sqrt(2 * cfg.nLayers);
  const specs: ParamSpec[] = [
    { name: "transformer.wte.weight", shape: [cfg.dVocab, d], init: "normal", std: 0.02, decay: false },
    { name: "transformer.wpe.weight", shape: [cfg.nCtx, d], init: "normal", std: 0.01, decay: false },
  ];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `transformer.h.${l}.`;
    specs.push(
      { name: p + "ln_1.weight", shape: [d], init: "ones", decay: false },
      { name: p + "ln_1.bias", shape: [d], init: "zeros", decay: false },
      { name: p + "attn.c_attn.weight", shape: [d, 3 * d], init: "normal", std: 0.02, decay: true },
      { name: p + "attn.c_attn.bias", shape: [3 * d], init: "zeros", decay: false },
      { name: p + "attn.c_proj.weight", shape: [d, d], init: "normal", std: projStd, decay: true },
      { name: p + "attn.c_proj.bias", shape: [d], init: "zeros", decay: false },
    );
    if (!cfg.attnOnly) {
      specs.push(
        { name: p + "ln_2.weight", shape: [d], init: "ones", decay: false },
        { name: p + "ln_2.bias", shape: [d], init: "zeros", decay: false },
        { name: p + "mlp.c_fc.weight", shape: [d, m], init: "normal", std: 0.02, decay: true },
        { name: p + "mlp.c_fc.bias", shape: [m], init: "zeros", decay: false },
        { name: p + "mlp.c_proj.weight", shape: [m, d], init: "normal", std: projStd, decay: true },
        { name: p + "mlp.c_proj.bias", shape: [d], init: "zeros", decay: false },
      );
    }
  }
  specs.push(
    { name: "transformer.ln_f.weight", shape: [d], init: "ones", decay: false },
    { name: "transformer.ln_f.bias", shape: [d], init: "zeros", decay: false },
  );
  return specs;
}

/** BERT linear weights below are [in, out]; checkpoint.ts transposes them to HF's [out, in]. */
export const BERT_LINEAR = /(query|key|value|dense)\.weight$/;

function bertSpecs(cfg: ModelConfig): ParamSpec[] {
  const d = cfg.dModel;
  const m = cfg.dMlp;
  const lin = (name: string, i: number, o: number): ParamSpec[] => [
    { name: name + ".weight", shape: [i, o], init: "normal", std: 0.02, decay: true },
    { name: name + ".bias", shape: [o], init: "zeros", decay: false },
  ];
  const ln = (name: string): ParamSpec[] => [
    { name: name + ".weight", shape: [d], init: "ones", decay: false },
    { name: name + ".bias", shape: [d], init: "zeros", decay: false },
  ];
  const specs: ParamSpec[] = [
    { name: "bert.embeddings.word_embeddings.weight", shape: [cfg.dVocab, d], init: "normal", std: 0.02, decay: false },
    { name: "bert.embeddings.position_embeddings.weight", shape: [cfg.nCtx, d], init: "normal", std: 0.02, decay: false },
    { name: "bert.embeddings.token_type_embeddings.weight", shape: [cfg.typeVocabSize ?? 2, d], init: "normal", std: 0.02, decay: false },
    ...ln("bert.embeddings.LayerNorm"),
  ];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `bert.encoder.layer.${l}.`;
    specs.push(
      ...lin(p + "attention.self.query", d, d),
      ...lin(p + "attention.self.key", d, d),
      ...lin(p + "attention.self.value", d, d),
      ...lin(p + "attention.output.dense", d, d),
      ...ln(p + "attention.output.LayerNorm"),
      ...lin(p + "intermediate.dense", d, m),
      ...lin(p + "output.dense", m, d),
      ...ln(p + "output.LayerNorm"),
    );
  }
  specs.push(
    ...lin("cls.predictions.transform.dense", d, d),
    ...ln("cls.predictions.transform.LayerNorm"),
    { name: "cls.predictions.bias", shape: [cfg.dVocab], init: "zeros", decay: false },
  );
  return specs;
}

export function numel(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Fresh parameters; the same seed always gives the same table. */
export function initParams(cfg: ModelConfig, seed: number): ParamTable {
  const out: ParamTable = {};
  paramSpecs(cfg).forEach((s, i) => {
    const a = new Float32Array(numel(s.shape));
    if (s.init === "ones") a.fill(1);
    else if (s.init === "normal") {
      const rng = Rng.derive(seed, 1000 + i);
      for (let j = 0; j < a.length; j++) a[j] = rng.normal() * (s.std ?? 0.02);
    }
    out[s.name] = a;
  });
  return out;
}

export function countParams(cfg: ModelConfig): number {
  return paramSpecs(cfg).reduce((n, s) => n + numel(s.shape), 0);
}

/**
 * Sinusoidal values (Vaswani et al. 2017) for the learned position embeddings, with root-mean-square
 * `rms`. Only the starting point changes (the weights stay trainable and the checkpoint is still a
 * standard BERT). Why (seen training a small BERT on the Brown corpus): the tied word embeddings
 * grow to sharpen the output (to ~0.19 RMS after 3,900 steps) while randomly initialised positions
 * barely move from 0.02, so after the embedding LayerNorm the position is drowned out, no head can
 * look at a neighbour, and masked-LM training sits on a bag-of-words plateau. Sinusoids at the words' scale give every relative offset a fixed
 * linear map from the start.
 */
export function sinusoidalPositions(T: number, d: number, rms: number): Float32Array {
  const out = new Float32Array(T * d);
  const scale = rms * Math.SQRT2; // sin/cos over many angles have mean square 1/2
  for (let t = 0; t < T; t++)
    for (let i = 0; i < d / 2; i++) {
      const angle = t / Math.pow(10000, (2 * i) / d);
      out[t * d + 2 * i] = scale * Math.sin(angle);
      out[t * d + 2 * i + 1] = scale * Math.cos(angle);
    }
  return out;
}
