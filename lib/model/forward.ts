/**
 * The forward pass, split so that parts can be run on their own:
 *
 *   const state = hookState(model, { hooks, names });       // hooks + cache for this sequence of calls
 *   const resid0 = embedTokens(model, batch, state);         // [batch, pos, d], enters blocks.0
 *   const residL = runBlocks(model, resid0, { toLayer: L, attentionMask: batch.attentionMask, state });
 *   const resid  = runBlocks(model, patched, { fromLayer: L, attentionMask: batch.attentionMask, state });
 *   const logits = unembed(model, resid, state);             // [batch, pos, vocab]
 *
 * runBlocks(resid, {fromLayer: L}) treats `resid` as blocks.L.hook_resid_pre, which is what causal
 * tracing needs to restart from a patched residual stream. Callers own the returned tensors; the
 * input tensors are never disposed. Keys/values are recomputed (no KV reuse); the KV-cached
 * paths (generate.ts, the tracing engine) call the architecture's block themselves.
 * Every step runs through the architecture's description (arch.ts), never a branch on its name.
 */
import * as tf from "@tensorflow/tfjs";
import type { WeightsView } from "./arch";
import { architecture } from "./architectures";
import { attentionMaskFrom } from "./attention";
import { HookState } from "./hooked";
import { validateBatch } from "./tokens";
import type { CacheOptions, Hook, TokenBatch } from "./types";

export interface ForwardModel extends WeightsView {
  /** Every hook name of the model, for validating hook and cache names. */
  readonly hookNameSet: ReadonlySet<string>;
}

/** Hooks and cache for one call (or one hand-driven sequence of embed/runBlocks/unembed calls). */
export function hookState(model: ForwardModel, opts: { hooks?: Hook[]; names?: CacheOptions["names"] | "all"; where?: string } = {}): HookState {
  return new HookState(model.hookNameSet, opts.hooks ?? [], opts.names, opts.where);
}

function idsTensor(data: Int32Array, shape: [number, number]): tf.Tensor2D {
  return tf.tensor2d(data, shape, "int32");
}

/** Token (and position/type) embeddings: the residual stream entering blocks.0, [batch, pos, d]. */
export function embedTokens(model: ForwardModel, batch: TokenBatch, state: HookState = hookState(model)): tf.Tensor3D {
  validateBatch(batch, model.config, "embedTokens: batch");
  return tf.tidy(() => {
    const ids = idsTensor(batch.ids, batch.shape);
    const types = batch.tokenTypeIds ? idsTensor(batch.tokenTypeIds, batch.shape) : null;
    return architecture(model.config).embed(model, ids, types, state);
  });
}

export interface RunBlocksOptions {
  /** First block to run; `resid` is its hook_resid_pre. Default 0. */
  fromLayer?: number;
  /** One past the last block to run. Default nLayers. */
  toLayer?: number;
  /** [batch, pos] row-major, 1 = real token; default all ones. */
  attentionMask?: Int32Array;
  /** Hooks and cache; default none. */
  state?: HookState;
}

/** Runs blocks fromLayer..toLayer-1 on `resid` [batch, pos, d]; returns the last block's resid_post. */
export function runBlocks(model: ForwardModel, resid: tf.Tensor3D, opts: RunBlocksOptions = {}): tf.Tensor3D {
  const n = model.config.nLayers;
  const from = opts.fromLayer ?? 0;
  const to = opts.toLayer ?? n;
  if (!Number.isInteger(from) || from < 0 || from > n) throw new Error(`runBlocks: fromLayer must be an integer in [0, ${n}]; got ${from}`);
  if (!Number.isInteger(to) || to < from || to > n) throw new Error(`runBlocks: toLayer must be an integer in [${from}, ${n}]; got ${to}`);
  if (!(resid instanceof tf.Tensor) || resid.rank !== 3 || resid.shape[2] !== model.config.dModel) {
    throw new Error(`runBlocks: resid must be a [batch, pos, ${model.config.dModel}] tensor; got ${resid instanceof tf.Tensor ? `[${resid.shape.join(", ")}]` : typeof resid}`);
  }
  const [b, p] = resid.shape;
  if (p > model.config.nCtx) throw new Error(`runBlocks: sequence length ${p} exceeds nCtx = ${model.config.nCtx}`);
  const maskData = opts.attentionMask ?? new Int32Array(b * p).fill(1);
  if (maskData.length !== b * p) throw new Error(`runBlocks: attentionMask has length ${maskData.length}; expected batch*pos = ${b * p}`);
  for (let i = 0; i < maskData.length; i++) {
    if (maskData[i] !== 0 && maskData[i] !== 1) throw new Error(`runBlocks: attentionMask[${i}] is ${maskData[i]}; expected 0 or 1`);
  }
  const state = opts.state ?? hookState(model);
  if (from === to) return resid.clone();
  return tf.tidy(() => {
    const arch = architecture(model.config);
    const ctx = { maskAdd: attentionMaskFrom(maskData, b, p, arch.causal) };
    let x = resid;
    // One tidy per block keeps peak memory to one block's intermediates plus what the cache keeps.
    for (let l = from; l < to; l++) {
      const prev = x;
      x = tf.tidy(() => arch.block(model, l, prev, ctx, state));
    }
    return x;
  });
}

/** Final LayerNorm / MLM head and unembedding: [batch, pos, d] -> logits (after hook_logits). */
export function unembed(model: ForwardModel, resid: tf.Tensor3D, state: HookState = hookState(model)): tf.Tensor3D {
  if (!(resid instanceof tf.Tensor) || resid.rank !== 3 || resid.shape[2] !== model.config.dModel) {
    throw new Error(`unembed: resid must be a [batch, pos, ${model.config.dModel}] tensor; got ${resid instanceof tf.Tensor ? `[${resid.shape.join(", ")}]` : typeof resid}`);
  }
  return tf.tidy(() => architecture(model.config).unembed(model, resid, state));
}

/** The whole forward pass for a validated batch. */
export function forward(model: ForwardModel, batch: TokenBatch, state: HookState): tf.Tensor3D {
  return tf.tidy(() => {
    const resid0 = embedTokens(model, batch, state);
    const resid = runBlocks(model, resid0, { attentionMask: batch.attentionMask, state });
    return unembed(model, resid, state);
  });
}
