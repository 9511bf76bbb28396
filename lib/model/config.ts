/** Filling in and checking ModelConfig. */
import { architecture } from "./architectures";
import type { ModelConfig } from "./types";

/** What createModel needs; everything else has GPT-2/BERT defaults. */
export type ModelSpec = Partial<ModelConfig> &
  Pick<ModelConfig, "arch" | "nLayers" | "dModel" | "nHeads" | "dVocab" | "nCtx">;

const posInt = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0;

/**
 * Defaults: dHead = dModel/nHeads, nKVHeads = nHeads, dMlp = 4*dModel (0 if attnOnly); GPT-2 tied +
 * gelu_new + eps 1e-5; BERT gelu + eps 1e-12 + MLM head; Llama untied + silu + eps 1e-6 + rotary
 * base 10000 over all of dHead (transformers' LlamaConfig defaults).
 */
export function resolveConfig(spec: ModelSpec, where = "config"): ModelConfig {
  if (!spec || typeof spec !== "object") throw new Error(`${where}: expected a model config object`);
  if (spec.arch !== "gpt2" && spec.arch !== "bert" && spec.arch !== "llama") throw new Error(`${where}.arch must be "gpt2", "bert" or "llama"; got ${JSON.stringify(spec.arch)}`);
  for (const k of ["nLayers", "dModel", "nHeads", "dVocab", "nCtx"] as const) {
    if (!posInt(spec[k])) throw new Error(`${where}.${k} must be a positive integer; got ${JSON.stringify(spec[k])}`);
  }
  const bert = spec.arch === "bert";
  const llama = spec.arch === "llama";
  const attnOnly = spec.attnOnly ?? false;
  if ((bert || llama) && attnOnly) throw new Error(`${where}.attnOnly: ${bert ? "BERT" : "Llama"} models always have an MLP`);
  if (spec.dHead === undefined && spec.dModel % spec.nHeads !== 0) {
    throw new Error(`${where}: dModel (${spec.dModel}) must be divisible by nHeads (${spec.nHeads}) unless dHead is given`);
  }
  const cfg: ModelConfig = {
    arch: spec.arch,
    nLayers: spec.nLayers,
    dModel: spec.dModel,
    nHeads: spec.nHeads,
    nKVHeads: spec.nKVHeads ?? spec.nHeads,
    dHead: spec.dHead ?? spec.dModel / spec.nHeads,
    dMlp: attnOnly ? 0 : spec.dMlp ?? 4 * spec.dModel,
    nCtx: spec.nCtx,
    dVocab: spec.dVocab,
    lnEps: spec.lnEps ?? (bert ? 1e-12 : llama ? 1e-6 : 1e-5),
    act: spec.act ?? (bert ? "gelu" : llama ? "silu" : "gelu_new"),
    attnOnly,
    tiedUnembed: spec.tiedUnembed ?? !llama,
  };
  if (!posInt(cfg.nKVHeads) || cfg.nHeads % cfg.nKVHeads! !== 0) {
    throw new Error(`${where}.nKVHeads must be a positive integer dividing nHeads (${cfg.nHeads}); got ${JSON.stringify(spec.nKVHeads)}`);
  }
  if (!llama && cfg.nKVHeads !== cfg.nHeads) throw new Error(`${where}.nKVHeads: grouped-query attention is only for Llama models`);
  if (llama) {
    cfg.rotaryBase = spec.rotaryBase ?? 10000;
    cfg.rotaryDim = spec.rotaryDim ?? cfg.dHead;
    if (!(typeof cfg.rotaryBase === "number" && cfg.rotaryBase > 1)) throw new Error(`${where}.rotaryBase must be a number > 1; got ${JSON.stringify(spec.rotaryBase)}`);
    if (!posInt(cfg.rotaryDim) || cfg.rotaryDim % 2 !== 0 || cfg.rotaryDim > cfg.dHead) {
      throw new Error(`${where}.rotaryDim must be an even positive integer ≤ dHead (${cfg.dHead}); got ${JSON.stringify(spec.rotaryDim)}`);
    }
  } else if (spec.rotaryBase !== undefined || spec.rotaryDim !== undefined) {
    throw new Error(`${where}.rotaryBase/rotaryDim are only for Llama models (rotary positions)`);
  }
  if (!posInt(cfg.dHead)) throw new Error(`${where}.dHead must be a positive integer; got ${cfg.dHead}`);
  if (!attnOnly && !posInt(cfg.dMlp)) throw new Error(`${where}.dMlp must be a positive integer; got ${cfg.dMlp}`);
  if (attnOnly && spec.dMlp !== undefined && spec.dMlp !== 0) throw new Error(`${where}.dMlp must be 0 for attention-only models; got ${spec.dMlp}`);
  if (!(typeof cfg.lnEps === "number" && cfg.lnEps > 0)) throw new Error(`${where}.lnEps must be a positive number; got ${cfg.lnEps}`);
  if (!["gelu_new", "gelu", "relu", "silu"].includes(cfg.act)) throw new Error(`${where}.act must be "gelu_new", "gelu", "relu" or "silu"; got ${JSON.stringify(cfg.act)}`);
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
  return architecture(cfg).paramCount(cfg);
}
