// The heatmap's data (views/heatmap.ts; kernel side HeatmapFigure in lib/figures/widgets.ts).
import { checkObject, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface HeatmapData {
  /** [query, key] for the head named by layer/head, or [layer, head, query, key] for all heads. */
  pattern?: Tensor;
  /**
   * Instead of `pattern`, for a long context the kernel keeps: the shown head max-pooled to
   * the plot's pixels ([h, w], tiles.ts poolMax of the whole head, raw weights).
   */
  overview?: Tensor;
  /** Whether the overview hides key > query (NaN). */
  overviewMask?: boolean;
  /** Key tokens; also the query tokens unless `queryTokens` is given. */
  tokens: string[];
  queryTokens?: string[];
  layer?: number;
  head?: number;
  /** The model's layer number of each entry of the layer axis (default 0, 1, …). */
  layers?: number[];
  /** Needed for the selectors when `pattern` holds one head. */
  nLayers?: number;
  nHeads?: number;
  title?: string;
}

/** What the heatmap's data holds, once checked: sizes of the query × key matrix and the layer/head axes. */
export interface HeatmapShape {
  /** Rank of `pattern` (2 or 4); 2 for an overview. */
  rank: number;
  rows: number;
  cols: number;
  /** Query tokens (`queryTokens`, else the key tokens). */
  queries: string[];
  keys: string[];
  nLayers: number;
  nHeads: number;
  /** The model's layer number of each entry of the layer axis. */
  layerNames: number[];
}

export function checkHeatmap(data: unknown): HeatmapShape {
  const d = checkObject("{pattern or overview, tokens, ...} for the heatmap", data) as unknown as HeatmapData;
  // A long context held by the kernel crosses as its overview (pooled pixels) instead of the pattern.
  const overview = d.pattern == null && d.overview != null ? checkTensor("overview", d.overview, [2]) : null;
  const pattern = overview ? null : checkTensor("pattern", d.pattern, [2, 4]);
  const rank = pattern ? pattern.shape.length : 2;
  const cols = pattern ? pattern.shape[rank - 1] : Array.isArray(d.tokens) ? d.tokens.length : 0;
  const rows = pattern ? pattern.shape[rank - 2] : Array.isArray(d.queryTokens) ? d.queryTokens.length : cols;
  const keys = checkTokens("tokens", d.tokens, cols);
  const queries = d.queryTokens ? checkTokens("queryTokens", d.queryTokens, rows) : rows === cols ? keys : null;
  if (!queries) throw new Error(`queryTokens: pattern has ${rows} query rows but ${cols} key tokens; pass queryTokens`);
  const nLayers = rank === 4 ? pattern!.shape[0] : d.nLayers ?? 1;
  const nHeads = rank === 4 ? pattern!.shape[1] : d.nHeads ?? 1;
  const layerNames = d.layers ?? Array.from({ length: nLayers }, (_, i) => i);
  if (layerNames.length !== nLayers) throw new Error(`layers: expected ${nLayers} layer numbers, got ${layerNames.length}`);
  if (rank === 4) {
    // The view draws this head from the pattern at once.
    const layer = d.layer ?? layerNames[0];
    if (!layerNames.includes(layer)) throw new Error(`layer: ${layer} is not among the layers shown (${layerNames.join(", ")})`);
    const head = d.head ?? 0;
    if (!(Number.isInteger(head) && head >= 0 && head < nHeads)) throw new Error(`head: expected an integer in [0, ${nHeads - 1}], got ${head}`);
  }
  return { rank, rows, cols, queries, keys, nLayers, nHeads, layerNames };
}
