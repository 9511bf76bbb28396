// The patching map's data (views/patching.ts): activation and attribution patching, ablation,
// direct logit attribution.
import { checkObject, checkShape, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface PatchingData {
  /** [layer, position], [layer, head] or [layer, module] */
  values: Tensor;
  kind: "position" | "head" | "module";
  /** Tokens for kind "position" (one per column). */
  tokens?: string[];
  /** Column names for kind "module" (e.g. ["attn", "mlp"]). */
  columns?: string[];
  /** Replaces the default explanation under the title (e.g. for ablation effects). */
  note?: string;
  /** What the value is, e.g. "logit difference recovered". */
  metric: string;
  /** e.g. "resid_pre", "attn_out", "z". */
  activation?: string;
  title?: string;
  /** A second map, same shape, drawn to the right on the same colour scale. */
  exact?: Tensor;
  /** Pearson r between `values` and `exact` (the figure's text summary states it). */
  correlation?: number;
  /** Captions under the two maps when `exact` is given. */
  panels?: [string, string];
  /** Bars to the right: one per label, on their own diverging scale. */
  bars?: { labels: string[]; values: Tensor; title: string };
  /** The method's noise level in the metric's units: the automatic colour range is never narrower. */
  noise?: number;
}

export function checkPatching(data: unknown): void {
  const d = checkObject("{values, kind, metric, ...} for the patching map", data) as unknown as PatchingData;
  const t = checkTensor("values", d.values, [2]);
  const nCols = t.shape[1];
  if (d.kind !== "position" && d.kind !== "head" && d.kind !== "module") throw new Error(`kind: expected "position", "head" or "module", got ${JSON.stringify(d.kind)}`);
  if (d.kind === "position" && (!Array.isArray(d.tokens) || d.tokens.length !== nCols)) {
    throw new Error(`tokens: kind "position" needs ${nCols} token strings, got ${Array.isArray(d.tokens) ? d.tokens.length : "none"}`);
  }
  if (d.kind === "position") checkTokens("tokens", d.tokens, nCols);
  if (d.kind === "module" && (!Array.isArray(d.columns) || d.columns.length !== nCols)) {
    throw new Error(`columns: kind "module" needs ${nCols} column names, got ${Array.isArray(d.columns) ? d.columns.length : "none"}`);
  }
  if (typeof d.metric !== "string" || !d.metric) throw new Error("metric: expected the name of the patching metric");
  if (d.exact != null) checkShape("exact", checkTensor("exact", d.exact, [2]), t.shape, "values");
  if (d.bars != null) {
    const bv = checkTensor("bars.values", d.bars.values, [1]);
    if (!Array.isArray(d.bars.labels) || d.bars.labels.length !== bv.shape[0]) {
      throw new Error(`bars.labels: expected ${bv.shape[0]} labels, got ${Array.isArray(d.bars.labels) ? d.bars.labels.length : "none"}`);
    }
  }
}
