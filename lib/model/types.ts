/**
 * The model contract every method, widget and notebook codes against.
 * Shapes in comments: [batch, pos, d_model] etc.
 */
import type * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";

export interface ModelConfig {
  arch: "gpt2" | "bert";
  nLayers: number;
  dModel: number;
  nHeads: number;
  dHead: number;
  /** 0 for attention-only models (no MLP, no resid_mid). */
  dMlp: number;
  nCtx: number;
  dVocab: number;
  lnEps: number;
  /** "gelu_new" is GPT-2's tanh approximation, "gelu" is the exact erf form (BERT). */
  act: "gelu_new" | "gelu" | "relu";
  attnOnly: boolean;
  /** GPT-2: unembedding shares the token-embedding matrix. */
  tiedUnembed: boolean;
  /** BERT only. */
  typeVocabSize?: number;
  /** BERT only: whether a masked-LM head is present (else logits are the last hidden state). */
  mlmHead?: boolean;
  padTokenId?: number;
  name?: string;
}

/** Token ids for a batch. Padding is marked by attentionMask = 0. */
export interface TokenBatch {
  ids: Int32Array; // [batch, pos] row-major
  shape: [number, number]; // [batch, pos]
  attentionMask: Int32Array; // [batch, pos], 1 = real token, 0 = padding
  tokenTypeIds?: Int32Array; // [batch, pos] (BERT)
}

/** What run()/runWithCache()/runWithHooks() accept: text(s), id list(s), or a prepared batch. */
export type ModelInput = string | string[] | number[] | number[][] | TokenBatch;

export interface HookContext {
  name: HookName;
  layer: number | null;
}

/** A hook reads an activation and may return a replacement of the same shape (or nothing). */
export type HookFn = (act: tf.Tensor, ctx: HookContext) => tf.Tensor | void;

export interface Hook {
  name: HookName | ((name: HookName) => boolean);
  fn: HookFn;
}

/** Activations keyed by hook name; only the names asked for are kept. */
export interface ActivationCache {
  get(name: HookName): tf.Tensor;
  has(name: HookName): boolean;
  names(): HookName[];
  /** Frees every cached tensor. */
  dispose(): void;
}

export interface CacheOptions {
  /** Names to keep, or a predicate; default: every hook point. */
  names?: HookName[] | ((name: HookName) => boolean);
}
