// One attention head as a query × key heatmap. Small inputs get one SVG rect per cell
// (inspectable, exportable); long ones (over `canvasThreshold` tokens) paint cells on a
// canvas under an SVG overlay, so a 1,024-token head is one putImageData and a hover only
// moves two rectangles. Whatever the length, the plot keeps its size and a pixel shows the
// largest weight of its block of tokens (../tiles.ts); a long context held by the kernel
// arrives as that overview only, and the view fetches the exact weights of the window it
// zooms to (`requestTile`, tilesource.ts), one head at a time. Zoom and pan: zoom.ts.
import * as d3 from "d3";
import {
  Cleanup,
  RasterEncoder,
  Tensor,
  THEME,
  addCheckbox,
  addSelect,
  axisLabel,
  colorLegend,
  createFrame,
  hitLayer,
  matrixLabels,
  matrixPlot,
  range,
  showToken,
  subMatrix,
  MIN_TEXT,
  tokenLabels,
  VIRIDIS,
  widestText,
} from "./common";
import { PLOT_SIZE, plotSize, upperIsZero } from "../tiles";
import { checkHeatmap, checkShape, checkTensor, type HeatmapData } from "../contract";
import { tileSource, type Painted, type TileRequester } from "./tilesource";
import { smallestWindow, windowZoom } from "./zoom";

export type { HeatmapData };

export interface HeatmapOptions {
  /** Raw tokens as labels instead of words (a word's sub-tokens merged). */
  rawTokens?: boolean;
  /** Hide key > query cells. Default: on when the upper triangle is all zero (causal models). */
  maskUpper?: boolean;
  /** "raw" weights, or "row": each query row divided by its maximum. */
  normalise?: "raw" | "row";
  canvasThreshold?: number;
  /** Static export: paint long inputs as an <image> through this encoder instead of a canvas. */
  raster?: RasterEncoder;
  /** Largest side of the plot in pixels. */
  size?: number;
  /** Fetches a head that `pattern` does not hold (the live view asks the kernel). */
  requestHead?: (layer: number, head: number) => Promise<Tensor>;
  /** Fetches one window of a head pooled to h × w (the live view asks the kernel); used with `overview`. */
  requestTile?: TileRequester;
  onSelect?: (layer: number, head: number) => void;
  onHighlight?: (token: number | null) => void;
  /**
   * The user's choices to start from, e.g. kept by the live view across new data from the
   * kernel. Each wins over the data's layer/head and the options above; a head or highlight
   * the new data does not have is ignored.
   */
  state?: Partial<HeatmapViewState>;
  /** Called with the whole state after every user change (selector, mask, colour, highlight). */
  onState?: (state: HeatmapViewState) => void;
}

export interface HeatmapViewState {
  layer: number;
  head: number;
  maskUpper: boolean;
  normalise: "raw" | "row";
  highlight: { row: number; col: number } | null;
  /** The window of a zoomed long context (first query/key and how many), null when whole. */
  zoom?: { r0: number; c0: number; nr: number; nc: number } | null;
  /** The data's layer/head when this state was made: if the kernel then sends another head, its head wins. */
  from?: { layer?: number; head?: number };
}

