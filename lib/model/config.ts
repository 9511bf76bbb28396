/** Filling in and checking ModelConfig. */
import type { ModelConfig } from "./types";

/** What createModel needs; everything else has GPT-2/BERT defaults. */
export type ModelSpec = Partial<ModelConfig> &
  Pick<ModelConfig, "arch" | "nLayers" | "dModel" | "nHeads" | "dVocab" | "nCtx">;

const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;

/** Defaults: dHead = dModel/nHeads, dMlp = 4*dModel (0 if attnOnly), GPT-2 tied + gelu_new + eps 1e-5, BERT gelu + eps 1e-12 + MLM head. */
export function resolveConfig(spec: ModelSpec, where = "config"): ModelConfig {
  if (!spec || typeof spec !== "object") throw new Error(`${where}: expected a model config object`);
  if (spec.arch !== "gpt2" && spec.arch !== "bert") throw new Error(`${where}.arch must be "gpt2" or "bert"; got ${JSON.stringify(spec.arch)}`);
  for (const k of ["nLayers", "dModel", "nHeads", "dVocab", "nCtx"] as const) {
    if (!posInt(spec[k])) throw new Error(`${where}.${k} must be a positive integer; got ${JSON.stringify(spec[k])}`);
  }
  const bert = spec.arch === "bert";
  const attnOnly = spec.attnOnly ?? false;
  if (bert && attnOnly) throw new Error(`${where}.attnOnly: BERT models always have an MLP`);
  if (spec.dHead === undefined && spec.dModel % spec.nHeads !== 0) {
    throw new Error(`${where}: dModel (${spec.dModel}) must be divisible by nHeads (${spec.nHeads}) unless dHead is given`);
  }
  const cfg: ModelConfig = {
    arch: spec.arch,
    nLayers: spec.nLayers,
    dModel: spec.dModel,
    nHeads: spec.nHeads,
    dHead: spec.dHead ?? spec.dModel / spec.nHeads,
    dMlp: attnOnly ? 0 : spec.dMlp ?? 4 * spec.dModel,
    nCtx: spec.nCtx,
    dVocab: spec.dVocab,
    lnEps: spec.lnEps ?? (bert ? 1e-12 : 1e-5),
    act: spec.act ?? (bert ? "gelu" : "gelu_new"),
    attnOnly,
    tiedUnembed: spec.tiedUnembed ?? true,
  };
  if (!posInt(cfg.dHead)) throw new Error(`${where}.dHead must be a positive integer; got ${cfg.dHead}`);
  if (!attnOnly && !posInt(cfg.dMlp)) throw new Error(`${where}.dMlp must be a positive integer; got ${cfg.dMlp}`);
  if (attnOnly && spec.dMlp !== undefined && spec.dMlp !== 0) throw new Error(`${where}.dMlp must be 0 for attention-only models; got ${spec.dMlp}`);
  if (!(typeof cfg.lnEps === "number" && cfg.lnEps > 0)) throw new Error(`${where}.lnEps must be a positive number; got ${cfg.lnEps}`);
  if (!["gelu_new", "gelu", "relu"].includes(cfg.act)) throw new Error(`${where}.act must be "gelu_new", "gelu" or "relu"; got ${JSON.stringify(cfg.act)}`);
  if (bert) {
    cfg.typeVocabSize = spec.typeVocabSize ?? 2;
    if (!posInt(cfg.typeVocabSize)) throw new Error(`${where}.typeVocabSize must be a positive integer; got ${cfg.typeVocabSize}`);
    cfg.mlmHead = spec.mlmHead ?? true;
  } else {
    if (spec.typeVocabSize !== undefined) throw new Error(`${where}.typeVocabSize is only for BERT models`);
    if (spec.mlmHead) throw new Error(`${where}.mlmHead is only for BERT models`);
  }
  if (spec.padTokenId !== undefined) {
    if (!Number.isInteger(spec.padTokenId) || spec.padTokenId < 0 || spec.padTokenId >= cfg.dVocab) {
      throw new Error(`${where}.padTokenId must be an id in [0, ${cfg.dVocab}); got ${spec.padTokenId}`);
    }
    cfg.padTokenId = spec.padTokenId;
  }
  if (spec.name !== undefined) cfg.name = spec.name;
  return cfg;
}

/** Number of trainable parameters (tied matrices counted once). */
export function paramCount(cfg: ModelConfig): number {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v, nCtx: n } = cfg;
  const attn = 4 * h * d * e + 3 * h * e + d;
  const mlp = cfg.attnOnly ? 0 : d * m + m + m * d + d + 2 * d;
  let total = v * d + n * d + cfg.nLayers * (attn + 2 * d + mlp) + v;
  if (!cfg.tiedUnembed) total += d * v;
  if (cfg.arch === "gpt2") total += 2 * d;
  else {
    total += (cfg.typeVocabSize ?? 2) * d + 2 * d;
    if (cfg.mlmHead) total += d * d + 3 * d;
    else total -= v; // no b_U in use
  }
  return total;
}
