/** GPT-2-style decoder: learned positions, pre-LayerNorm blocks, final LayerNorm, (tied) unembedding. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import { attention } from "./attention";
import type { HookState } from "./hooked";
import { layerNorm } from "./layernorm";
import { unembedMatmul } from "./linear";
import { mlp } from "./mlp";
import type { ModelConfig, ModelWeights } from "./types";

export interface WeightsView {
  readonly config: ModelConfig;
  readonly weights: ModelWeights;
}

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

/** ids: [batch, pos] int32 -> blocks.0 residual input [batch, pos, d] (before hook_resid_pre). */
export function gpt2Embed(m: WeightsView, ids: tf.Tensor2D, hs: HookState): tf.Tensor3D {
  const [b, p] = ids.shape;
  const d = m.config.dModel;
  const embed = hs.point("hook_embed", null, tf.gather(m.weights.W_E, ids) as unknown as tf.Tensor3D);
  const pos = tf.broadcastTo(tf.slice(m.weights.W_pos, [0, 0], [p, d]).reshape([1, p, d]), [b, p, d]) as tf.Tensor3D;
  const posEmbed = hs.point("hook_pos_embed", null, pos);
  return tf.add(embed, posEmbed);
}

/** One pre-LN block: resid_pre [batch, pos, d] -> resid_post [batch, pos, d] (hooks applied). */
export function gpt2Block(
  m: WeightsView,
  layer: number,
  residIn: tf.Tensor3D,
  maskAdd: tf.Tensor4D,
  hs: HookState,
): tf.Tensor3D {
  const cfg = m.config;
  const w = m.weights.blocks[layer];
  const resid = hs.point(at(layer, "hook_resid_pre"), layer, residIn);
  const attnIn = hs.point(at(layer, "hook_attn_in"), layer, resid);
  const normed1 = layerNorm(attnIn, w.ln1_w, w.ln1_b, cfg.lnEps, hs, `blocks.${layer}.ln1`, layer);
  const attnOut = hs.point(at(layer, "hook_attn_out"), layer, attention(normed1, w, maskAdd, cfg, hs, layer));
  if (cfg.attnOnly) return hs.point(at(layer, "hook_resid_post"), layer, tf.add(resid, attnOut) as tf.Tensor3D);
  const mid = hs.point(at(layer, "hook_resid_mid"), layer, tf.add(resid, attnOut) as tf.Tensor3D);
  const mlpIn = hs.point(at(layer, "hook_mlp_in"), layer, mid);
  const normed2 = layerNorm(mlpIn, w.ln2_w!, w.ln2_b!, cfg.lnEps, hs, `blocks.${layer}.ln2`, layer);
  const mlpOut = hs.point(at(layer, "hook_mlp_out"), layer, mlp(normed2, w, cfg, hs, layer));
  return hs.point(at(layer, "hook_resid_post"), layer, tf.add(mid, mlpOut) as tf.Tensor3D);
}

/** Final LayerNorm and unembedding: [batch, pos, d] -> logits [batch, pos, vocab] (after hook_logits). */
export function gpt2Unembed(m: WeightsView, resid: tf.Tensor3D, hs: HookState): tf.Tensor3D {
  const w = m.weights;
  const x = layerNorm(resid, w.ln_final_w!, w.ln_final_b!, m.config.lnEps, hs, "ln_final", null);
  const logits = unembedMatmul(x, w, m.config.tiedUnembed);
  return hs.point("hook_logits", null, tf.add(logits, w.b_U));
}
