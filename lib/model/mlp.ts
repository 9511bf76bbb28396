/** The feed-forward sublayer: W_in, activation, W_out, with hook_pre/hook_post. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { HookState } from "./hooked";
import { activation, linear } from "./linear";
import type { LayerWeights, ModelConfig } from "./types";
import { DerivedWeights } from "./derived";
import { oneDnnOn } from "../backend";

/**
 * W_in stored transposed, [m, d], for an ungated MLP on tfjs-node with oneDNN (lib/backend.ts):
 * oneDNN multiplies x [128, 768] by a [3072, 768] right operand given transposed in ~6 ms, by the
 * same matrix stored [768, 3072] in ~10 ms (medians, quiet machine; d_mlp 2,304 shows no
 * difference, 4,096 the same 1.7x). Costs d·m floats per layer (113 MB for GPT-2 small). Not built
 * for gated MLPs (SmolLM2's gate and up matrices, [576, 1,536] each, would cost 212 MB; a
 * [768, 1,536] matrix gained ~15% in the same test), nor on wasm or without oneDNN, where the
 * transposed operand is the slow one (nor used there, should the backend change after the model
 * was made).
 */
export const transposedWin = new DerivedWeights<LayerWeights>(
  (w) => (w.W_in ? [w.W_in] : []),
  (w) => (w.W_in && !w.W_gate && oneDnnOn() ? [tf.transpose(w.W_in)] : null),
);

/** x: [batch, pos, d] (already normalised for GPT-2) -> mlp_out before its hook, [batch, pos, d]. */
export function mlp(x: tf.Tensor3D, w: LayerWeights, cfg: ModelConfig, hs: HookState, layer: number): tf.Tensor3D {
  if (w.W_gate) {
    // SwiGLU (Llama): hook_pre is the gate, hook_pre_linear the up projection, as in TransformerLens.
    const gate = hs.point(`blocks.${layer}.mlp.hook_pre` as HookName, layer, linear(x, w.W_gate)); // [batch, pos, m]
    const up = hs.point(`blocks.${layer}.mlp.hook_pre_linear` as HookName, layer, linear(x, w.W_in!, w.b_in));
    const post = hs.point(`blocks.${layer}.mlp.hook_post` as HookName, layer, tf.mul(activation(cfg.act, gate), up) as tf.Tensor3D);
    return linear(post, w.W_out!, w.b_out);
  }
  const WinT = oneDnnOn() ? transposedWin.current(w) : null;
  let pre = WinT ? linear(x, WinT[0] as tf.Tensor2D, w.b_in, true) : linear(x, w.W_in!, w.b_in); // [batch, pos, m]
  pre = hs.point(`blocks.${layer}.mlp.hook_pre` as HookName, layer, pre);
  let post = activation(cfg.act, pre) as tf.Tensor3D;
  post = hs.point(`blocks.${layer}.mlp.hook_post` as HookName, layer, post);
  return linear(post, w.W_out!, w.b_out);
}
