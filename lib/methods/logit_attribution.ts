/**
 * Direct logit attribution (DLA): which components wrote the answer's logit?
 *
 * The final residual stream at position `pos` is a sum of parts: the token embedding, the
 * position embedding (where the architecture has one), every head's output z_h · W_O[h], every
 * attention layer's output bias b_O and every MLP's output. The logits are
 * (norm(resid) · W_U + b_U), and the final norm is linear in `resid` once its scale is held
 * fixed. So, as TransformerLens's `cache.apply_ln_to_stack` does, the scale is *frozen* at the
 * value the cached run computed (`ln_final.hook_scale` at `pos`) and each part goes through
 * the now-linear map on its own:
 *
 *   contribution(c) = (centre(c) / s) ⊙ w_norm · u,   u = W_U[:, answer] − W_U[:, against]
 *
 * where centre subtracts the mean over d_model for a LayerNorm and is the identity for an
 * RMSNorm. Which of the two the model has is read off the cached run (hook_normalized · s equals
 * resid − mean(resid) or resid), not off the architecture's name, so any decoder that exposes
 * `ln_final.hook_scale|hook_normalized`, `attn.hook_z` and W_O works. What the frozen map does
 * not carry is the constant part: the norm's bias · u and b_U[answer] − b_U[against] (the
 * "frozen bias terms"). Contributions plus bias terms equal the model's own logit (difference).
 *
 * TransformerLens folds the norm's weight into W_U and its bias into b_U; attnlab does no
 * folding, so the weight appears in the direction and the biases are reported as their own terms.
 */
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { checkInt, prepareSingle, resolvePos } from "./common";
import { tidyData } from "../backend";

export interface LogitAttributionOptions {
  /** Answer token: id, or a string that is exactly one token. */
  answer: number | string;
  /** Optional second token: attribute the logit difference answer − against. */
  against?: number | string;
  /** Position whose prediction is explained; negative counts from the end. Default −1. */
  pos?: number;
}

export interface TokenRef {
  id: number;
  token: string;
}

/** Labelled values, in residual-stream order. */
export interface LabelledValues {
  labels: string[];
  values: Float32Array;
}

export interface LogitAttributionResult {
  kind: "logit-attribution";
  tokens: string[];
  /** Resolved position (0-based). */
  pos: number;
  answer: TokenRef;
  against: TokenRef | null;
  /** "logit" or "logit difference". */
  metric: string;
  /** The model's own logit (difference) at `pos`. */
  value: number;
  /** Each head's direct contribution, [layer, head] row-major. */
  heads: Float32Array;
  headShape: [number, number];
  /** embed, pos_embed (if present), then per layer "L{l} attn" (its heads plus b_O) and "L{l} mlp" (as TransformerLens's decompose_resid). */
  layers: LabelledValues;
  /** Every component on its own: embed, pos_embed, then per layer L{l}H{h} for each head and L{l} mlp. */
  components: LabelledValues;
  /** The terms the frozen linear map leaves out of `components`: each layer's b_O, the final norm's bias, b_U. */
  bias: LabelledValues;
  /** Σ components + Σ bias (equals `value` up to float error). */
  total: number;
  /** The frozen final-norm scale at `pos`, and whether the norm centres (LayerNorm) or not (RMSNorm). */
  scale: number;
  centred: boolean;
  /**
   * The residual stream read off layer by layer (TransformerLens's accumulated_resid): rows
   * "resid_pre 0" … "resid_pre L−1", "resid_post L−1". `frozen`: projected with the final
   * scale frozen, biases left out (sums of the components so far; the last row + Σ bias = value).
   * `lens`: the logit-lens reading, norm recomputed on each row and biases in (last row = value).
   */
  accumulated: { labels: string[]; frozen: Float32Array; lens: Float32Array };
  settings: { answer: number; against: number | null; pos: number };
}

/** A token id from an id or a one-token string. */
export function resolveToken(model: TransformerModel, t: number | string, what: string, fn: string): number {
  if (typeof t === "number") {
    checkInt(t, 0, model.config.dVocab - 1, what, fn);
    return t;
  }
  if (typeof t !== "string") throw new Error(`${fn}: ${what} must be a token id or a one-token string; got ${typeof t}`);
  if (!model.tokenizer) throw new Error(`${fn}: ${what} is a string but the model has no tokenizer; pass a token id`);
  const ids = model.tokenizer.encode(t, { addSpecialTokens: false }).ids;
  if (ids.length !== 1) throw new Error(`${fn}: ${what} ${JSON.stringify(t)} is ${ids.length} tokens; it must be exactly one (e.g. with its leading space)`);
  return ids[0];
}

function tokenRef(model: TransformerModel, id: number): TokenRef {
  let token: string;
  try {
    token = model.toStrTokens([id])[0];
  } catch {
    token = String(id);
  }
  return { id, token };
}

