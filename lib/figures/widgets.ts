/**
 * Kernel-side widgets for the attnlab-widgets views. Each holds its renderer's data as the
 * `data` trait (tensors as {data: Float32Array, shape}, sent as binary buffers), the
 * renderer options as `options`, and the user's pick as `selected` (set by the front end).
 * The display bundle carries, besides the widget view, a static SVG and a text summary so
 * a page without the extension (nbconvert HTML, GitHub) still shows the figure.
 */
import { Widget, DISPLAY, type MimeBundle, type WidgetSpec } from "../widget";
// The one contract with the views: their names, data types and checks (widgets/src/contract).
import { checkViewData, type Tensor as Tensorish, type FigureView as ViewKind } from "../../widgets/src/contract";
import { describeFigure } from "./text";
import { staticSVG } from "./static";
import { FIGURE_MIME, FIGURE_VIEWS, isFloat32, MODULE_NAME, MODULE_VERSION, VIEW_NAMES, WIDGET_VIEW_MIME } from "../../widgets/src/protocol";
import { PLOT_SIZE, type Shown, type TileRequest } from "../../widgets/src/tiles";
import { KeptHeads, headView, overviewOf } from "./heads";

// The names are the front end's own wire contract (widgets/src/protocol.ts), so the two sides cannot drift.
export const WIDGETS_MODULE = MODULE_NAME;
export const WIDGETS_VERSION = MODULE_VERSION;

function specFor(view: ViewKind): WidgetSpec {
  const name = VIEW_NAMES[view];
  return {
    modelName: `${name}Model`,
    modelModule: WIDGETS_MODULE,
    modelModuleVersion: WIDGETS_VERSION,
    viewName: `${name}View`,
    viewModule: WIDGETS_MODULE,
    viewModuleVersion: WIDGETS_VERSION,
  };
}

/** What the user picked in a view: a head (layer, head[, kind]) or a patching cell (layer, column). */
export interface Selection {
  layer: number;
  head?: number;
  kind?: string;
  column?: number;
}

type FigureState = { data: object; options: object; selected: Selection | null };

/** Options every figure made from now on starts with (a view's own options win). */
export interface FigureDefaults {
  /** Presentation size: text at 16 px or more and bigger cells (each view also has a toggle). */
  presentation?: boolean;
}

const DEFAULTS: FigureDefaults = {};

/**
 * Sets options for every figure made after the call, e.g. `figureDefaults({ presentation: true })`
 * before a lecture. Returns the defaults now in force.
 */
export function figureDefaults(opts: FigureDefaults): FigureDefaults {
  if (opts === null || typeof opts !== "object") throw new Error(`figureDefaults: expected {presentation?: boolean}, got ${opts === null ? "null" : typeof opts}`);
  for (const [k, v] of Object.entries(opts)) {
    if (k !== "presentation") throw new Error(`figureDefaults: unknown option ${JSON.stringify(k)}; known: presentation`);
    if (v !== undefined && typeof v !== "boolean") throw new Error(`figureDefaults: presentation must be true or false, got ${JSON.stringify(v)}`);
  }
  Object.assign(DEFAULTS, opts);
  return { ...DEFAULTS };
}

export class FigureWidget extends Widget<FigureState> {
  readonly view: ViewKind;

  constructor(view: ViewKind, data: object, options: object = {}) {
    // quiz is a view of its own widget (lib/quiz), not a figure.
    if (!FIGURE_VIEWS.includes(view)) throw new Error(`view: expected one of ${FIGURE_VIEWS.join(", ")}, got ${JSON.stringify(view)}`);
    checkViewData(view, data);
    super(specFor(view), { data, options: { ...DEFAULTS, ...options }, selected: null });
    this.view = view;
  }

  /** Calls `cb` whenever the user picks a head or cell in the view. */
  onSelect(cb: (s: Selection) => void): () => void {
    return this.on("change:selected", (s) => {
      if (s) cb(s);
    });
  }

  /** The figure as a standalone SVG document (rendered in the kernel with jsdom). */
  toSVG(): string {
    const svg = staticSVG(this.view, this.get("data"), this.get("options"));
    if (svg === undefined) throw new Error("toSVG: no static renderer is registered (the attnlab kernel registers kernel/render at start; elsewhere call registerStaticRenderer(renderSVG) from kernel/render)");
    return svg;
  }

