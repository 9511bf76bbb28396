// One attention head as a query × key heatmap. Small inputs get one SVG rect per cell
// (inspectable, exportable); long ones (over `canvasThreshold` tokens) paint cells on a
// canvas under an SVG overlay, so a 1,024-token head is one putImageData and a hover only
// moves two rectangles. Whatever the length, the plot keeps its size and a pixel shows the
// largest weight of its block of tokens (../tiles.ts); a long context held by the kernel
// arrives as that overview only, and the view fetches the exact weights of the window it
// zooms to (`requestTile`), one head at a time.
import * as d3 from "d3";
import {
  Cleanup,
  RasterEncoder,
  Tensor,
  THEME,
  addCheckbox,
  addSelect,
  axisLabel,
  hitLayer,
  checkTensor,
  checkTokens,
  colorLegend,
  createFrame,
  fmt,
  paintMatrix,
  range,
  showToken,
  subMatrix,
  MIN_TEXT,
  fitText,
  textWidth,
  tokenLabels,
} from "./common";
import { PLOT_SIZE, maxOf, plotSize, poolMax, resample, rowMaxima, tileKey, tileShape, type Shown, type Tile, type Window } from "../tiles";

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
  requestTile?: (q: { layer: number; head: number; win: Window; h: number; w: number; shown: Shown }) => Promise<Tile>;
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
  const overview = data.pattern == null && data.overview != null ? checkTensor("overview", data.overview, [2]) : null;
  const pattern = overview ? null : checkTensor("pattern", data.pattern, [2, 4]);
  const rank = pattern ? pattern.shape.length : 2;
  const cols = pattern ? pattern.shape[rank - 1] : Array.isArray(data.tokens) ? data.tokens.length : 0;
  const rows = pattern ? pattern.shape[rank - 2] : Array.isArray(data.queryTokens) ? data.queryTokens.length : cols;
  const keys = checkTokens("tokens", data.tokens, cols);
  const maybeQueries = data.queryTokens ? checkTokens("queryTokens", data.queryTokens, rows) : rows === cols ? keys : null;
  if (!maybeQueries) throw new Error(`queryTokens: pattern has ${rows} query rows but ${cols} key tokens; pass queryTokens`);
  const queries: string[] = maybeQueries;
  const nLayers = rank === 4 ? pattern!.shape[0] : data.nLayers ?? 1;
  const nHeads = rank === 4 ? pattern!.shape[1] : data.nHeads ?? 1;
  const layerNames = data.layers ?? range(nLayers);
  if (layerNames.length !== nLayers) throw new Error(`layers: expected ${nLayers} layer numbers, got ${layerNames.length}`);
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
        checkTensor("requested head", t, [2]);
        if (t.shape[0] !== rows || t.shape[1] !== cols) {
          throw new Error(`requested head: expected shape [${rows}, ${cols}], got [${t.shape.join(", ")}]`);
        }
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
  addCheckbox(frame.controls, "mask key > query", st.maskUpper, (v) => {
    st.maskUpper = v;
    changed();
    draw();
  });
  addSelect(
    frame.controls,
    "Colour",
    [
      { value: "raw", label: "raw weight" },
      { value: "row", label: "row-normalised (÷ row max)" },
    ],
    st.normalise,
    (v) => {
      st.normalise = v as "raw" | "row";
      changed();
      draw();
    },
  );

  // The plot keeps its size; a long context (over `size` tokens) is seen whole with each
  // pixel showing the largest weight of its block, and zoom/pan (live canvas only) show a
  // window of tokens down to cells big enough to label every token.
  const longest = Math.max(rows, cols);
  const { width: pw, height: ph } = plotSize(rows, cols, options.size ?? PLOT_SIZE);
  const size = Math.max(pw, ph);
  const fs = MIN_TEXT;
  const doc = frame.root.ownerDocument;
  const keyLabels = tokenLabels(keys, options.rawTokens);
  const queryLabels = tokenLabels(queries, options.rawTokens);
  const widest = d3.max([...new Set([...keyLabels, ...queryLabels])], (t) => textWidth(t, fs, doc)) ?? 10;
  const labelW = Math.ceil(Math.min(140, 6 + widest));
  const m = { left: labelW + 22, top: labelW + 22, right: 100, bottom: 12 };
  // Smallest window: cells of MAX_CELL px.
  const MAX_CELL = 32;
  const minR = Math.min(rows, Math.max(1, Math.ceil(ph / MAX_CELL)));
  const minC = Math.min(cols, Math.max(1, Math.ceil(pw / MAX_CELL)));
  const zoomable = mode === "canvas" && (minR < rows || minC < cols) && longest > size / 8;
  const win = { r0: 0, c0: 0, nr: rows, nc: cols };
  const kz = keep.zoom;
  if (zoomable && kz && kz.nr >= minR && kz.nc >= minC && kz.r0 >= 0 && kz.c0 >= 0 && kz.r0 + kz.nr <= rows && kz.c0 + kz.nc <= cols) Object.assign(win, kz);
  if (zoomable) st.zoom = zoomed() ? { ...win } : null;
  function zoomed(): boolean {
    return win.nr < rows || win.nc < cols;
  }

  let color = d3.scaleSequential(d3.interpolateViridis);
  const tiles = tileSource();
  /** What the plot shows now: the current head's window pooled to its pixels (exact, or a stand-in while the exact tile loads). */
  let painted: { tile: Tile; exact: boolean } | null = null;

  const host = doc.createElement("div");
  host.style.position = "relative";
  frame.body.appendChild(host);
  const svg = d3
    .select(host)
    .append("svg")
    .attr("xmlns", "http://www.w3.org/2000/svg")
    .attr("width", m.left + pw + m.right)
    .attr("height", m.top + ph + m.bottom)
    .attr("role", "img")
    .attr("aria-label", "attention heatmap")
    .style("position", "relative");
  const g = svg.append("g").attr("class", "plot").attr("transform", `translate(${m.left},${m.top})`);
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
    color = d3.scaleSequential(d3.interpolateViridis).domain([0, st.normalise === "row" ? 1 : t.max || 1]);
    g.selectAll(".cells, .cells-raster, .row-labels, .col-labels").remove();
    const { r0, c0, nr, nc } = win;
    const { h, w, values } = t;
    canvas = paintMatrix(
      mode,
      g,
      host,
      { left: m.left, top: m.top },
      {
        rows: h,
        cols: w,
        width: pw,
        height: ph,
        value: (i, j) => values[i * w + j],
        color,
        row: (i, out) => (out.set(values.subarray(i * w, (i + 1) * w)), w),
      },
      options.raster,
      canvas,
    );
    const ch = ph / nr;
    const cw = pw / nc;
    // Label every k-th token (by its index, so labels stay put while panning): MIN_TEXT px, 1 px apart.
    const rowStep = Math.max(1, Math.ceil((MIN_TEXT + 1) / ch));
    const colStep = Math.max(1, Math.ceil((MIN_TEXT + 1) / cw));
    const within = (from: number, n: number, step: number) => range(n).map((k) => from + k).filter((i) => i % step === 0);
    g.append("g")
      .attr("class", "row-labels")
      .selectAll("text")
      .data(within(r0, nr, rowStep))
      .join("text")
      .attr("class", "token-label row-label")
      .attr("data-index", (i) => i)
      .attr("x", -4)
      .attr("y", (i) => (i - r0 + 0.5) * ch)
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .attr("font-size", fs)
      .each(function (i) {
        fitText(d3.select(this as SVGTextElement) as never, queryLabels[i], labelW - 4, fs);
      })
      .on("click", (_e, i) => toggle(i, i));
    g.append("g")
      .attr("class", "col-labels")
      .selectAll("text")
      .data(within(c0, nc, colStep))
      .join("text")
      .attr("class", "token-label col-label")
      .attr("data-index", (j) => j)
      .attr("transform", (j) => `translate(${(j - c0 + 0.5) * cw},-4) rotate(-90)`)
      .attr("dy", "0.35em")
      .attr("text-anchor", "start")
      .attr("font-size", fs)
      .each(function (j) {
        fitText(d3.select(this as SVGTextElement) as never, keyLabels[j], labelW - 4, fs);
      })
      .on("click", (_e, j) => toggle(j, j));
  }

  function paintLegend(): void {
    g.selectAll(":scope > defs, .legend").remove();
    colorLegend(g, color, {
      x: pw + 40,
      y: 0,
      height: Math.min(ph, 200),
      title: st.normalise === "row" ? "weight ÷ row max" : "attention weight",
    });
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
  const hitNode = hitter.node;

  /** New head, mask or colour mode: cells, labels and legend again, in the same SVG (layout passes kept). */
  function draw(): void {
    frame.tip.hide();
    hover.attr("display", "none");
    paintCells();
    paintLegend();
    over.raise();
    hit.raise();
    paintHighlight();
    zoomInfo?.();
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
  let drag: { x: number; y: number; r0: number; c0: number; moved: boolean } | null = null;
  hit
    .on("mousemove", (event: MouseEvent) => {
      if (drag) {
        if (!(event.buttons & 1)) drag = null;
        else return pan(event);
      }
      const c = at(event);
      if (!c) return;
      const [i, j] = c;
      const ch = ph / win.nr;
      const cw = pw / win.nc;
      hover.attr("display", null).attr("x", (j - win.c0) * cw).attr("y", (i - win.r0) * ch).attr("width", cw).attr("height", ch);
      frame.tip.show([`query ${i}: ${showToken(queries[i])}`, `key ${j}: ${showToken(keys[j])}`, ...tiles.describe(i, j)], event);
    })
    .on("mouseleave", () => {
      drag = null;
      hover.attr("display", "none");
      frame.tip.hide();
    })
    .on("click", (event: MouseEvent) => {
      if (drag?.moved) return void (drag = null);
      drag = null;
      const c = at(event);
      if (c) toggle(c[0], c[1]);
    });

  // Zoom (wheel, buttons) and pan (drag) for long contexts, so every token label can be read.
  let zoomInfo: (() => void) | null = null;
  function setWindow(nr: number, nc: number, r0: number, c0: number): void {
    win.nr = Math.max(minR, Math.min(rows, Math.round(nr)));
    win.nc = Math.max(minC, Math.min(cols, Math.round(nc)));
    win.r0 = Math.max(0, Math.min(rows - win.nr, Math.round(r0)));
    win.c0 = Math.max(0, Math.min(cols - win.nc, Math.round(c0)));
    st.zoom = zoomed() ? { ...win } : null;
    draw();
    changed();
  }
  /** Zooms by `k` (> 1: in) keeping the token at (fy, fx), fractions of the plot, in place. */
  function zoomBy(k: number, fy = 0.5, fx = 0.5): void {
    const fi = win.r0 + fy * win.nr;
    const fj = win.c0 + fx * win.nc;
    const nr = win.nr / k;
    const nc = win.nc / k;
    setWindow(nr, nc, fi - fy * Math.max(minR, Math.min(rows, nr)), fj - fx * Math.max(minC, Math.min(cols, nc)));
  }
  function pan(event: MouseEvent): void {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    const scale = hitNode.getBoundingClientRect();
    const kx = scale.width > 0 ? pw / scale.width : 1;
    const ky = scale.height > 0 ? ph / scale.height : 1;
    setWindow(win.nr, win.nc, drag.r0 - (dy * ky) / (ph / win.nr), drag.c0 - (dx * kx) / (pw / win.nc));
  }
  if (zoomable) {
    const info = doc.createElement("span");
    info.className = "attnlab-zoom-info";
    const button = (label: string, title: string, onClick: () => void) => {
      const b = doc.createElement("button");
      b.type = "button";
      b.className = "attnlab-zoom";
      b.textContent = label;
      b.title = title;
      b.setAttribute("aria-label", title);
      b.addEventListener("click", onClick);
      frame.controls.insertBefore(b, frame.controls.lastChild);
      return b;
    };
    button("+", "zoom in", () => zoomBy(2));
    button("−", "zoom out", () => zoomBy(0.5));
    button("whole", "show every token (reset zoom)", () => setWindow(rows, cols, 0, 0));
    frame.controls.insertBefore(info, frame.controls.lastChild);
    zoomInfo = () => {
      const per = Math.max(win.nr / ph, win.nc / pw);
      info.textContent =
        `queries ${win.r0}–${win.r0 + win.nr - 1}, keys ${win.c0}–${win.c0 + win.nc - 1} of ${rows}` +
        (per > 1 ? ` (a pixel shows the largest of ${Math.ceil(per)} × ${Math.ceil(per)} weights: zoom in, or drag to pan)` : " (drag to pan)");
    };
    zoomInfo();
    hit.on("wheel", (event: WheelEvent) => {
      event.preventDefault();
      const [x, y] = d3.pointer(event, hitNode);
      zoomBy(event.deltaY < 0 ? 1.25 : 0.8, Math.max(0, Math.min(1, y / ph)), Math.max(0, Math.min(1, x / pw)));
    });
    hit.on("mousedown", (event: MouseEvent) => {
      if (event.button === 0) drag = { x: event.clientX, y: event.clientY, r0: win.r0, c0: win.c0, moved: false };
    });
    hit.on("mouseup", (event: MouseEvent) => {
      if (drag?.moved) pan(event);
      if (drag && !drag.moved) drag = null;
    });
  }
  paintHighlight();

  if (keptHead && rank === 2 && !overview && options.requestHead) select(keptHead.layer, keptHead.head, false);
  if (kernelMoved) changed(); // the user's old head is dropped for good
  return () => {
    disposed = true;
    frame.dispose();
  };

  /**
   * Where the cells come from. A head the view holds is pooled here (tiles.ts poolMax, the
   * pooling the kernel uses). A long context the kernel keeps starts from its overview and
   * asks the kernel for the exact tile of each window: one request in flight, each reply
   * redraws, and that redraw asks for whatever the window is by then; meanwhile the plot
   * shows a stand-in cut from the head's whole view. Without a kernel (a saved notebook) the
   * overview is all there is: zooming enlarges its blocks, and the status line says so.
   */
  function tileSource() {
    let maxima: { matrix: Float32Array; mask: boolean; rowMax: Float32Array; max: number } | null = null;
    const cache = new Map<string, Tile>();
    const failed = new Map<string, string>();
    let inflight = false;
    const whole: Window = { r0: 0, c0: 0, nr: rows, nc: cols };
    const put = (k: string, t: Tile): void => {
      cache.delete(k);
      cache.set(k, t);
      if (cache.size > 12) cache.delete(cache.keys().next().value as string);
    };
    if (overview) {
      const shown: Shown = { mask: data.overviewMask === true, normalise: "raw" };
      const [h, w] = overview.shape;
      const head = data.head ?? 0;
      put(tileKey(first, head, whole, h, w, shown), { layer: first, head, win: whole, h, w, shown, values: overview.data, max: maxOf(overview.data) });
    }
    const want = () => {
      const [h, w] = tileShape(win, pw, ph);
      const shown: Shown = { mask: st.maskUpper, normalise: st.normalise };
      return { layer: st.layer, head: st.head, win: { ...win }, h, w, shown, key: tileKey(st.layer, st.head, win, h, w, shown) };
    };
    const fetch = (q: ReturnType<typeof want>): void => {
      if (!options.requestTile || inflight || failed.has(q.key)) return;
      inflight = true;
      options
        .requestTile(q)
        .then(
          (t) => put(q.key, t),
          (e: Error) => void failed.set(q.key, e.message),
        )
        .then(() => {
          inflight = false;
          if (!disposed) draw();
        });
    };
    return {
      current(): { tile: Tile; exact: boolean } | null {
        const q = want();
        if (matrix) {
          if (!maxima || maxima.matrix !== matrix || maxima.mask !== st.maskUpper) maxima = { matrix, mask: st.maskUpper, ...rowMaxima(matrix, rows, cols, st.maskUpper) };
          const values = poolMax(matrix, cols, q.win, q.h, q.w, q.shown, maxima.rowMax);
          return { tile: { ...q, values, max: q.shown.normalise === "row" ? 1 : maxima.max }, exact: true };
        }
        const hit = cache.get(q.key);
        if (hit) return { tile: hit, exact: true };
        fetch(q);
        let base: Tile | undefined; // this head seen whole, shown as asked if the kernel sent that, else the overview
        for (const t of cache.values()) {
          const same = t.shown.mask === q.shown.mask && t.shown.normalise === q.shown.normalise;
          if (t.layer === q.layer && t.head === q.head && t.win.nr === rows && t.win.nc === cols && (!base || same)) base = t;
        }
        return base ? { tile: { ...base, win: q.win, h: q.h, w: q.w, values: resample(base, q.win, q.h, q.w) }, exact: false } : null;
      },
      status(now: { exact: boolean } | null): string {
        if (now?.exact) return "";
        const err = failed.get(want().key);
        if (err) return `could not load: ${err}`;
        if (!options.requestTile) return "no kernel: the overview saved with the figure (zooming enlarges its blocks; exact weights, the mask and row colours need the kernel)";
        return now ? "loading the exact weights…" : `loading layer ${st.layer}, head ${st.head}…`;
      },
      /** The tooltip's lines for (query i, key j): the weight, or its block's largest when a pixel holds many. */
      describe(i: number, j: number): string[] {
        if (st.maskUpper && j > i) return ["masked (key after query)"];
        if (matrix) {
          const v = matrix[i * cols + j];
          const lines = [`weight ${fmt(v)}`];
          if (st.normalise === "row" && maxima) lines.push(`÷ row max ${fmt(maxima.rowMax[i] > 0 ? v / maxima.rowMax[i] : 0)}`);
          return lines;
        }
        if (!painted) return [];
        const { tile: t, exact } = painted;
        const y = Math.floor(((i - win.r0) * t.h) / win.nr);
        const x = Math.floor(((j - win.c0) * t.w) / win.nc);
        const v = t.values[y * t.w + x];
        const what = t.shown.normalise === "row" ? "weight ÷ row max" : "weight";
        if (v !== v) return ["masked (key after query)"];
        if (exact && t.h === win.nr && t.w === win.nc) return [`${what} ${fmt(v)}`];
        if (!exact) return [`${what} ≈ ${fmt(v)} (its block's largest; exact weights ${options.requestTile ? "loading" : "need the kernel"})`];
        const span = (p: number, n: number, px: number, o: number) => `${o + Math.ceil((p * n) / px)}–${o + Math.ceil(((p + 1) * n) / px) - 1}`;
        return [`largest ${what} of queries ${span(y, win.nr, t.h, win.r0)} × keys ${span(x, win.nc, t.w, win.c0)}: ${fmt(v)}`, "zoom in for each weight"];
      },
    };
  }
}

function upperIsZero(m: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (m[i * n + j] !== 0) return false;
  return n > 1;
}