/** The hook points DLA needs, checked once: a decoder with a final norm and per-head z. */
export function dlaCapabilities(model: TransformerModel, fn: string): { hasPos: boolean; hasMlp: boolean } {
  const names = new Set<string>(model.hookNames());
  const need = ["ln_final.hook_scale", "ln_final.hook_normalized", "blocks.0.attn.hook_z", "blocks.0.hook_resid_pre"];
  const missing = need.filter((n) => !names.has(n));
  if (missing.length) throw new Error(`${fn}: needs a decoder with a final norm and per-head outputs; this model has no ${missing.join(", ")}`);
  if (!model.weights.ln_final_w) throw new Error(`${fn}: the model's weights have no final norm weight (ln_final_w)`);
  if (model.weights.blocks.some((b) => !b.W_O)) throw new Error(`${fn}: every layer needs its head output matrix W_O`);
  return { hasPos: names.has("hook_pos_embed"), hasMlp: names.has("blocks.0.hook_mlp_out") };
}

/**
 * The frozen readout as a vector g over d_model: contribution(c) = c · g. Centring is folded into
 * g (centre(c) · v = c · (v − mean(v))). Also returns the constant bias term.
 */
function frozenDirection(
  model: TransformerModel,
  answer: number,
  against: number | null,
  scale: number,
  centred: boolean,
): { g: Float64Array; normBias: number; unembedBias: number; u: Float64Array } {
  const w = model.weights;
  const d = model.config.dModel;
  // W_U columns and b_U entries, read without materialising the whole [d, vocab] matrix on the JS side.
  const col = (i: number) => tidyData(() => w.W_U.slice([0, i], [d, 1]).reshape([d]));
  const ua = col(answer);
  const ub = against === null ? null : col(against);
  const u = ub ? ua.map((x, i) => x - ub[i]) : ua;
  const bU = (i: number) => tf.tidy(() => w.b_U.slice([i], [1]).dataSync()[0]);
  const bu = [against === null ? bU(answer) : bU(answer) - bU(against)];
  const wn = w.ln_final_w!.dataSync();
  const bn = w.ln_final_b ? w.ln_final_b.dataSync() : null;
  const g = new Float64Array(d);
  const uu = Float64Array.from(u);
  let normBias = 0;
  for (let i = 0; i < d; i++) {
    g[i] = (wn[i] * u[i]) / scale;
    if (bn) normBias += bn[i] * u[i];
  }
  if (centred) {
    let m = 0;
    for (let i = 0; i < d; i++) m += g[i];
    m /= d;
    for (let i = 0; i < d; i++) g[i] -= m;
  }
  return { g, normBias, unembedBias: bu[0], u: uu };
}

function dot(a: ArrayLike<number>, off: number, g: Float64Array): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += a[off + i] * g[i];
  return s;
}

