// One attention head as a query × key heatmap. Small inputs get one SVG rect per cell
// (inspectable, exportable); long ones (over `canvasThreshold` tokens) paint cells on a
// canvas under an SVG overlay, so a 1,024-token head is one putImageData and a hover only
// moves two rectangles.
import * as d3 from "d3";
import {
  Cleanup,
  RasterEncoder,
  Tensor,
  THEME,
  addCheckbox,
  addSelect,
  axisLabel,
  cellAt,
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

export interface HeatmapData {
  /** [query, key] for the head named by layer/head, or [layer, head, query, key] for all heads. */
  pattern: Tensor;
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
}

export function render(el: HTMLElement, data: HeatmapData, options: HeatmapOptions = {}): Cleanup {
  const pattern = checkTensor("pattern", data.pattern, [2, 4]);
  const rank = pattern.shape.length;
  const [rows, cols] = pattern.shape.slice(-2);
  const keys = checkTokens("tokens", data.tokens, cols);
  const maybeQueries = data.queryTokens ? checkTokens("queryTokens", data.queryTokens, rows) : rows === cols ? keys : null;
  if (!maybeQueries) throw new Error(`queryTokens: pattern has ${rows} query rows but ${cols} key tokens; pass queryTokens`);
  const queries: string[] = maybeQueries;
  const nLayers = rank === 4 ? pattern.shape[0] : data.nLayers ?? 1;
  const nHeads = rank === 4 ? pattern.shape[1] : data.nHeads ?? 1;
  const layerNames = data.layers ?? range(nLayers);
  if (layerNames.length !== nLayers) throw new Error(`layers: expected ${nLayers} layer numbers, got ${layerNames.length}`);
  const layerIndex = (layer: number): number => {
    const i = layerNames.indexOf(layer);
    if (i < 0) throw new Error(`layer: ${layer} is not among the layers shown (${layerNames.join(", ")})`);
    return i;
  };
  const first = data.layer ?? layerNames[0];
  let matrix = rank === 4 ? subMatrix(pattern, [layerIndex(first), data.head ?? 0]) : pattern.data;
  const keep = options.state ?? {};
  const st: HeatmapViewState = {
    layer: first,
    head: data.head ?? 0,
    maskUpper: keep.maskUpper ?? options.maskUpper ?? (rows === cols && upperIsZero(matrix, rows)),
    normalise: keep.normalise === "raw" || keep.normalise === "row" ? keep.normalise : options.normalise ?? "raw",
    highlight: keep.highlight && keep.highlight.row >= 0 && keep.highlight.row < rows && keep.highlight.col >= 0 && keep.highlight.col < cols ? { ...keep.highlight } : null,
  };
  // The user's head, if this data has it: drawn at once from a full pattern, fetched otherwise.
  const keptHead =
    keep.layer !== undefined && keep.head !== undefined && layerNames.includes(keep.layer) && Number.isInteger(keep.head) && keep.head >= 0 && keep.head < nHeads && (keep.layer !== st.layer || keep.head !== st.head)
      ? { layer: keep.layer, head: keep.head }
      : null;
  if (keptHead && rank === 4) {
    st.layer = keptHead.layer;
    st.head = keptHead.head;
    matrix = subMatrix(pattern, [layerIndex(st.layer), st.head]);
  }
  const changed = (): void => options.onState?.({ ...st, highlight: st.highlight && { ...st.highlight } });
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
      matrix = subMatrix(pattern, [layerIndex(layer), head]);
      draw();
      return;
    }
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

  function draw(): void {
    heading.textContent = `${data.title ?? "Attention pattern"}: layer ${st.layer}, head ${st.head}`;
    frame.body.textContent = "";
    frame.tip.hide();
    const size = options.size ?? 560;
    const cell = Math.max(1, Math.min(24, Math.floor(size / Math.max(rows, cols))));
    const pw = cell * cols;
    const ph = cell * rows;
    // Label every k-th token so labels stay legible (MIN_TEXT px, 1 px apart at least).
    const step = Math.max(1, Math.ceil((MIN_TEXT + 1) / cell));
    const fs = MIN_TEXT;
    const doc = frame.root.ownerDocument;
    const keyLabels = tokenLabels(keys, options.rawTokens);
    const queryLabels = tokenLabels(queries, options.rawTokens);
    const longest = d3.max([...keyLabels, ...queryLabels], (t) => textWidth(t, fs, doc)) ?? 10;
    const labelW = Math.ceil(Math.min(140, 6 + longest));
    const m = { left: labelW + 22, top: labelW + 22, right: 100, bottom: 12 };
    const rowMax = new Float32Array(rows);
    let vmax = 0;
    for (let i = 0; i < rows; i++) {
      let r = 0;
      for (let j = 0; j < cols; j++) if (!(st.maskUpper && j > i)) r = Math.max(r, matrix[i * cols + j]);
      rowMax[i] = r;
      vmax = Math.max(vmax, r);
    }
    const shown = (i: number, j: number): number => {
      if (st.maskUpper && j > i) return NaN;
      const v = matrix[i * cols + j];
      return st.normalise === "row" ? (rowMax[i] > 0 ? v / rowMax[i] : 0) : v;
    };
    const color = d3.scaleSequential(d3.interpolateViridis).domain([0, st.normalise === "row" ? 1 : vmax || 1]);
    const host = frame.body.ownerDocument.createElement("div");
    host.style.position = "relative";
    frame.body.appendChild(host);
    const svg = d3
      .select(host)
      .append("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("width", m.left + pw + m.right)
      .attr("height", m.top + ph + m.bottom)
      .attr("role", "img")
      .attr("aria-label", `attention heatmap, layer ${st.layer}, head ${st.head}, ${rows} × ${cols} tokens`)
      .style("position", "relative");
    const g = svg.append("g").attr("class", "plot").attr("transform", `translate(${m.left},${m.top})`);
    g.append("rect").attr("class", "frame").attr("width", pw).attr("height", ph).attr("fill", "none").style("stroke", THEME.border);
    paintMatrix(mode, g, host, { left: m.left, top: m.top }, { rows, cols, width: pw, height: ph, value: shown, color }, options.raster);

    g.append("g")
      .attr("class", "row-labels")
      .selectAll("text")
      .data(range(rows).filter((i) => i % step === 0))
      .join("text")
      .attr("class", "token-label row-label")
      .attr("data-index", (i) => i)
      .attr("x", -4)
      .attr("y", (i) => (i + 0.5) * cell)
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
      .data(range(cols).filter((j) => j % step === 0))
      .join("text")
      .attr("class", "token-label col-label")
      .attr("data-index", (j) => j)
      .attr("transform", (j) => `translate(${(j + 0.5) * cell},-4) rotate(-90)`)
      .attr("dy", "0.35em")
      .attr("text-anchor", "start")
      .attr("font-size", fs)
      .each(function (j) {
        fitText(d3.select(this as SVGTextElement) as never, keyLabels[j], labelW - 4, fs);
      })
      .on("click", (_e, j) => toggle(j, j));
    axisLabel(g, "Query token (attending from)", -labelW - 10, ph / 2, true, ph + m.top);
    axisLabel(g, "Key token (attended to)", pw / 2, -labelW - 10, false, pw + m.right);
    colorLegend(g, color, {
      x: pw + 40,
      y: 0,
      height: Math.min(ph, 200),
      title: st.normalise === "row" ? "weight ÷ row max" : "attention weight",
    });

    const over = g.append("g").attr("class", "overlay").style("pointer-events", "none");
    const band = (cls: string) =>
      over.append("rect").attr("class", cls).attr("display", "none").attr("fill", "none").style("stroke", THEME.accent);
    const hlRow = band("highlight-row").style("fill", THEME.accent).attr("fill-opacity", 0.18);
    const hlCol = band("highlight-col").style("fill", THEME.accent).attr("fill-opacity", 0.18);
    const hover = band("hover-cell").attr("stroke-width", 1.5);
    const hit = g
      .append("rect")
      .attr("class", "hit")
      .attr("width", pw)
      .attr("height", ph)
      .attr("fill", "transparent")
      .style("cursor", "crosshair");
    const hitNode = hit.node() as SVGRectElement;

    const paintHighlight = (): void => {
      const h = st.highlight;
      hlRow.attr("display", h ? null : "none");
      hlCol.attr("display", h ? null : "none");
      if (h) {
        hlRow.attr("x", 0).attr("y", h.row * cell).attr("width", pw).attr("height", cell);
        hlCol.attr("x", h.col * cell).attr("y", 0).attr("width", cell).attr("height", ph);
      }
      g.selectAll<SVGTextElement, number>(".row-label").classed("active", (i) => h !== null && i === h.row);
      g.selectAll<SVGTextElement, number>(".col-label").classed("active", (j) => h !== null && j === h.col);
    };
    function toggle(row: number, col: number): void {
      const same = st.highlight && st.highlight.row === row && st.highlight.col === col;
      st.highlight = same ? null : { row, col };
      paintHighlight();
      options.onHighlight?.(st.highlight ? st.highlight.row : null);
      changed();
    }
    hit
      .on("mousemove", (event: MouseEvent) => {
        const at = cellAt(event, hitNode, cell, cell, rows, cols);
        if (!at) return;
        const [i, j] = at;
        hover.attr("display", null).attr("x", j * cell).attr("y", i * cell).attr("width", cell).attr("height", cell);
        const lines = [
          `query ${i}: ${showToken(queries[i])}`,
          `key ${j}: ${showToken(keys[j])}`,
          st.maskUpper && j > i ? "masked (key after query)" : `weight ${fmt(matrix[i * cols + j])}`,
        ];
        if (st.normalise === "row" && !(st.maskUpper && j > i)) lines.push(`÷ row max ${fmt(shown(i, j))}`);
        frame.tip.show(lines, event);
      })
      .on("mouseleave", () => {
        hover.attr("display", "none");
        frame.tip.hide();
      })
      .on("click", (event: MouseEvent) => {
        const at = cellAt(event, hitNode, cell, cell, rows, cols);
        if (at) toggle(at[0], at[1]);
      });
    paintHighlight();
  }

  draw();
  if (keptHead && rank === 2 && options.requestHead) select(keptHead.layer, keptHead.head, false);
  return () => {
    disposed = true;
    frame.dispose();
  };
}

function upperIsZero(m: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (m[i * n + j] !== 0) return false;
  return n > 1;
}
