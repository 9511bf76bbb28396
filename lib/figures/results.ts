/**
 * View data for the lib/methods results that figure() maps besides patterns, head scores,
 * patching and causal tracing. Each function takes the result as the method returned it and
 * gives the renderer's data; the kernel checks it (the view's check, widgets/src/contract) before sending.
 *
 *   "probe-results"          → probe: one line per site, Wilson band, control task dashed,
 *                              selectivity panel, the shared majority baseline dotted
 *   "attribution"            → attribution: attention row, grad×input, integrated gradients,
 *                              leave-one-out rows, with the method's Kendall τ-b
 *   "adversarial-attention"  → attribution: the original attention and each candidate row
 *   "ablation"               → patching grid: [layer, head] or [layer, module] effects
 *   "head-detection"         → head-score grid with the one detector
 *   "logit-lens"             → lens: layer × position grid of the top prediction
 *   "logit-attribution"      → patching grid: each head's direct logit attribution [layer, head],
 *                              with a bar per component (embeddings, each layer's attention and
 *                              MLP, the frozen bias terms) beside it
 *   "attribution-patching"   → patching grid of one rank-2 grid (resid by default), with the
 *   "attribution-patching-grid"  exact activation-patching map beside it when it was compared
 * Not mapped (no view fits; print the numbers): "attention-permutation" (a distribution of
 * output changes), "icl-score" (one number and a loss curve), "k-composition" (a
 * [layer, head, layer, head] tensor).
 */
import type { AttributionData, HeadScoresData, LensData, PatchingData, ProbeData, Tensor } from "../../widgets/src/contract";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Result = Record<string, any>;

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const vec = (a: Float32Array): Tensor => ({ data: a, shape: [a.length] });

function need(r: Result, kind: string, keys: string[]): void {
  for (const k of keys) {
    if (r[k] === undefined || r[k] === null) throw new Error(`figure: a "${kind}" result needs its ${JSON.stringify(k)} field (got ${r[k]})`);
  }
}

/** Probe accuracy by layer, one property per probed site (resid_post, attn_out, …). */
export function probeData(r: Result, title?: string): ProbeData {
  need(r, "probe-results", ["sites", "accuracy", "ciLow", "ciHigh", "controlAccuracy", "shape"]);
  const [S, L] = r.shape as [number, number];
  if (r.sites.length !== S || r.accuracy.length !== S * L) throw new Error(`figure: probe result has ${r.sites.length} sites and ${r.accuracy.length} accuracies for shape [${S}, ${L}]`);
  // JSON has no NaN: a layer a cancelled run never reached is sent as null (a gap in the line).
  // (ProbeProperty's series are number[] with null allowed as a gap, which the view's d3 lines skip.)
  const row = (a: Float32Array, s: number) => Array.from(a.subarray(s * L, (s + 1) * L), (v) => (Number.isFinite(v) ? v : null)) as number[];
  const properties = (r.sites as string[]).map((site, s) => {
    const control = row(r.controlAccuracy, s);
    return {
      name: site,
      accuracy: row(r.accuracy, s),
      lower: row(r.ciLow, s),
      upper: row(r.ciHigh, s),
      // control: false leaves the control task out; the result then holds NaN there.
      control: control.some((v) => v !== null) ? control : undefined,
    };
  });
  const st = r.settings ?? {};
  const probe = st.probe === "mlp" ? `MLP probe (${st.hidden} hidden)` : `${st.probe ?? "linear"} probe`;
  const counts = r.counts ? `, ${r.counts.train} train / ${r.counts.test} test words` : "";
  return {
    // A run over a subset of layers names its columns (probe's `layers` option).
    layers: Array.isArray(r.layers) && r.layers.length === L ? r.layers : Array.from({ length: L }, (_, l) => l),
    properties,
    majority: Number.isFinite(r.majorityBaseline) ? r.majorityBaseline : undefined,
    title: title ?? `Probe accuracy by layer (${(r.labels ?? []).length} labels)`,
    note:
      `${probe}${counts}. Solid: test accuracy, band: ${st.ci ?? "95% interval"}. Dashed: control task (Hewitt & Liang). ` +
      `Grey dotted: majority-class baseline ${f3(r.majorityBaseline)}. Lower panel: selectivity = task − control.` +
      (r.partial ? " Partial: the run was cancelled." : ""),
  };
}