  toString(): string {
    return describeFigure(this.view, this.get("data"));
  }

  /**
   * The view under attnlab's own mime type (see FIGURE_MIME in widgets/src/protocol.ts),
   * not ipywidgets' widget-view type, beside the static SVG: JupyterLab draws the live
   * view while the model exists and the saved or static figure when it does not, and
   * nbconvert, GitHub and other front ends show the SVG whether or not widget state is saved.
   */
  [DISPLAY](): MimeBundle {
    const bundle = super[DISPLAY]();
    const ref = bundle[WIDGET_VIEW_MIME] as object;
    delete bundle[WIDGET_VIEW_MIME];
    bundle[FIGURE_MIME] = { ...ref, view: this.view };
    bundle["text/plain"] = this.toString();
    const svg = staticSVG(this.view, this.get("data"), this.get("options"));
    if (svg !== undefined) bundle["image/svg+xml"] = svg;
    return bundle;
  }
}

export interface HeatmapFigureOptions {
  layer?: number;
  head?: number;
  /** Model layer number of each entry on the layer axis (default 0, 1, …). */
  layers?: number[];
  maskUpper?: boolean;
  normalise?: "raw" | "row";
  title?: string;
  /**
   * Patterns larger than this (bytes) stay in the kernel: the view gets the shown head
   * only and asks for others with a custom message. Default 16 MB.
   */
  maxBytes?: number;
  queryTokens?: string[];
}

/**
 * One head's query × key heatmap with layer/head selectors. `pattern` is [query, key],
 * [head, query, key] (one layer) or [layer, head, query, key].
 *
 * What crosses to the view depends on the size (widgets/src/tiles.ts): patterns up to
 * `maxBytes` go whole; a larger one with at most PLOT_SIZE tokens sends the shown head and
 * answers `request_head` for the others; a long context (more tokens than the plot has
 * pixels) sends only the overview, the shown head max-pooled to the plot's pixels (~1 MB
 * for any length), and answers `request_tile` with the exact weights of the window the
 * view zooms to (or any head's overview), so a 4,096-token head never crosses whole.
 */
export class HeatmapFigure extends FigureWidget {
  private readonly heads: KeptHeads; // [layer, head, query, key]
  private readonly maskDefault?: boolean;

  constructor(pattern: Tensorish, tokens: string[], opts: HeatmapFigureOptions = {}) {
    const full = asRank4(pattern);
    const [L, H, Q, K] = full.shape;
    const layerNames = opts.layers ?? Array.from({ length: L }, (_, i) => i);
    if (layerNames.length !== L) throw new Error(`HeatmapFigure: opts.layers has ${layerNames.length} entries, pattern has ${L} layers`);
    const layer = opts.layer ?? layerNames[0];
    const li = layerNames.indexOf(layer);
    if (li < 0) throw new Error(`HeatmapFigure: opts.layer ${layer} is not among the layers (${layerNames.join(", ")})`);
    const head = opts.head ?? 0;
    if (!(Number.isInteger(head) && head >= 0 && head < H)) throw new Error(`HeatmapFigure: opts.head must be an integer in [0, ${H}), got ${head}`);
    const keep = full.data.byteLength <= (opts.maxBytes ?? 16 * 2 ** 20);
    const tiled = !keep && Math.max(Q, K) > PLOT_SIZE;
    const data = {
      ...(tiled ? overviewOf(headView(full, li, head), Q, K, opts.maskUpper) : { pattern: keep ? full : { data: headView(full, li, head).slice(), shape: [Q, K] } }),
      tokens,
      queryTokens: opts.queryTokens,
      layer,
      head,
      layers: layerNames,
      nLayers: L,
      nHeads: H,
      title: opts.title,
    };
    super("heatmap", data, { maskUpper: opts.maskUpper, normalise: opts.normalise });
    this.heads = new KeptHeads(full, layerNames);
    this.maskDefault = opts.maskUpper;
    this.onMsg((content) => this.heads.answer(this, content, { wholeHeads: true, who: "headPattern" }));
  }

  /** The [query, key] weights of one head, as the view would ask for them. */
  headPattern(layer: number, head: number): Tensorish {
    return this.heads.head(layer, head, "headPattern");
  }