/** Direct logit attribution of one prompt's prediction at `pos` (see the file comment). */
export function logitAttribution(model: TransformerModel, input: string | number[], opts: LogitAttributionOptions): LogitAttributionResult {
  const fn = "logitAttribution";
  if (!opts || typeof opts !== "object" || opts.answer === undefined) throw new Error(`${fn}: opts.answer is required (a token id or a one-token string)`);
  const { hasPos, hasMlp } = dlaCapabilities(model, fn);
  const answer = resolveToken(model, opts.answer, "answer", fn);
  const against = opts.against === undefined ? null : resolveToken(model, opts.against, "against", fn);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  const pos = resolvePos(opts.pos ?? -1, P, fn, "pos");
  const { nLayers: L, nHeads: H, dModel: d } = model.config;
  const names: HookName[] = ["hook_embed", "ln_final.hook_scale", "ln_final.hook_normalized", actName("resid_post", L - 1)];
  if (hasPos) names.push("hook_pos_embed");
  for (let l = 0; l < L; l++) {
    names.push(actName("z", l), actName("resid_pre", l));
    if (hasMlp) names.push(actName("mlp_out", l));
  }
  const { logits, cache } = model.runWithCache([ids], { names });
  try {
    const at = (name: HookName) => tidyData(() => cache.get(name).slice([0, pos], [1, 1]).reshape([-1]));
    const value = tf.tidy(() => {
      const row = logits.slice([0, pos, 0], [1, 1, -1]).reshape([-1]);
      const a = row.slice([answer], [1]);
      return (against === null ? a : a.sub(row.slice([against], [1]))).dataSync()[0];
    });
    const scale = at("ln_final.hook_scale")[0];
    const final = at(actName("resid_post", L - 1));
    const normed = at("ln_final.hook_normalized");
    // Which norm: compare hook_normalized · s with the centred and the raw residual.
    let mean = 0;
    for (let i = 0; i < d; i++) mean += final[i];
    mean /= d;
    let errC = 0;
    let errR = 0;
    for (let i = 0; i < d; i++) {
      errC = Math.max(errC, Math.abs(normed[i] * scale - (final[i] - mean)));
      errR = Math.max(errR, Math.abs(normed[i] * scale - final[i]));
    }
    const centred = errC < errR;
    const { g, normBias, unembedBias } = frozenDirection(model, answer, against, scale, centred);

    const compLabels: string[] = [];
    const compValues: number[] = [];
    const layerLabels: string[] = [];
    const layerValues: number[] = [];
    const biasLabels: string[] = [];
    const biasValues: number[] = [];
    const heads = new Float32Array(L * H);
    const push = (label: string, v: number, toLayers = true) => {
      compLabels.push(label);
      compValues.push(v);
      if (toLayers) {
        layerLabels.push(label);
        layerValues.push(v);
      }
    };
    push("embed", dot(at("hook_embed"), 0, g));
    if (hasPos) push("pos_embed", dot(at("hook_pos_embed"), 0, g));
    for (let l = 0; l < L; l++) {
      const w = model.weights.blocks[l];
      // [H, e] @ [H, e, d] -> [H, d]: each head's result at pos (TransformerLens's hook_result).
      const perHead = tidyData(() => {
        const z = cache.get(actName("z", l)).slice([0, pos], [1, 1]).reshape([H, 1, -1]);
        return tf.matMul(z, w.W_O).reshape([H * d]);
      });
      let attn = 0;
      for (let h = 0; h < H; h++) {
        const v = dot(perHead, h * d, g);
        heads[l * H + h] = v;
        attn += v;
        push(`L${l}H${h}`, v, false);
      }
      const bO = w.b_O ? dot(w.b_O.dataSync(), 0, g) : 0;
      biasLabels.push(`L${l} attn b_O`);
      biasValues.push(bO);
      layerLabels.push(`L${l} attn`);
      layerValues.push(attn + bO);
      if (hasMlp) push(`L${l} mlp`, dot(at(actName("mlp_out", l)), 0, g));
    }
    biasLabels.push("ln_final bias", "unembed bias");
    biasValues.push(normBias, unembedBias);
    const total = compValues.reduce((a, b) => a + b, 0) + biasValues.reduce((a, b) => a + b, 0);
    // A block that adds something the hooks do not show (a parallel branch, a scaled embedding)
    // would leave the parts short of the logit: refuse rather than return a wrong decomposition.
    const size = [...compValues, ...biasValues].reduce((a, b) => a + Math.abs(b), 0);
    if (!(Math.abs(total - value) <= 1e-3 * (1 + size))) {
      throw new Error(`${fn}: the embeddings, head outputs (hook_z · W_O), b_O and MLP outputs of this model add up to ${total} at the logit, not the model's ${value}; its residual stream has parts these hooks do not show`);
    }

    // Accumulated residual: resid_pre of each layer, then the final resid_post.
    const accNames: HookName[] = [...Array.from({ length: L }, (_, l) => actName("resid_pre", l)), actName("resid_post", L - 1)];
    const frozen = new Float32Array(accNames.length);
    const lens = new Float32Array(accNames.length);
    const wn = model.weights.ln_final_w!.dataSync();
    const bn = model.weights.ln_final_b?.dataSync();
    const uDir = frozenDirection(model, answer, against, 1, false).u;
    const eps = model.config.lnEps;
    accNames.forEach((name, i) => {
      const x = at(name);
      frozen[i] = dot(x, 0, g);
      // Logit lens: recompute this row's own scale (same norm kind), then the full readout.
      let m = 0;
      if (centred) {
        for (let j = 0; j < d; j++) m += x[j];
        m /= d;
      }
      let ss = 0;
      for (let j = 0; j < d; j++) ss += (x[j] - m) ** 2;
      const s = Math.sqrt(ss / d + eps);
      let v = unembedBias;
      for (let j = 0; j < d; j++) v += (((x[j] - m) / s) * wn[j] + (bn ? bn[j] : 0)) * uDir[j];
      lens[i] = v;
    });
    return {
      kind: "logit-attribution",
      tokens,
      pos,
      answer: tokenRef(model, answer),
      against: against === null ? null : tokenRef(model, against),
      metric: against === null ? "logit" : "logit difference",
      value,
      heads,
      headShape: [L, H],
      layers: { labels: layerLabels, values: Float32Array.from(layerValues) },
      components: { labels: compLabels, values: Float32Array.from(compValues) },
      bias: { labels: biasLabels, values: Float32Array.from(biasValues) },
      total,
      scale,
      centred,
      accumulated: { labels: [...Array.from({ length: L }, (_, l) => `resid_pre ${l}`), `resid_post ${L - 1}`], frozen, lens },
      settings: { answer, against, pos },
    };
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/** The accumulated residual stream alone (TransformerLens's `cache.accumulated_resid` read through the answer direction). */
export function accumulatedResid(model: TransformerModel, input: string | number[], opts: LogitAttributionOptions): LogitAttributionResult["accumulated"] & { value: number } {
  const r = logitAttribution(model, input, opts);
  return { ...r.accumulated, value: r.value };
}