/** Attention from the last position beside the gradient, IG and leave-one-out importances. */
export function attributionData(r: Result, title?: string): AttributionData {
  need(r, "attribution", ["tokens", "attention", "gradInput", "integratedGradients", "leaveOneOut", "kendall"]);
  const st = r.settings ?? {};
  const names = { gradInput: "grad × input", integratedGradients: "integrated gradients", leaveOneOut: "leave-one-out (TVD)" } as const;
  const keys = Object.keys(names) as (keyof typeof names)[];
  const tau: Record<string, number> = {};
  for (const k of keys) tau[names[k]] = r.kendall[k];
  const pred = r.predicted;
  return {
    tokens: r.tokens,
    attention: vec(r.attention),
    measures: keys.map((k) => ({ name: names[k], values: vec(r[k]) })),
    tau,
    tauNote: "τ-b without the first and last tokens",
    target: pred
      ? `Explains p(${JSON.stringify(pred.token)}) = ${f3(pred.prob)} at the last position; attention of L${st.layer}H${st.head} from the last token. Grey: not defined (the query token is not left out).`
      : undefined,
    title: title ?? `Attention of L${st.layer}H${st.head} against other importance measures`,
  };
}

/** Jain & Wallace's adversarial attention: the original row and each candidate, as token rows. */
export function adversarialData(r: Result, title?: string): AttributionData {
  need(r, "adversarial-attention", ["tokens", "attention", "candidates", "shape", "jsd", "outputTvd"]);
  const [k, P] = r.shape as [number, number];
  const st = r.settings ?? {};
  const measures = Array.from({ length: k }, (_, i) => ({
    name: `candidate ${i} (JSD ${f3(r.jsd[i])}, output TVD ${f3(r.outputTvd[i])})`,
    values: { data: (r.candidates as Float32Array).slice(i * P, (i + 1) * P), shape: [P] },
  }));
  const best = r.maxJsdWithinEpsilon;
  return {
    tokens: r.tokens,
    attention: vec(r.attention),
    measures,
    tauNote: "computed here over all tokens",
    target: `Attention rows of L${st.layer}H${st.head} that change the output by TVD ≤ ε = ${st.epsilon}; largest JSD from the original within ε: ${best === null || best === undefined ? "none" : f3(best)}.`,
    title: title ?? `Adversarial attention for L${st.layer}H${st.head}`,
  };
}

const MEASURES: Record<string, string> = {
  loss: "Δ loss",
  logit_diff: "Δ logit difference",
  kl: "KL(unablated ‖ ablated)",
};

/** Ablation effects on the patching grid: [layer, head] as is, [module, layer] turned to [layer, module]. */
export function ablationData(r: Result, title?: string): PatchingData {
  need(r, "ablation", ["effects", "shape", "dims"]);
  const shape = r.shape as number[];
  const dims = (r.dims as string[]).join(",");
  const st = r.settings ?? {};
  const metric = MEASURES[st.measure] ?? String(st.measure ?? "effect");
  const what = st.measure === "kl" ? "KL divergence of the output with it ablated from the output without" : `${st.measure ?? "measure"} with it ablated minus without (baseline ${f3(r.baseline)})`;
  const base = {
    metric,
    note: `${st.method ?? "zero"}-ablation of each ${dims === "layer,head" ? "head" : "module"}. Colour: ${what}; 0 = no effect.${r.partial ? " Partial: the run was cancelled (empty cells were not computed)." : ""}`,
    title: title ?? `${st.method === undefined ? "Ablation" : `${st.method[0].toUpperCase()}${st.method.slice(1)}-ablation`} effects`,
  };
  if (dims === "layer,head" && shape.length === 2) return { ...base, values: { data: r.effects, shape }, kind: "head" };
  if (dims === "module,layer" && shape.length === 2) {
    const [M, L] = shape;
    const t = new Float32Array(L * M);
    for (let m = 0; m < M; m++) for (let l = 0; l < L; l++) t[l * M + m] = r.effects[m * L + l];
    return { ...base, values: { data: t, shape: [L, M] }, kind: "module", columns: ["attn", "mlp"].slice(0, M) };
  }
  throw new Error(
    `figure: an ablation over [${r.dims.join(", ")}] has no grid view; figure() shows ablateHeads ([layer, head]) and ablateLayers ([module, layer]) results. ` +
      `For your own targets pass {view: "patching", values: {data, shape: [layer, column]}, kind: "head", metric}`,
  );
}

/** One detector's [layer, head] scores on the head-score grid. */
export function detectionData(r: Result, title?: string): HeadScoresData {
  need(r, "head-detection", ["scores", "shape"]);
  const name = String(r.settings?.detection ?? "detection");
  return { scores: { [name]: { data: r.scores, shape: r.shape } }, title: title ?? `Head detection: ${name}` };
}

