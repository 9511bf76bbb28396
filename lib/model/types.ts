/**
 * The model contract every method, widget and notebook codes against.
 * Shapes in comments: [batch, pos, d_model] etc.
 */
import type * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";

export interface ModelConfig {
  arch: "gpt2" | "bert" | "llama";
  nLayers: number;
  dModel: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (grouped-query attention); resolveConfig sets it, = nHeads except in Llama-family models. */
  nKVHeads?: number;
  dHead: number;
  /** 0 for attention-only models (no MLP, no resid_mid). */
  dMlp: number;
  nCtx: number;
  dVocab: number;
  lnEps: number;
  /** "gelu_new" is GPT-2's tanh approximation, "gelu" is the exact erf form (BERT); "silu" gates Llama's SwiGLU MLP. */
  act: "gelu_new" | "gelu" | "relu" | "silu";
  attnOnly: boolean;
  /** GPT-2: unembedding shares the token-embedding matrix. */
  tiedUnembed: boolean;
  /** BERT only. */
  typeVocabSize?: number;
  /** BERT only: whether a masked-LM head is present (else logits are the last hidden state). */
  mlmHead?: boolean;
  padTokenId?: number;
  /** Llama only: rotary embedding base (theta) and the number of rotated dimensions per head (default dHead). */
  rotaryBase?: number;
  rotaryDim?: number;
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

/** One tokenized text: ids, display strings (decoded text, e.g. " the", not "Ġthe") and character offsets. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  offsets: [number, number][]; // [start, end) into the input string, per token; [0, 0] for special tokens
}

export interface Tokenizer {
  readonly kind: "bpe" | "wordpiece";
  readonly vocabSize: number;
  /** prependBos: put the BOS token first (TransformerLens `prepend_bos`); its offsets are [0, 0]. */
  encode(text: string, opts?: { addSpecialTokens?: boolean; prependBos?: boolean }): Encoding;
  decode(ids: number[]): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  readonly specialIds: {
    bos?: number;
    eos?: number;
    pad?: number;
    cls?: number;
    sep?: number;
    mask?: number;
    unk?: number;
  };
}

/**
 * Per-layer weights, TransformerLens layout. h = heads, g = key/value heads (= h except with
 * grouped-query attention), d = d_model, e = d_head, m = d_mlp. Llama's biases are zeros (as in
 * TransformerLens) and its norms are RMSNorms, which have no bias (ln1_b, ln2_b absent).
 */
export interface LayerWeights {
  W_Q: tf.Tensor3D; // [h, d, e]
  b_Q: tf.Tensor2D; // [h, e]
  W_K: tf.Tensor3D; // [g, d, e]
  b_K: tf.Tensor2D; // [g, e]
  W_V: tf.Tensor3D; // [g, d, e]
  b_V: tf.Tensor2D; // [g, e]
  W_O: tf.Tensor3D; // [h, e, d]
  b_O: tf.Tensor1D; // [d]
  /** GPT-2: LayerNorm before attention. BERT: LayerNorm after attention + residual. */
  ln1_w: tf.Tensor1D; // [d]
  ln1_b?: tf.Tensor1D; // [d] (LayerNorm only)
  /** Absent in attention-only models. GPT-2: before the MLP; BERT: after MLP + residual. */
  ln2_w?: tf.Tensor1D; // [d]
  ln2_b?: tf.Tensor1D; // [d]
  /** Gated MLPs (Llama's SwiGLU): mlp_out = (act(x W_gate) * (x W_in)) W_out. */
  W_gate?: tf.Tensor2D; // [d, m]
  W_in?: tf.Tensor2D; // [d, m]
  b_in?: tf.Tensor1D; // [m]
  W_out?: tf.Tensor2D; // [m, d]
  b_out?: tf.Tensor1D; // [d]
}

export interface ModelWeights {
  W_E: tf.Tensor2D; // [vocab, d]
  W_pos?: tf.Tensor2D; // [n_ctx, d] (learned positions; absent with rotary embeddings)
  W_type?: tf.Tensor2D; // [types, d] (BERT)
  ln_embed_w?: tf.Tensor1D; // [d] (BERT: LayerNorm on the summed embeddings)
  ln_embed_b?: tf.Tensor1D;
  blocks: LayerWeights[];
  ln_final_w?: tf.Tensor1D; // [d] (decoders)
  ln_final_b?: tf.Tensor1D;
  /** BERT MLM head transform (dense + gelu + LayerNorm) before the unembedding. */
  mlm_W?: tf.Tensor2D; // [d, d]
  mlm_b?: tf.Tensor1D;
  mlm_ln_w?: tf.Tensor1D;
  mlm_ln_b?: tf.Tensor1D;
  W_U: tf.Tensor2D; // [d, vocab]
  b_U: tf.Tensor1D; // [vocab]
}

/** What every method, widget and notebook may rely on. */
export interface TransformerModel {
  readonly config: ModelConfig;
  readonly tokenizer?: Tokenizer;
  readonly weights: ModelWeights;
  /** Every hook name this model has, in forward order. */
  hookNames(): HookName[];
  toTokens(input: ModelInput): TokenBatch;
  /** Display strings of the tokens of one text or id list. */
  toStrTokens(input: string | number[]): string[];
  run(input: ModelInput): tf.Tensor3D; // logits [batch, pos, vocab]
  runWithCache(input: ModelInput, opts?: CacheOptions): { logits: tf.Tensor3D; cache: ActivationCache };
  runWithHooks(input: ModelInput, hooks: Hook[], opts?: CacheOptions): { logits: tf.Tensor3D; cache?: ActivationCache };
  dispose(): void;
}
