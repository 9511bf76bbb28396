/** BERT-style encoder: token + position + type embeddings with LayerNorm, post-LN blocks, optional MLM head. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { Architecture, BlockContext, InitRandom, InitWeights, WeightsView } from "./arch";
import { attention } from "./attention";
import { learnedPositionInit, learnedPositionParams, queryRows } from "./gpt2";
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
export function bertEmbed(m: WeightsView, ids: tf.Tensor2D, types: tf.Tensor2D | null, hs: HookState, pos0 = 0): tf.Tensor3D {
  const [b, p] = ids.shape;
  const d = m.config.dModel;
  const w = m.weights;
  types ??= tf.zeros([b, p], "int32") as tf.Tensor2D;
  const embed = hs.point("hook_embed", null, tf.gather(w.W_E, ids) as unknown as tf.Tensor3D);
  const pos = tf.broadcastTo(tf.slice(w.W_pos!, [pos0, 0], [p, d]).reshape([1, p, d]), [b, p, d]) as tf.Tensor3D;
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
  ctx: BlockContext,
  hs: HookState,
): tf.Tensor3D {
  const cfg = m.config;
  const w = m.weights.blocks[layer];
  const resid = hs.point(at(layer, "hook_resid_pre"), layer, residIn);
  const attnIn = hs.point(at(layer, "hook_attn_in"), layer, resid);
  const attnOut = hs.point(at(layer, "hook_attn_out"), layer, attention(attnIn, w, ctx, cfg, hs, layer));
  const mid0 = layerNorm(tf.add(queryRows(resid, ctx), attnOut), w.ln1_w, w.ln1_b!, cfg.lnEps, hs, `blocks.${layer}.ln1`, layer);
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

/** BERT's extra weights drawn after the shared ones (type embeddings, embedding LayerNorm, MLM head). */
function bertInit(cfg: ModelConfig, r: InitRandom): InitWeights {
  const w = learnedPositionInit(cfg, r);
  const d = cfg.dModel;
  w.W_type = r.normal([cfg.typeVocabSize!, d]) as tf.Tensor2D;
  w.ln_embed_w = r.ones(d);
  w.ln_embed_b = r.zeros([d]) as tf.Tensor1D;
  if (cfg.mlmHead) {
    w.mlm_W = r.normal([d, d]) as tf.Tensor2D;
    w.mlm_b = r.zeros([d]) as tf.Tensor1D;
    w.mlm_ln_w = r.ones(d);
    w.mlm_ln_b = r.zeros([d]) as tf.Tensor1D;
  }
  return w;
}

function bertParams(cfg: ModelConfig): number {
  const d = cfg.dModel;
  let total = learnedPositionParams(cfg) + (cfg.typeVocabSize ?? 2) * d + 2 * d;
  if (cfg.mlmHead) total += d * d + 3 * d;
  else total -= cfg.dVocab; // no b_U in use
  return total;
}

export const BERT: Architecture = {
  name: "bert",
  label: "BERT (encoder, post-LayerNorm)",
  causal: false,
  norm: "layernorm",
  positions: "learned",
  preNorm: false,
  hookNames: bertHookNames,
  embed: (m, ids, types, hs, pos0) => bertEmbed(m, ids, types, hs, pos0),
  block: bertBlock,
  unembed: bertUnembed,
  init: bertInit,
  paramCount: bertParams,
};
