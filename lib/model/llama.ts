/**
 * Llama-family decoder (Llama 2/3, SmolLM2, ...): no learned positions, pre-RMSNorm blocks with
 * rotary queries/keys and grouped-query attention, a SwiGLU MLP, a final RMSNorm and a tied or
 * separate unembedding. No biases: the b_* tensors are zeros, as TransformerLens keeps them.
 */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { Architecture, BlockContext, InitRandom, InitWeights, WeightsView } from "./arch";
import { attention } from "./attention";
import { queryRows } from "./gpt2";
import type { HookState } from "./hooked";
import { rmsNorm } from "./layernorm";
import { isZeroBias, unembedMatmul } from "./linear";
import { mlp } from "./mlp";
import { rotaryTables } from "./rotary";
import type { LayerWeights, ModelConfig } from "./types";

const at = (layer: number, s: string) => `blocks.${layer}.${s}` as HookName;

export function llamaHookNames(cfg: ModelConfig): HookName[] {
  const out: string[] = ["hook_embed"];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    out.push(`${b}hook_resid_pre`, `${b}hook_attn_in`, `${b}ln1.hook_scale`, `${b}ln1.hook_normalized`);
    for (const s of ["q", "k", "v", "rot_q", "rot_k", "attn_scores", "pattern", "z", "result"]) out.push(`${b}attn.hook_${s}`);
    out.push(`${b}hook_attn_out`, `${b}hook_resid_mid`, `${b}hook_mlp_in`, `${b}ln2.hook_scale`, `${b}ln2.hook_normalized`);
    out.push(`${b}mlp.hook_pre`, `${b}mlp.hook_pre_linear`, `${b}mlp.hook_post`, `${b}hook_mlp_out`, `${b}hook_resid_post`);
  }
  out.push("ln_final.hook_scale", "ln_final.hook_normalized", "hook_logits");
  return out as HookName[];
}

function llamaEmbed(m: WeightsView, ids: tf.Tensor2D, hs: HookState): tf.Tensor3D {
  return hs.point("hook_embed", null, tf.gather(m.weights.W_E, ids) as unknown as tf.Tensor3D);
}

/** One pre-RMSNorm block; the rows of `residIn` sit at absolute positions ctx.pos0…. */
function llamaBlock(m: WeightsView, layer: number, residIn: tf.Tensor3D, ctx: BlockContext, hs: HookState): tf.Tensor3D {
  const cfg = m.config;
  const w = m.weights.blocks[layer];
  const resid = hs.point(at(layer, "hook_resid_pre"), layer, residIn);
  const attnIn = hs.point(at(layer, "hook_attn_in"), layer, resid);
  const normed1 = rmsNorm(attnIn, w.ln1_w, cfg.lnEps, hs, `blocks.${layer}.ln1`, layer);
  const rot = rotaryTables(ctx.pos0 ?? 0, resid.shape[1], cfg.rotaryDim ?? cfg.dHead, cfg.rotaryBase ?? 10000);
  const attnOut = hs.point(at(layer, "hook_attn_out"), layer, attention(normed1, w, ctx, cfg, hs, layer, rot));
  const mid = hs.point(at(layer, "hook_resid_mid"), layer, tf.add(queryRows(resid, ctx), attnOut) as tf.Tensor3D);
  const mlpIn = hs.point(at(layer, "hook_mlp_in"), layer, mid);
  const normed2 = rmsNorm(mlpIn, w.ln2_w!, cfg.lnEps, hs, `blocks.${layer}.ln2`, layer);
  const mlpOut = hs.point(at(layer, "hook_mlp_out"), layer, mlp(normed2, w, cfg, hs, layer));
  return hs.point(at(layer, "hook_resid_post"), layer, tf.add(mid, mlpOut) as tf.Tensor3D);
}

function llamaUnembed(m: WeightsView, resid: tf.Tensor3D, hs: HookState): tf.Tensor3D {
  const w = m.weights;
  const x = rmsNorm(resid, w.ln_final_w!, m.config.lnEps, hs, "ln_final", null);
  const logits = unembedMatmul(x, w, m.config.tiedUnembed);
  return hs.point("hook_logits", null, isZeroBias(w.b_U) ? logits : tf.add(logits, w.b_U)); // see isZeroBias
}

function llamaInit(cfg: ModelConfig, r: InitRandom): InitWeights {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const g = cfg.nKVHeads ?? h;
  const W_E = r.normal([v, d]) as tf.Tensor2D;
  const blocks: LayerWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    blocks.push({
      W_Q: r.normal([h, d, e]) as tf.Tensor3D, b_Q: r.zeros([h, e]) as tf.Tensor2D,
      W_K: r.normal([g, d, e]) as tf.Tensor3D, b_K: r.zeros([g, e]) as tf.Tensor2D,
      W_V: r.normal([g, d, e]) as tf.Tensor3D, b_V: r.zeros([g, e]) as tf.Tensor2D,
      W_O: r.normal([h, e, d]) as tf.Tensor3D, b_O: r.zeros([d]) as tf.Tensor1D,
      ln1_w: r.ones(d), ln2_w: r.ones(d),
      W_gate: r.normal([d, m]) as tf.Tensor2D,
      W_in: r.normal([d, m]) as tf.Tensor2D, b_in: r.zeros([m]) as tf.Tensor1D,
      W_out: r.normal([m, d]) as tf.Tensor2D, b_out: r.zeros([d]) as tf.Tensor1D,
    });
  }
  const w: InitWeights = { W_E, blocks, ln_final_w: r.ones(d) };
  if (!cfg.tiedUnembed) w.W_U = r.normal([d, v]) as tf.Tensor2D;
  return w;
}

function llamaParams(cfg: ModelConfig): number {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const g = cfg.nKVHeads ?? h;
  const block = 2 * h * d * e + 2 * g * d * e + 3 * d * m + 2 * d;
  return v * d + cfg.nLayers * block + d + (cfg.tiedUnembed ? 0 : d * v);
}

export const LLAMA: Architecture = {
  name: "llama",
  label: "Llama (decoder, pre-RMSNorm, rotary, SwiGLU)",
  causal: true,
  norm: "rmsnorm",
  positions: "rotary",
  preNorm: true,
  hookNames: llamaHookNames,
  embed: (m, ids, _types, hs) => llamaEmbed(m, ids, hs),
  block: llamaBlock,
  unembed: llamaUnembed,
  init: llamaInit,
  paramCount: llamaParams,
};
