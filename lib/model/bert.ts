/** BERT-style encoder: token + position + type embeddings with LayerNorm, post-LN blocks, optional MLM head. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import { attention } from "./attention";
import type { WeightsView } from "./gpt2";
import type { HookState } from "./hooked";
import { layerNorm } from "./layernorm";
import { activation, linear, unembedMatmul } from "./linear";
import { mlp } from "./mlp";
import type { ModelConfig } from "./types";

const at = (layer: number, s: string) => `blocks.${layer}.${s}` as HookName;

export function bertHookNames(cfg: ModelConfig): HookName[] {
  const out: string[] = ["hook_embed", "hook_pos_embed", "hook_token_type_embed"];
  for (let l = 0; l < cfg.nLayers; l++) {
    const b = `blocks.${l}.`;
    out.push(`${b}hook_resid_pre`, `${b}hook_attn_in`);
    for (const s of ["q", "k", "v", "attn_scores", "pattern", "z", "result"]) out.push(`${b}attn.hook_${s}`);
    out.push(`${b}hook_attn_out`, `${b}ln1.hook_scale`, `${b}ln1.hook_normalized`, `${b}hook_resid_mid`);
    out.push(`${b}hook_mlp_in`, `${b}mlp.hook_pre`, `${b}mlp.hook_post`, `${b}hook_mlp_out`);
    out.push(`${b}ln2.hook_scale`, `${b}ln2.hook_normalized`, `${b}hook_resid_post`);
  }
  out.push("hook_logits");
  return out as HookName[];
}

/** ids, types: [batch, pos] int32 -> LayerNormed embeddings [batch, pos, d] (HF hidden_states[0]). */
export function bertEmbed(m: WeightsView, ids: tf.Tensor2D, types: tf.Tensor2D, hs: HookState): tf.Tensor3D {
  const [b, p] = ids.shape;
  const d = m.config.dModel;
  const w = m.weights;
  const embed = hs.point("hook_embed", null, tf.gather(w.W_E, ids) as unknown as tf.Tensor3D);
  const pos = tf.broadcastTo(tf.slice(w.W_pos, [0, 0], [p, d]).reshape([1, p, d]), [b, p, d]) as tf.Tensor3D;
  const posEmbed = hs.point("hook_pos_embed", null, pos);
  const typeEmbed = hs.point("hook_token_type_embed", null, tf.gather(w.W_type!, types) as unknown as tf.Tensor3D);
  const sum = tf.add(tf.add(embed, posEmbed), typeEmbed) as tf.Tensor3D;
  return layerNorm(sum, w.ln_embed_w!, w.ln_embed_b!, m.config.lnEps, null, null, null);
}

/** One post-LN block: resid_mid = LN1(resid_pre + attn_out), resid_post = LN2(resid_mid + mlp_out). */
export function bertBlock(
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
  const attnOut = hs.point(at(layer, "hook_attn_out"), layer, attention(attnIn, w, maskAdd, cfg, hs, layer));
  const mid0 = layerNorm(tf.add(resid, attnOut), w.ln1_w, w.ln1_b, cfg.lnEps, hs, `blocks.${layer}.ln1`, layer);
  const mid = hs.point(at(layer, "hook_resid_mid"), layer, mid0);
  const mlpIn = hs.point(at(layer, "hook_mlp_in"), layer, mid);
  const mlpOut = hs.point(at(layer, "hook_mlp_out"), layer, mlp(mlpIn, w, cfg, hs, layer));
  const post = layerNorm(tf.add(mid, mlpOut), w.ln2_w!, w.ln2_b!, cfg.lnEps, hs, `blocks.${layer}.ln2`, layer);
  return hs.point(at(layer, "hook_resid_post"), layer, post);
}

/** MLM head (dense, gelu, LayerNorm, unembed) or, without one, the last hidden state itself. */
export function bertUnembed(m: WeightsView, resid: tf.Tensor3D, hs: HookState): tf.Tensor3D {
  const cfg = m.config;
  const w = m.weights;
  if (!cfg.mlmHead) return hs.point("hook_logits", null, resid);
  const h = activation(cfg.act, linear(resid, w.mlm_W!, w.mlm_b)) as tf.Tensor3D;
  const x = layerNorm(h, w.mlm_ln_w!, w.mlm_ln_b!, cfg.lnEps, null, null, null);
  const logits = unembedMatmul(x, w, cfg.tiedUnembed);
  return hs.point("hook_logits", null, tf.add(logits, w.b_U));
}
