/**
 * Architectures as data: each architecture is described once — its hook names, embedding, block,
 * unembedding, initialisation and capabilities — and the forward pass (forward.ts), generation
 * (generate.ts), the fast causal-tracing engine and the logit lens all run through this
 * description instead of branching on `config.arch`. Methods ask for capabilities (`causal`,
 * `unembeds`), never for a name.
 */
import type * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { HookState } from "./hooked";
import type { ModelConfig, ModelWeights } from "./types";

export interface WeightsView {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
}

/**
 * What one block call sees besides its input. A plain forward pass uses only `maskAdd`; the
 * KV-cached paths (generation, the causal-tracing engine) run a block on a suffix of the
 * sequence: its rows sit at absolute positions pos0…, attend to `past` keys/values of the
 * positions before, and hand their own keys/values to `onKV`.
 */
export interface BlockContext {
  /** Additive attention mask [batch or 1, 1, query, key]: 0 = may attend, -Infinity = may not. Keys are past keys then this call's. */
  maskAdd: tf.Tensor4D;
  /** Absolute position of the first row of the block input (rotary embeddings); default 0. */
  pos0?: number;
  /** Keys and values of earlier positions, [batch, kvHeads, past, e] (after any rotation). */
  past?: { K: tf.Tensor4D; V: tf.Tensor4D } | null;
  /** Receives this call's keys and values, [batch, kvHeads, pos, e] (after any rotation). */
  onKV?: (K: tf.Tensor4D, V: tf.Tensor4D) => void;
  /** Only rows queryFrom… get queries and an output (their keys/values are still computed for all rows); default 0. */
  queryFrom?: number;
}

/** Weights as `init` makes them: everything but b_U; W_U only when untied. */
export type InitWeights = Omit<ModelWeights, "W_U" | "b_U"> & { W_U?: tf.Tensor2D };

/** Seeded random tensors for `init`. */
export interface InitRandom {
  normal(shape: number[], std?: number): tf.Tensor;
  ones(n: number): tf.Tensor1D;
  zeros(shape: number[]): tf.Tensor;
  /** Std of weight matrices (default 0.02). */
  std: number;
}

export interface Architecture {
  readonly name: ModelConfig["arch"];
  /** For describe(): "GPT-2 (decoder, pre-LayerNorm)". */
  readonly label: string;
  /** Each position attends only to itself and earlier positions (a decoder: generation, causal tracing). */
  readonly causal: boolean;
  /** Normalisation layers: "layernorm" (centre, scale, affine) or "rmsnorm" (scale, gain). */
  readonly norm: "layernorm" | "rmsnorm";
  /** "learned": W_pos added to the embedding; "rotary": queries and keys rotated in every block. */
  readonly positions: "learned" | "rotary";
  /** Pre-LN: the final norm and the unembedding read the residual stream (the logit lens applies). */
  readonly preNorm: boolean;
  /** Every hook name, in forward order. */
  hookNames(cfg: ModelConfig): HookName[];
  /** ids [batch, pos] int32 (types: BERT segments) -> residual entering blocks.0, rows at positions pos0…. */
  embed(m: WeightsView, ids: tf.Tensor2D, types: tf.Tensor2D | null, hs: HookState, pos0?: number): tf.Tensor3D;
  /** One block: resid_pre [batch, pos, d] -> resid_post [batch, pos − queryFrom, d] (hooks applied). */
  block(m: WeightsView, layer: number, resid: tf.Tensor3D, ctx: BlockContext, hs: HookState): tf.Tensor3D;
  /** Final norm / head and unembedding: [batch, pos, d] -> logits (after hook_logits). */
  unembed(m: WeightsView, resid: tf.Tensor3D, hs: HookState): tf.Tensor3D;
  /** Random weights for createModel (b_U is added as zeros). */
  init(cfg: ModelConfig, r: InitRandom): InitWeights;
  /** Trainable parameters (tied matrices once). */
  paramCount(cfg: ModelConfig): number;
}