  /** Shows another head (e.g. the one clicked in a head-score grid); the view redraws. */
  show(layer: number, head: number): void {
    const [, , Q, K] = this.heads.full.shape;
    const li = this.heads.layerIndex(layer, "show");
    this.heads.checkHead(head, "show");
    const data = { ...(this.get("data") as { pattern?: Tensorish; layer: number; head: number }) } as Record<string, unknown>;
    // A long head's overview is pooled from the kernel's copy (no 64 MB slice at 4,096 tokens).
    if (data.overview) Object.assign(data, overviewOf(this.heads.view(li, head), Q, K, this.maskDefault));
    else if ((data.pattern as Tensorish).shape.length === 2) data.pattern = this.headPattern(layer, head);
    data.layer = layer;
    data.head = head;
    this.set("data", data);
  }

  /** One window of one head, pooled as the view asked (tiles.ts poolMax), with the head's colour top. */
  tile(layer: number, head: number, request: Partial<TileRequest>): { values: Float32Array; max: number; shown: Shown; h: number; w: number } {
    return this.heads.tile(layer, head, request);
  }
}

/** The patterns behind a head-score grid: [layer, head, query, key] and their tokens. */
export interface HeadPatterns {
  pattern: Tensorish;
  tokens: string[];
  queryTokens?: string[];
  /** Model layer number of each grid row (default 0, 1, …). */
  layers?: number[];
}

/**
 * A head-score grid whose click opens that head's heatmap under it. Patterns up to `maxBytes`
 * (16 MB) go with the figure (so a saved notebook opens heads without a kernel); larger ones
 * stay in the kernel, which sends one head per click: whole up to PLOT_SIZE tokens
 * (`request_head`), else as the heatmap gets a long context, its overview then tiles
 * (`request_tile`; heads.ts).
 */
export class HeadScoresFigure extends FigureWidget {
  private readonly heads: KeptHeads;

  constructor(data: { scores: Record<string, Tensorish>; title?: string; kind?: string }, patterns: HeadPatterns, opts: { maxBytes?: number } = {}) {
    const full = asRank4(patterns.pattern);
    const [L, H, Q, K] = full.shape;
    const first = Object.values(data.scores ?? {})[0];
    if (first && (first.shape[0] !== L || first.shape[1] !== H)) {
      throw new Error(`HeadScoresFigure: the patterns have ${L} layers × ${H} heads, the scores grid [${first.shape.join(", ")}]`);
    }
    if (!Array.isArray(patterns.tokens) || patterns.tokens.length !== K) throw new Error(`HeadScoresFigure: patterns.tokens must be the ${K} token strings of the patterns`);
    const layerNames = patterns.layers ?? Array.from({ length: L }, (_, i) => i);
    if (layerNames.length !== L) throw new Error(`HeadScoresFigure: patterns.layers has ${layerNames.length} entries, the patterns have ${L} layers`);
    const keep = full.data.byteLength <= (opts.maxBytes ?? 16 * 2 ** 20);
    const heads = { tokens: patterns.tokens, queryTokens: patterns.queryTokens, layers: layerNames, ...(keep ? { pattern: full } : {}) };
    super("headscores", { ...data, heads });
    this.heads = new KeptHeads(full, layerNames);
    // A long head never crosses whole: the view opens it as an overview and tiles.
    const wholeHeads = Math.max(Q, K) <= PLOT_SIZE;
    this.onMsg((content) => this.heads.answer(this, content, { wholeHeads, who: "request_head" }));
  }
}

function asRank4(t: Tensorish): Tensorish {
  if (!t || !isFloat32(t.data) || !Array.isArray(t.shape)) {
    throw new Error("HeatmapFigure: pattern must be {data: Float32Array, shape}");
  }
  const s = t.shape;
  const shape = s.length === 2 ? [1, 1, ...s] : s.length === 3 ? [1, ...s] : s.length === 4 ? s : null;
  if (!shape) throw new Error(`HeatmapFigure: pattern must be [query, key], [head, query, key] or [layer, head, query, key], got shape [${s.join(", ")}]`);
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) throw new Error(`HeatmapFigure: pattern shape [${s.join(", ")}] needs ${n} values, data has ${t.data.length}`);
  return { data: t.data, shape };
}

/**
 * Clicking a head in `source` (head scores, thumbnails, another heatmap) shows it in
 * `target`. Returns a function that undoes the link.
 */
export function linkHeads(source: FigureWidget, target: HeatmapFigure): () => void {
  return source.onSelect((s) => {
    if (s.head !== undefined) target.show(s.layer, s.head);
  });
}
