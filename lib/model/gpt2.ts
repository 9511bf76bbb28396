/** GPT-2-style decoder: learned positions, pre-LayerNorm blocks, final LayerNorm, (tied) unembedding. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { Architecture, BlockContext, InitRandom, InitWeights, WeightsView } from "./arch";
import { attention } from "./attention";
import type { HookState } from "./hooked";
import { layerNorm } from "./layernorm";
import { isZeroBias, unembedMatmul } from "./linear";
import { mlp } from "./mlp";
import type { LayerWeights, ModelConfig } from "./types";

export type { WeightsView } from "./arch";

const at = (layer: number, s: string) => `blocks.${layer}.${s}` as HookName;

export function gpt2HookNames(cfg: ModelConfig): HookName[] {
  const out: string[] = ["hook_embed", "hook_pos_embed"];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    out.push(`${b}hook_resid_pre`, `${b}hook_attn_in`, `${b}ln1.hook_scale`, `${b}ln1.hook_normalized`);
    for (const s of ["q", "k", "v", "attn_scores", "pattern", "z", "result"]) out.push(`${b}attn.hook_${s}`);
    out.push(`${b}hook_attn_out`);
    if (!cfg.attnOnly) {
      out.push(`${b}hook_resid_mid`, `${b}hook_mlp_in`, `${b}ln2.hook_scale`, `${b}ln2.hook_normalized`);
      out.push(`${b}mlp.hook_pre`, `${b}mlp.hook_post`, `${b}hook_mlp_out`);
    }
    out.push(`${b}hook_resid_post`);
  }
  out.push("ln_final.hook_scale", "ln_final.hook_normalized", "hook_logits");
  return out as HookName[];
}

/** ids: [batch, pos] int32 at positions pos0… -> blocks.0 residual input [batch, pos, d] (before hook_resid_pre). */
export function gpt2Embed(m: WeightsView, ids: tf.Tensor2D, hs: HookState, pos0 = 0): tf.Tensor3D {
  const [b, p] = ids.shape;
  const d = m.config.dModel;
  const embed = hs.point("hook_embed", null, tf.gather(m.weights.W_E, ids) as unknown as tf.Tensor3D);
  const pos = tf.broadcastTo(tf.slice(m.weights.W_pos!, [pos0, 0], [p, d]).reshape([1, p, d]), [b, p, d]) as tf.Tensor3D;
  const posEmbed = hs.point("hook_pos_embed", null, pos);
  return tf.add(embed, posEmbed);
}

/** One pre-LN block: resid_pre [batch, pos, d] -> resid_post [batch, pos − queryFrom, d] (hooks applied). */
export function gpt2Block(m: WeightsView, layer: number, residIn: tf.Tensor3D, ctx: BlockContext, hs: HookState): tf.Tensor3D {
  const cfg = m.config;
  const w = m.weights.blocks[layer];
  const resid = hs.point(at(layer, "hook_resid_pre"), layer, residIn);
  const attnIn = hs.point(at(layer, "hook_attn_in"), layer, resid);
  const normed1 = layerNorm(attnIn, w.ln1_w, w.ln1_b!, cfg.lnEps, hs, `blocks.${layer}.ln1`, layer);
  const attnOut = hs.point(at(layer, "hook_attn_out"), layer, attention(normed1, w, ctx, cfg, hs, layer));
  const residQ = queryRows(resid, ctx);
  if (cfg.attnOnly) return hs.point(at(layer, "hook_resid_post"), layer, tf.add(residQ, attnOut) as tf.Tensor3D);
  const mid = hs.point(at(layer, "hook_resid_mid"), layer, tf.add(residQ, attnOut) as tf.Tensor3D);
  const mlpIn = hs.point(at(layer, "hook_mlp_in"), layer, mid);
  const normed2 = layerNorm(mlpIn, w.ln2_w!, w.ln2_b!, cfg.lnEps, hs, `blocks.${layer}.ln2`, layer);
  const mlpOut = hs.point(at(layer, "hook_mlp_out"), layer, mlp(normed2, w, cfg, hs, layer));
  return hs.point(at(layer, "hook_resid_post"), layer, tf.add(mid, mlpOut) as tf.Tensor3D);
}

