/** The feed-forward sublayer: W_in, activation, W_out, with hook_pre/hook_post. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { HookState } from "./hooked";
import { activation, linear } from "./linear";
import type { LayerWeights, ModelConfig } from "./types";

/** x: [batch, pos, d] (already normalised for GPT-2) -> mlp_out before its hook, [batch, pos, d]. */
export function mlp(x: tf.Tensor3D, w: LayerWeights, cfg: ModelConfig, hs: HookState, layer: number): tf.Tensor3D {
  if (w.W_gate) {
    // SwiGLU (Llama): hook_pre is the gate, hook_pre_linear the up projection, as in TransformerLens.
    const gate = hs.point(`blocks.${layer}.mlp.hook_pre` as HookName, layer, linear(x, w.W_gate)); // [batch, pos, m]
    const up = hs.point(`blocks.${layer}.mlp.hook_pre_linear` as HookName, layer, linear(x, w.W_in!, w.b_in));
    const post = hs.point(`blocks.${layer}.mlp.hook_post` as HookName, layer, tf.mul(activation(cfg.act, gate), up) as tf.Tensor3D);
    return linear(post, w.W_out!, w.b_out);
  }
  let pre = linear(x, w.W_in!, w.b_in); // [batch, pos, m]
  pre = hs.point(`blocks.${layer}.mlp.hook_pre` as HookName, layer, pre);
  let post = activation(cfg.act, pre) as tf.Tensor3D;
  post = hs.point(`blocks.${layer}.mlp.hook_post` as HookName, layer, post);
  return linear(post, w.W_out!, w.b_out);
}
