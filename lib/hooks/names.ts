/**
 * Hook-point names, derived from the module tree exactly as TransformerLens names them.
 * `actName("pattern", 0)` -> "blocks.0.attn.hook_pattern", `actName("resid_pre", 3)` -> "blocks.3.hook_resid_pre".
 */

/** Per-layer activations, keyed by their short name. Shapes use d = d_model, h = heads, e = d_head. */
export const LAYER_HOOKS = {
  resid_pre: "hook_resid_pre", // [batch, pos, d]
  resid_mid: "hook_resid_mid", // [batch, pos, d]  (absent in attention-only models)
  resid_post: "hook_resid_post", // [batch, pos, d]
  attn_in: "hook_attn_in", // [batch, pos, d]
  attn_out: "hook_attn_out", // [batch, pos, d]
  mlp_in: "hook_mlp_in", // [batch, pos, d]
  mlp_out: "hook_mlp_out", // [batch, pos, d]
  q: "attn.hook_q", // [batch, pos, h, e]
  k: "attn.hook_k", // [batch, pos, g, e] (g = key/value heads; = h unless grouped-query attention)
  v: "attn.hook_v", // [batch, pos, g, e]
  rot_q: "attn.hook_rot_q", // [batch, pos, h, e] (rotary models: queries after rotation)
  rot_k: "attn.hook_rot_k", // [batch, pos, g, e]
  z: "attn.hook_z", // [batch, pos, h, e]
  attn_scores: "attn.hook_attn_scores", // [batch, h, query, key]
  pattern: "attn.hook_pattern", // [batch, h, query, key]
  result: "attn.hook_result", // [batch, pos, h, d]
  pre: "mlp.hook_pre", // [batch, pos, d_mlp] (gated MLPs: the gate, before its activation)
  pre_linear: "mlp.hook_pre_linear", // [batch, pos, d_mlp] (gated MLPs: the up projection)
  post: "mlp.hook_post", // [batch, pos, d_mlp]
  ln1_scale: "ln1.hook_scale", // [batch, pos, 1]
  ln1_normalized: "ln1.hook_normalized", // [batch, pos, d]
  ln2_scale: "ln2.hook_scale", // [batch, pos, 1]
  ln2_normalized: "ln2.hook_normalized", // [batch, pos, d]
} as const;

/** Model-level activations that belong to no layer. */
export const GLOBAL_HOOKS = {
  embed: "hook_embed", // [batch, pos, d]
  pos_embed: "hook_pos_embed", // [batch, pos, d]
  token_type_embed: "hook_token_type_embed", // [batch, pos, d] (BERT)
  ln_final_scale: "ln_final.hook_scale", // [batch, pos, 1]
  ln_final_normalized: "ln_final.hook_normalized", // [batch, pos, d]
  logits: "hook_logits", // [batch, pos, vocab]
} as const;

export type LayerHookKind = keyof typeof LAYER_HOOKS;
export type GlobalHookKind = keyof typeof GLOBAL_HOOKS;
export type HookKind = LayerHookKind | GlobalHookKind;

/** A full hook name such as "blocks.0.attn.hook_pattern". */
export type HookName =
  | `blocks.${number}.${(typeof LAYER_HOOKS)[LayerHookKind]}`
  | (typeof GLOBAL_HOOKS)[GlobalHookKind];

export function actName(kind: GlobalHookKind): HookName;
export function actName(kind: LayerHookKind, layer: number): HookName;
export function actName(kind: HookKind, layer?: number): HookName {
  if (kind in GLOBAL_HOOKS) {
    if (layer !== undefined) {
      throw new Error(`actName: "${kind}" is not a per-layer hook, so layer must be omitted (got ${layer})`);
    }
    return GLOBAL_HOOKS[kind as GlobalHookKind];
  }
  if (!(kind in LAYER_HOOKS)) {
    const known = [...Object.keys(LAYER_HOOKS), ...Object.keys(GLOBAL_HOOKS)].join(", ");
    throw new Error(`actName: kind must be one of ${known}; got "${String(kind)}"`);
  }
  if (layer === undefined || !Number.isInteger(layer) || layer < 0) {
    throw new Error(`actName: layer must be a non-negative integer for "${kind}"; got ${layer}`);
  }
  return `blocks.${layer}.${LAYER_HOOKS[kind as LayerHookKind]}` as HookName;
}

/** Splits a hook name into its layer (null for model-level hooks) and short kind. */
export function parseHookName(name: string): { layer: number | null; kind: HookKind } {
  const m = /^blocks\.(\d+)\.(.+)$/.exec(name);
  if (m) {
    const kind = (Object.keys(LAYER_HOOKS) as LayerHookKind[]).find((k) => LAYER_HOOKS[k] === m[2]);
    if (kind) return { layer: Number(m[1]), kind };
  } else {
    const kind = (Object.keys(GLOBAL_HOOKS) as GlobalHookKind[]).find((k) => GLOBAL_HOOKS[k] === name);
    if (kind) return { layer: null, kind };
  }
  throw new Error(`hook name "${name}" is not a known hook point (expected e.g. "blocks.0.attn.hook_pattern")`);
}