/** The rows of a block input that get an output (ctx.queryFrom…). */
export function queryRows(x: tf.Tensor3D, ctx: BlockContext): tf.Tensor3D {
  const qf = ctx.queryFrom ?? 0;
  if (qf === 0) return x;
  const [b, p, d] = x.shape;
  return tf.slice(x, [0, qf, 0], [b, p - qf, d]) as tf.Tensor3D;
}

/** Final LayerNorm and unembedding: [batch, pos, d] -> logits [batch, pos, vocab] (after hook_logits). */
export function gpt2Unembed(m: WeightsView, resid: tf.Tensor3D, hs: HookState): tf.Tensor3D {
  const w = m.weights;
  const x = layerNorm(resid, w.ln_final_w!, w.ln_final_b!, m.config.lnEps, hs, "ln_final", null);
  const logits = unembedMatmul(x, w, m.config.tiedUnembed);
  return hs.point("hook_logits", null, isZeroBias(w.b_U) ? logits : tf.add(logits, w.b_U));
}

/**
 * GPT-2 and BERT init, in the draw order createModel has always used (a seed gives the same
 * weights): W_E, W_pos, the blocks, W_U (untied), then BERT's type embeddings and MLM head.
 * Matrices N(0, std); GPT-2's output projections std/sqrt(2 n_layers) and positions N(0, 0.01).
 */
export function learnedPositionInit(cfg: ModelConfig, r: InitRandom): InitWeights {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const gpt = cfg.arch === "gpt2";
  const projStd = gpt ? r.std / Math.sqrt(2 * cfg.nLayers) : r.std;
  const W_E = r.normal([v, d]) as tf.Tensor2D;
  const W_pos = r.normal([cfg.nCtx, d], gpt ? 0.01 : r.std) as tf.Tensor2D;
  const blocks: LayerWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b: LayerWeights = {
      W_Q: r.normal([h, d, e]) as tf.Tensor3D, b_Q: r.zeros([h, e]) as tf.Tensor2D,
      W_K: r.normal([h, d, e]) as tf.Tensor3D, b_K: r.zeros([h, e]) as tf.Tensor2D,
      W_V: r.normal([h, d, e]) as tf.Tensor3D, b_V: r.zeros([h, e]) as tf.Tensor2D,
      W_O: r.normal([h, e, d], projStd) as tf.Tensor3D, b_O: r.zeros([d]) as tf.Tensor1D,
      ln1_w: r.ones(d), ln1_b: r.zeros([d]) as tf.Tensor1D,
    };
    if (!cfg.attnOnly) {
      b.ln2_w = r.ones(d);
      b.ln2_b = r.zeros([d]) as tf.Tensor1D;
      b.W_in = r.normal([d, m]) as tf.Tensor2D;
      b.b_in = r.zeros([m]) as tf.Tensor1D;
      b.W_out = r.normal([m, d], projStd) as tf.Tensor2D;
      b.b_out = r.zeros([d]) as tf.Tensor1D;
    }
    blocks.push(b);
  }
  const w: InitWeights = { W_E, W_pos, blocks };
  if (!cfg.tiedUnembed) w.W_U = r.normal([d, v]) as tf.Tensor2D;
  if (gpt) {
    w.ln_final_w = r.ones(d);
    w.ln_final_b = r.zeros([d]) as tf.Tensor1D;
  }
  return w;
}

/** Parameters of the shared GPT-2/BERT block, embeddings and unembedding. */
export function learnedPositionParams(cfg: ModelConfig): number {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v, nCtx: n } = cfg;
  const attn = 4 * h * d * e + 3 * h * e + d;
  const mlpP = cfg.attnOnly ? 0 : d * m + m + m * d + d + 2 * d;
  let total = v * d + n * d + cfg.nLayers * (attn + 2 * d + mlpP) + v;
  if (!cfg.tiedUnembed) total += d * v;
  return total;
}

export const GPT2: Architecture = {
  name: "gpt2",
  label: "GPT-2 (decoder, pre-LayerNorm)",
  causal: true,
  norm: "layernorm",
  positions: "learned",
  preNorm: true,
  hookNames: gpt2HookNames,
  embed: (m, ids, _types, hs, pos0) => gpt2Embed(m, ids, hs, pos0),
  block: gpt2Block,
  unembed: gpt2Unembed,
  init: learnedPositionInit,
  paramCount: (cfg) => learnedPositionParams(cfg) + 2 * cfg.dModel,
};