export function render(el: HTMLElement, data: HeatmapData, options: HeatmapOptions = {}): Cleanup {
  const { rank, rows, cols, keys, queries, nLayers, nHeads, layerNames } = checkHeatmap(data);
  // A long context held by the kernel comes as its overview only (pooled pixels), without the pattern.
  const overview = data.pattern == null ? data.overview! : null;
  const pattern = overview ? null : data.pattern!;
  const layerIndex = (layer: number): number => {
    const i = layerNames.indexOf(layer);
    if (i < 0) throw new Error(`layer: ${layer} is not among the layers shown (${layerNames.join(", ")})`);
    return i;
  };
  const first = data.layer ?? layerNames[0];
  // The shown head's weights when the view holds them; null when only the overview came (tiles from the kernel).
  let matrix: Float32Array | null = pattern ? (rank === 4 ? subMatrix(pattern, [layerIndex(first), data.head ?? 0]) : pattern.data) : null;
  const keep = options.state ?? {};
  // The kernel moved the head (HeatmapFigure.show) since the user picked one: the kernel's head wins.
  const kernelMoved = keep.from !== undefined && (keep.from.layer !== data.layer || keep.from.head !== data.head);
  const st: HeatmapViewState = {
    layer: first,
    head: data.head ?? 0,
    maskUpper: keep.maskUpper ?? options.maskUpper ?? (matrix ? rows === cols && upperIsZero(matrix, rows) : data.overviewMask === true),
    normalise: keep.normalise === "raw" || keep.normalise === "row" ? keep.normalise : options.normalise ?? "raw",
    highlight: keep.highlight && keep.highlight.row >= 0 && keep.highlight.row < rows && keep.highlight.col >= 0 && keep.highlight.col < cols ? { ...keep.highlight } : null,
    from: { layer: data.layer, head: data.head },
  };
  // The user's head, if this data has it: drawn at once from a full pattern, fetched otherwise.
  const keptHead =
    !kernelMoved &&
    keep.layer !== undefined && keep.head !== undefined && layerNames.includes(keep.layer) && Number.isInteger(keep.head) && keep.head >= 0 && keep.head < nHeads && (keep.layer !== st.layer || keep.head !== st.head)
      ? { layer: keep.layer, head: keep.head }
      : null;
  if (keptHead && (rank === 4 || (overview && options.requestTile))) {
    st.layer = keptHead.layer;
    st.head = keptHead.head;
    if (rank === 4) matrix = subMatrix(pattern!, [layerIndex(st.layer), st.head]);
  }
  const changed = (): void => options.onState?.({ ...st, highlight: st.highlight && { ...st.highlight }, from: { ...st.from } });
  const threshold = options.canvasThreshold ?? 128;
  const mode = Math.max(rows, cols) > threshold ? (options.raster ? "raster" : "canvas") : "svg";
  const frame = createFrame(
    el,
    "heatmap",
    data.title ?? "Attention pattern",
    "Rows: query token (attending from). Columns: key token (attended to). Colour: attention weight.",
  );
  const heading = frame.root.querySelector(".attnlab-title") as HTMLDivElement;
  let disposed = false;
  let request = 0;

  const select = (layer: number, head: number, byUser = true): void => {
    st.layer = layer;
    st.head = head;
    if (layerSel) layerSel.value = String(layer);
    if (headSel) headSel.value = String(head);
    if (byUser) {
      options.onSelect?.(layer, head);
      changed();
    }
    if (rank === 4) {
      matrix = subMatrix(pattern!, [layerIndex(layer), head]);
      draw();
      return;
    }
    if (overview) return draw(); // the head's overview comes as a tile
    if (!options.requestHead) return;
    const mine = ++request;
    frame.status.textContent = `loading layer ${layer}, head ${head}…`;
    options.requestHead(layer, head).then(
      (t) => {
        if (disposed || mine !== request) return;
        checkShape("requested head", checkTensor("requested head", t, [2]), [rows, cols]);
        matrix = t.data;
        frame.status.textContent = "";
        draw();
      },
    ).catch((e: Error) => {
      if (!disposed && mine === request) frame.status.textContent = `could not load: ${e.message}`;
    });
  };
  // A menu only where there is a choice: one layer's pattern has no Layer menu (the title names it).
  const opts = (ns: number[]) => ns.map((i) => ({ value: String(i), label: String(i) }));
  const layerSel = nLayers > 1 ? addSelect(frame.controls, "Layer", opts(layerNames), String(st.layer), (v) => select(+v, st.head)) : null;
  const headSel = nHeads > 1 ? addSelect(frame.controls, "Head", opts(range(nHeads)), String(st.head), (v) => select(st.layer, +v)) : null;
  const user = (fn: () => void) => () => {
    fn();
    changed();
    draw();
  };
  addCheckbox(frame.controls, "mask key > query", st.maskUpper, (v) => user(() => (st.maskUpper = v))());
  const colours = [
    { value: "raw", label: "raw weight" },
    { value: "row", label: "row-normalised (÷ row max)" },
  ];
  addSelect(frame.controls, "Colour", colours, st.normalise, (v) => user(() => (st.normalise = v as "raw" | "row"))());

  // The plot keeps its size; a long context (over `size` tokens) is seen whole with each
  // pixel showing the largest weight of its block, and zoom/pan (live canvas only) show a
  // window of tokens down to cells big enough to label every token.
  const longest = Math.max(rows, cols);
  const { width: pw, height: ph } = plotSize(rows, cols, options.size ?? PLOT_SIZE);
  const fs = MIN_TEXT;
  const doc = frame.root.ownerDocument;
  const keyLabels = tokenLabels(keys, options.rawTokens);
  const queryLabels = queries === keys ? keyLabels : tokenLabels(queries, options.rawTokens);
  const widest = widestText(new Set(queries === keys ? keyLabels : [...keyLabels, ...queryLabels]), fs, doc) ?? 10;
  const labelW = Math.ceil(Math.min(140, 6 + widest));
  const m = { left: labelW + 22, top: labelW + 22, right: 100, bottom: 12 };
  const canZoom = mode === "canvas" && longest > Math.max(pw, ph) / 8;
  const win = { r0: 0, c0: 0, nr: rows, nc: cols };
  const { minR, minC } = smallestWindow(rows, cols, pw, ph);
  const kz = keep.zoom;
  if (canZoom && kz && kz.nr >= minR && kz.nc >= minC && kz.r0 >= 0 && kz.c0 >= 0 && kz.r0 + kz.nr <= rows && kz.c0 + kz.nc <= cols) Object.assign(win, kz);
  const zoomed = (): boolean => win.nr < rows || win.nc < cols;

  let color = d3.scaleSequential(d3.interpolateViridis);
  const tiles = tileSource({
    rows,
    cols,
    pw,
    ph,
    view: () => ({ layer: st.layer, head: st.head, win, shown: { mask: st.maskUpper, normalise: st.normalise }, matrix }),
    overview: overview ? { tensor: overview, mask: data.overviewMask === true, layer: first, head: data.head ?? 0 } : undefined,
    request: options.requestTile,
    arrived: () => disposed || draw(),
  });
  /** What the plot shows now: the current head's window pooled to its pixels. */
  let painted: Painted | null = null;

  const plot = matrixPlot(frame.body, { width: m.left + pw + m.right, height: m.top + ph + m.bottom, margin: m, label: "attention heatmap", className: "plot" });
  const { svg, g } = plot;
  g.append("rect").attr("class", "frame").attr("width", pw).attr("height", ph).attr("fill", "none").style("stroke", THEME.border);
  let canvas: HTMLCanvasElement | null = null;

  /** Cells and token labels of the current head and window. */
  function paintCells(): void {
    const now = tiles.current();
    frame.status.textContent = tiles.status(now);
    if (!now) return; // another head is on its way: the old one stays until it comes
    painted = now;
    const t = now.tile;
    heading.textContent = `${data.title ?? "Attention pattern"}: layer ${t.layer}, head ${t.head}`;
    svg.attr("aria-label", `attention heatmap, layer ${t.layer}, head ${t.head}, ${rows} × ${cols} tokens`);
    const top = st.normalise === "row" ? 1 : t.max || 1;
    color = d3.scaleSequential(d3.interpolateViridis).domain([0, top]);
    g.selectAll(".cells, .cells-raster, .row-labels, .col-labels").remove();
    const { h, w, values } = t;
    const cells = { rows: h, cols: w, width: pw, height: ph, value: (i: number, j: number) => values[i * w + j], color, ramp: { lo: 0, hi: top, colors: VIRIDIS }, row: (i: number, out: Float32Array) => (out.set(values.subarray(i * w, (i + 1) * w)), w) };
    canvas = plot.paint(cells, mode, { raster: options.raster, reuse: canvas });
    const { r0, c0, nr, nc } = win;
    const ch = ph / nr;
    const cw = pw / nc;
    // Label every k-th token (by its index, so labels stay put while panning): MIN_TEXT px, 1 px apart.
    const within = (from: number, n: number, step: number) => range(n).map((k) => from + k).filter((i) => i % step === 0);
    const labels = (axis: "row" | "col", from: number, n: number, cell: number, text: string[]) =>
      matrixLabels(g, axis, within(from, n, Math.max(1, Math.ceil((MIN_TEXT + 1) / cell))), {
        group: `${axis}-labels`,
        cls: `token-label ${axis}-label`,
        index: true,
        pos: (i) => (i - from + 0.5) * cell,
        text: (i) => text[i],
        rotate: true,
        fit: labelW - 4,
      }).on("click", (_e, i) => toggle(i, i));
    labels("row", r0, nr, ch, queryLabels);
    labels("col", c0, nc, cw, keyLabels);
  }

  function paintLegend(): void {
    g.selectAll(":scope > defs, .legend").remove();
    colorLegend(g, color, { x: pw + 40, y: 0, height: Math.min(ph, 200), title: st.normalise === "row" ? "weight ÷ row max" : "attention weight" });
  }

  paintCells();
  axisLabel(g, "Query token (attending from)", -labelW - 10, ph / 2, true, ph + m.top);
  axisLabel(g, "Key token (attended to)", pw / 2, -labelW - 10, false, pw + m.right);
  paintLegend();

  const over = g.append("g").attr("class", "overlay").style("pointer-events", "none");
  const band = (cls: string) => over.append("rect").attr("class", cls).attr("display", "none").attr("fill", "none").style("stroke", THEME.accent);
  const hlRow = band("highlight-row").style("fill", THEME.accent).attr("fill-opacity", 0.18);
  const hlCol = band("highlight-col").style("fill", THEME.accent).attr("fill-opacity", 0.18);
  const hover = band("hover-cell").attr("stroke-width", 1.5);
  const hitter = hitLayer(g, pw, ph, () => ({ rows: win.nr, cols: win.nc, cw: pw / win.nc, ch: ph / win.nr }), "crosshair");
  const hit = hitter.sel;
  const zoom = windowZoom({
    rows,
    cols,
    pw,
    ph,
    win,
    enabled: canZoom,
    controls: frame.controls,
    hit,
    onChange: () => {
      st.zoom = zoomed() ? { ...win } : null;
      draw();
      changed();
    },
  });
  if (zoom.zoomable) st.zoom = zoomed() ? { ...win } : null;

  /** New head, mask, colour mode or window: cells, labels and legend again, in the same SVG (layout passes kept). */
  function draw(): void {
    frame.tip.hide();
    hover.attr("display", "none");
    paintCells();
    paintLegend();
    over.raise();
    hit.raise();
    paintHighlight();
    zoom.info();
  }

  function paintHighlight(): void {
    const h = st.highlight;
    const ch = ph / win.nr;
    const cw = pw / win.nc;
    const rowIn = h !== null && h.row >= win.r0 && h.row < win.r0 + win.nr;
    const colIn = h !== null && h.col >= win.c0 && h.col < win.c0 + win.nc;
    hlRow.attr("display", rowIn ? null : "none");
    hlCol.attr("display", colIn ? null : "none");
    if (h && rowIn) hlRow.attr("x", 0).attr("y", (h.row - win.r0) * ch).attr("width", pw).attr("height", ch);
    if (h && colIn) hlCol.attr("x", (h.col - win.c0) * cw).attr("y", 0).attr("width", cw).attr("height", ph);
    g.selectAll<SVGTextElement, number>(".row-label").classed("active", (i) => h !== null && i === h.row);
    g.selectAll<SVGTextElement, number>(".col-label").classed("active", (j) => h !== null && j === h.col);
  }
  function toggle(row: number, col: number): void {
    const same = st.highlight && st.highlight.row === row && st.highlight.col === col;
    st.highlight = same ? null : { row, col };
    paintHighlight();
    options.onHighlight?.(st.highlight ? st.highlight.row : null);
    changed();
  }
  /** The (query, key) under the pointer, in the whole pattern. */
  const at = (event: MouseEvent): [number, number] | null => {
    const c = hitter.at(event);
    return c && [c[0] + win.r0, c[1] + win.c0];
  };
  hit
    .on("mousemove", (event: MouseEvent) => {
      if (zoom.move(event)) return;
      const c = at(event);
      if (!c) return;
      const [i, j] = c;
      const ch = ph / win.nr;
      const cw = pw / win.nc;
      hover.attr("display", null).attr("x", (j - win.c0) * cw).attr("y", (i - win.r0) * ch).attr("width", cw).attr("height", ch);
      frame.tip.show([`query ${i}: ${showToken(queries[i])}`, `key ${j}: ${showToken(keys[j])}`, ...tiles.describe(i, j, painted)], event);
    })
    .on("mouseleave", () => {
      zoom.leave();
      hover.attr("display", "none");
      frame.tip.hide();
    })
    .on("click", (event: MouseEvent) => {
      if (zoom.swallowClick()) return;
      const c = at(event);
      if (c) toggle(c[0], c[1]);
    });
  paintHighlight();

  if (keptHead && rank === 2 && !overview && options.requestHead) select(keptHead.layer, keptHead.head, false);
  if (kernelMoved) changed(); // the user's old head is dropped for good
  return () => {
    disposed = true;
    frame.dispose();
  };
}