/** Logit lens: top-1 probability per (layer, position), the top tokens for the hover. */
export function lensData(r: Result, title?: string): LensData {
  need(r, "logit-lens", ["tokens", "layers", "topProbs", "topTokens", "shape"]);
  const [n, P, k] = r.shape as [number, number, number];
  const top1 = new Float32Array(n * P);
  for (let i = 0; i < n * P; i++) top1[i] = r.topProbs[i * k];
  const target = r.settings?.target;
  return {
    tokens: r.tokens,
    layers: r.layers,
    top: { data: r.topProbs, shape: [n, P, k] },
    topTokens: r.topTokens,
    targetProb: r.targetProb ? { data: r.targetProb, shape: [n, P] } : undefined,
    target: target === null || target === undefined ? undefined : String(target),
    title: title ?? "Logit lens",
  };
}

/** Direct logit attribution: heads on the [layer, head] grid, the per-layer decomposition as bars. */
export function logitAttributionData(r: Result, title?: string): PatchingData {
  need(r, "logit-attribution", ["heads", "headShape", "layers", "bias", "value", "answer"]);
  const labels = [...(r.layers.labels as string[]), "biases (b_O, norm, b_U)"];
  const biasSum = (Array.from(r.bias.values as Float32Array) as number[]).reduce((a, b) => a + b, 0);
  // The per-layer attention bars hold their b_O already; the last bar is the rest of the bias terms.
  const L = (r.headShape as number[])[0];
  const rest = biasSum - (Array.from(r.bias.values as Float32Array).slice(0, L) as number[]).reduce((a, b) => a + b, 0);
  const what = r.against ? `logit(${JSON.stringify(r.answer.token)}) − logit(${JSON.stringify(r.against.token)})` : `logit(${JSON.stringify(r.answer.token)})`;
  return {
    values: { data: r.heads, shape: r.headShape },
    kind: "head",
    metric: `direct ${r.metric}`,
    bars: { labels, values: { data: Float32Array.from([...(r.layers.values as Float32Array), rest]), shape: [labels.length] }, title: r.metric },
    note:
      `Direct contribution to ${what} at position ${r.pos} (${JSON.stringify(r.tokens[r.pos])}) = ${f3(r.value)}, ` +
      `through the final norm with its scale frozen at ${f3(r.scale)}. Grid: each head; bars: each component (attention = its heads + b_O). The bars sum to ${f3(r.total)}.`,
    title: title ?? "Direct logit attribution",
  };
}

const GRID_TITLE: Record<string, string> = {
  resid: "the residual stream (resid_pre)",
  attn_out: "the attention output",
  mlp_out: "the MLP output",
  heads: "each head's output (z, all positions)",
};

/** One attribution-patching grid (rank 2), with the exact map beside it when compared. */
export function attributionPatchingData(r: Result, title?: string): PatchingData {
  let g: Result = r;
  if (r.kind === "attribution-patching") {
    need(r, "attribution-patching", ["grids"]);
    const name = ["resid", "heads", "attn_out", "mlp_out"].find((k) => r.grids[k]);
    if (!name) throw new Error("figure: this attribution-patching result has no rank-2 grid; show r.grids.heads_by_pos per layer yourself, or ask for grids: [\"resid\"] or [\"heads\"]");
    g = r.grids[name];
  }
  need(g, "attribution-patching-grid", ["data", "shape", "grid"]);
  const shape = g.shape as number[];
  if (shape.length !== 2) {
    throw new Error(`figure: the ${g.grid} grid has rank ${shape.length}; the patching map shows [layer, pos] or [layer, head] grids (figure(r.grids.heads) or figure(r.grids.resid))`);
  }
  const byHead = g.dims?.[1] === "head";
  const compared = g.exact instanceof Float32Array;
  return {
    values: { data: g.data, shape },
    exact: compared ? { data: g.exact, shape } : undefined,
    correlation: compared ? g.correlation : undefined,
    kind: byHead ? "head" : "position",
    tokens: byHead ? undefined : g.tokens,
    metric: `normalised ${g.metric ?? "metric"}`,
    activation: g.site,
    note:
      (compared
        ? `Left: attribution patching's first-order estimate; right: exact activation patching (${f3((g.exactMs ?? NaN) / 1000)} s). Pearson r = ${f3(g.correlation)}. `
        : "Attribution patching: (clean − corrupted) · ∂metric/∂activation on the corrupted run. ") +
      "Colour: the change in the metric as a fraction of clean − corrupted (0 = no change, 1 = the clean value).",
    title: title ?? `Attribution patching of ${GRID_TITLE[g.grid] ?? g.grid}`,
  };
}
