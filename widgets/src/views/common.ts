// Shared pieces of the attnlab renderers: tensor checks, the themed frame (title,
// controls, tooltip), colour legends and the matrix painter that switches from one SVG
// rect per cell to a canvas (live) or a raster <image> (static export) for long inputs.
// Text (sizes, fitting, token labels), theme variants of the scales and the passes over a
// finished drawing live in text.ts, theme.ts and layout.ts, re-exported here.
import * as d3 from "d3";
import { isFloat32 } from "../protocol";
import { MIN_TEXT, canvasAvailable, fitText, wrapText } from "./text";

// The views import these from here as well as from their own modules.
export * from "./text";
export * from "./theme";
export * from "./layout";

/** A dense float tensor as it crosses from the kernel: row-major data plus its shape. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export type Cleanup = () => void;

/** Encodes RGBA pixels (row-major, width × height) as an image URL; used where no canvas exists. */
export type RasterEncoder = (rgba: Uint8ClampedArray, width: number, height: number) => string;

export const SVG_NS = "http://www.w3.org/2000/svg";

// JupyterLab's theme variables with light-theme fallbacks, so a figure follows the light
// and dark themes inside Lab and still reads on a bare page.
export const THEME = {
  fg: "var(--jp-ui-font-color1, #1f1f1f)",
  fg2: "var(--jp-ui-font-color2, #555)",
  bg: "var(--jp-layout-color1, #fff)",
  bg2: "var(--jp-layout-color2, #eee)",
  border: "var(--jp-border-color1, #bbb)",
  accent: "var(--jp-brand-color1, #1976d2)",
  warn: "var(--jp-warn-color0, #e65100)",
  font: "var(--jp-ui-font-family, system-ui, sans-serif)",
  mono: "var(--jp-code-font-family, monospace)",
};

// Okabe & Ito's palette: distinguishable under the common colour-vision deficiencies.
export const CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

const STYLE = `
.attnlab-view { font-family: ${THEME.font}; color: ${THEME.fg}; background: ${THEME.bg}; position: relative; padding: 4px; font-size: 13px; }
.attnlab-view.attnlab-presentation { font-size: 16px; }
.attnlab-view.attnlab-presentation .attnlab-title { font-size: 20px; }
.attnlab-view.attnlab-presentation .attnlab-subtitle, .attnlab-view.attnlab-presentation .attnlab-tooltip { font-size: 16px; }
.attnlab-view .attnlab-title { font-weight: 600; font-size: 16px; margin: 2px 0; }
.attnlab-view .attnlab-subtitle { color: ${THEME.fg2}; font-size: 13px; margin-bottom: 4px; }
.attnlab-view .attnlab-controls { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; margin: 4px 0; }
.attnlab-view .attnlab-controls select, .attnlab-view .attnlab-controls input { font: inherit; color: ${THEME.fg}; background: ${THEME.bg2}; border: 1px solid ${THEME.border}; }
.attnlab-view .attnlab-status { color: ${THEME.fg2}; font-style: italic; }
.attnlab-view .attnlab-tooltip { position: absolute; pointer-events: none; background: ${THEME.bg2}; color: ${THEME.fg}; border: 1px solid ${THEME.border}; padding: 3px 6px; white-space: pre; font-size: 13px; z-index: 10; }
.attnlab-view svg text { fill: ${THEME.fg}; font-family: ${THEME.font}; }
.attnlab-view .attnlab-body { position: relative; }
.attnlab-view .token-label { cursor: pointer; }
.attnlab-view .token-label.active { font-weight: 700; fill: ${THEME.accent}; }
.attnlab-view .attnlab-controls select, .attnlab-view .attnlab-controls input[type=text] { background: var(--jp-input-background, ${THEME.bg}); }
`;











/** Throws a clear error unless `t` is a Float32Array tensor of the given rank whose length matches its shape. */
export function checkTensor(name: string, t: Tensor | undefined, ranks: number[]): Tensor {
  if (!t || !isFloat32(t.data) || !Array.isArray(t.shape)) {
    throw new Error(`${name}: expected {data: Float32Array, shape: number[]}, got ${describe(t)}`);
  }
  if (!ranks.includes(t.shape.length)) {
    throw new Error(`${name}: expected a tensor of rank ${ranks.join(" or ")}, got shape [${t.shape.join(", ")}]`);
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) {
    throw new Error(`${name}: shape [${t.shape.join(", ")}] needs ${n} values, data has ${t.data.length}`);
  }
  return t;
}

export function checkTokens(name: string, tokens: unknown, n: number): string[] {
  if (!Array.isArray(tokens) || tokens.length !== n || tokens.some((t) => typeof t !== "string")) {
    throw new Error(`${name}: expected ${n} token strings, got ${describe(tokens)}`);
  }
  return tokens as string[];
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object with keys ${Object.keys(v as object).join(", ")}` : typeof v;
}

/** The [rows, cols] block at `index` of a tensor whose last two axes are the matrix. */
export function subMatrix(t: Tensor, index: number[]): Float32Array {
  const rank = t.shape.length;
  const rows = t.shape[rank - 2];
  const cols = t.shape[rank - 1];
  let offset = 0;
  for (let a = 0; a < rank - 2; a++) {
    const i = index[a];
    if (!(i >= 0 && i < t.shape[a])) throw new Error(`index ${i} out of range for axis ${a} of size ${t.shape[a]}`);
    offset = offset * t.shape[a] + i;
  }
  return t.data.subarray(offset * rows * cols, (offset + 1) * rows * cols);
}

export interface Frame {
  root: HTMLDivElement;
  controls: HTMLDivElement;
  status: HTMLSpanElement;
  body: HTMLDivElement;
  tip: Tooltip;
  dispose(): void;
}

/** The themed container every view draws into: title, subtitle, controls, body and tooltip. */
export function createFrame(el: HTMLElement, kind: string, title: string, subtitle?: string): Frame {
  const doc = el.ownerDocument;
  const root = doc.createElement("div");
  root.className = `attnlab-view attnlab-${kind}`;
  const style = doc.createElement("style");
  style.textContent = STYLE;
  root.appendChild(style);
  const h = doc.createElement("div");
  h.className = "attnlab-title";
  h.textContent = title;
  root.appendChild(h);
  if (subtitle) {
    const s = doc.createElement("div");
    s.className = "attnlab-subtitle";
    s.textContent = subtitle;
    root.appendChild(s);
  }
  const controls = doc.createElement("div");
  controls.className = "attnlab-controls";
  root.appendChild(controls);
  const status = doc.createElement("span");
  status.className = "attnlab-status";
  controls.appendChild(status);
  const body = doc.createElement("div");
  body.className = "attnlab-body";
  root.appendChild(body);
  const tip = new Tooltip(root);
  el.appendChild(root);
  return { root, controls, status, body, tip, dispose: () => root.remove() };
}

/** A text tooltip positioned inside the view's root; one line per entry. */
export class Tooltip {
  readonly node: HTMLDivElement;
  constructor(private root: HTMLDivElement) {
    this.node = root.ownerDocument.createElement("div");
    this.node.className = "attnlab-tooltip";
    this.node.style.display = "none";
    root.appendChild(this.node);
  }
  show(lines: string[], event: { clientX: number; clientY: number }): void {
    this.node.textContent = lines.join("\n");
    const r = this.root.getBoundingClientRect();
    this.node.style.left = `${Math.round(event.clientX - r.left + 12)}px`;
    this.node.style.top = `${Math.round(event.clientY - r.top + 12)}px`;
    this.node.style.display = "block";
  }
  hide(): void {
    this.node.style.display = "none";
  }
  get text(): string {
    return this.node.style.display === "none" ? "" : this.node.textContent ?? "";
  }
}

export function addSelect(
  parent: HTMLElement,
  label: string,
  options: { value: string; label: string }[],
  value: string,
  onChange: (v: string) => void,
): HTMLSelectElement {
  const doc = parent.ownerDocument;
  const wrap = doc.createElement("label");
  wrap.textContent = `${label} `;
  const sel = doc.createElement("select");
  sel.setAttribute("aria-label", label);
  for (const o of options) {
    const opt = doc.createElement("option");
    opt.value = o.value;
    opt.textContent = o.label;
    sel.appendChild(opt);
  }
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.appendChild(sel);
  parent.insertBefore(wrap, parent.lastChild);
  return sel;
}

export function addCheckbox(parent: HTMLElement, label: string, checked: boolean, onChange: (v: boolean) => void): HTMLInputElement {
  const doc = parent.ownerDocument;
  const wrap = doc.createElement("label");
  const box = doc.createElement("input");
  box.type = "checkbox";
  box.checked = checked;
  box.setAttribute("aria-label", label);
  box.addEventListener("change", () => onChange(box.checked));
  wrap.appendChild(box);
  wrap.appendChild(doc.createTextNode(` ${label}`));
  parent.insertBefore(wrap, parent.lastChild);
  return box;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export const fmt = d3.format(".3f");







let gradientCounter = 0;

/** Any d3 colour scale over numbers (sequential or diverging). */
export interface ColorScale {
  (v: number): string;
  domain(): number[];
}

/** A vertical colour bar with an axis, drawn at (x, y) in `g`. */
export function colorLegend(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  scale: ColorScale,
  opts: { x: number; y: number; height: number; title: string },
): void {
  const id = `attnlab-grad-${++gradientCounter}`;
  const dom = scale.domain();
  const lo = dom[0];
  const hi = dom[dom.length - 1];
  const grad = g.append("defs").append("linearGradient").attr("id", id).attr("x1", 0).attr("x2", 0).attr("y1", 1).attr("y2", 0);
  for (let k = 0; k <= 10; k++) {
    grad.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", scale(lo + ((hi - lo) * k) / 10));
  }
  const lg = g.append("g").attr("class", "legend").attr("transform", `translate(${opts.x},${opts.y})`);
  lg.append("rect").attr("width", 12).attr("height", opts.height).attr("fill", `url(#${id})`);
  const axis = d3.scaleLinear().domain([lo, hi]).range([opts.height, 0]);
  const ax = lg.append("g").attr("transform", "translate(12,0)").call(d3.axisRight(axis).ticks(5, ".2f"));
  styleAxis(ax);
  ax.selectAll("text").attr("font-size", MIN_TEXT);
  // The title runs along the bar in up to two lines as long as the bar (at least 90 px);
  // anything longer ends in "…" with the full title as the legend's tooltip.
  const max = Math.max(opts.height, 90);
  const doc = g.node()?.ownerDocument;
  const lines = wrapText(opts.title, max, MIN_TEXT, 2, doc);
  const title = lg
    .append("text")
    .attr("class", "legend-title")
    .attr("transform", `translate(-5,${opts.height / 2}) rotate(-90)`)
    .attr("text-anchor", "middle")
    .attr("font-size", MIN_TEXT);
  lines.forEach((line, i) =>
    title
      .append("tspan")
      .attr("x", 0)
      .attr("dy", i === 0 ? `${-(lines.length - 1) * 1.15}em` : "1.15em")
      .text(i < lines.length - 1 ? `${line} ` : line),
  );
  if (lines.join(" ") !== opts.title) lg.insert("title", ":first-child").text(opts.title);
}


/** Axis lines and ticks in the theme's colours (d3 draws them currentColor). */
export function styleAxis(ax: d3.Selection<SVGGElement, unknown, null, undefined>): void {
  ax.attr("color", null).style("color", THEME.fg2).attr("font-size", MIN_TEXT);
}

export function axisLabel(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  text: string,
  x: number,
  y: number,
  rotate = false,
  max = Infinity,
): void {
  const t = g
    .append("text")
    .attr("class", "axis-label")
    .attr("text-anchor", "middle")
    .attr("font-size", MIN_TEXT)
    .attr("transform", rotate ? `translate(${x},${y}) rotate(-90)` : `translate(${x},${y})`);
  // Along its axis a label gets at most `max` px (e.g. the plot's side), else "…" and a tooltip.
  fitText(t, text, Math.max(max, 60), MIN_TEXT);
}


export type PaintMode = "svg" | "canvas" | "raster";

export interface MatrixPaint {
  rows: number;
  cols: number;
  width: number;
  height: number;
  value: (i: number, j: number) => number; // NaN leaves the cell empty
  color: (v: number) => string;
  /**
   * Optional fast path for big matrices: writes row i's values into `out` (length cols), so
   * pixels are made from typed arrays instead of millions of value() calls. Returns how many
   * leading entries it wrote; the rest of the row is empty (a causal mask).
   */
  row?: (i: number, out: Float32Array) => number;
}

/**
 * Paints a rows × cols matrix into `g` (plot coordinates) or, in canvas mode, onto a
 * canvas laid under the SVG at `offset` inside `host`. One pixel per cell, scaled by CSS,
 * keeps a 1,024 × 1,024 map to a single putImageData.
 */
export function paintMatrix(
  mode: PaintMode,
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  host: HTMLElement,
  offset: { left: number; top: number },
  m: MatrixPaint,
  encode?: RasterEncoder,
  reuse?: HTMLCanvasElement | null,
): HTMLCanvasElement | null {
  const cw = m.width / m.cols;
  const ch = m.height / m.rows;
  if (mode === "svg") {
    const cells: { i: number; j: number; v: number }[] = [];
    for (let i = 0; i < m.rows; i++) {
      for (let j = 0; j < m.cols; j++) {
        const v = m.value(i, j);
        if (!Number.isNaN(v)) cells.push({ i, j, v });
      }
    }
    g.append("g")
      .attr("class", "cells")
      .selectAll("rect")
      .data(cells)
      .join("rect")
      .attr("class", "cell")
      .attr("x", (d) => d.j * cw)
      .attr("y", (d) => d.i * ch)
      .attr("width", cw)
      .attr("height", ch)
      .attr("fill", (d) => m.color(d.v));
    return null;
  }
  const { rgba, width: W, height: H } = pixels(m);
  if (mode === "raster") {
    if (!encode) throw new Error("paintMatrix: raster mode needs an image encoder");
    g.append("image")
      .attr("class", "cells-raster")
      .attr("width", m.width)
      .attr("height", m.height)
      .attr("preserveAspectRatio", "none")
      .style("image-rendering", "pixelated")
      .attr("href", encode(rgba, W, H));
    return null;
  }
  // A repaint (zoom, another head) keeps the canvas element, so the layout passes' scaling and offsets stay.
  let canvas = reuse ?? null;
  if (!canvas) {
    canvas = host.ownerDocument.createElement("canvas");
    canvas.className = "cells-canvas";
    canvas.setAttribute(
      "style",
      `position:absolute;left:${offset.left}px;top:${offset.top}px;width:${m.width}px;height:${m.height}px;image-rendering:pixelated;`,
    );
    host.insertBefore(canvas, host.firstChild);
  }
  canvas.width = W;
  canvas.height = H;
  if (canvasAvailable(host.ownerDocument)) {
    const ctx = canvas.getContext("2d");
    if (ctx) {
      const img = ctx.createImageData(W, H);
      img.data.set(rgba);
      ctx.putImageData(img, 0, 0);
    }
  }
  return canvas;
}

/**
 * The matrix as RGBA pixels: one pixel per cell while the cells are at least a pixel wide;
 * when there are more cells than pixels (a long context seen whole), each pixel shows the
 * largest value of its block of cells, so a lone strong weight stays visible.
 */
function pixels(m: MatrixPaint): { rgba: Uint8ClampedArray; width: number; height: number } {
  const W = Math.min(m.cols, Math.max(1, Math.floor(m.width)));
  const H = Math.min(m.rows, Math.max(1, Math.floor(m.height)));
  let at: (p: number) => number;
  let vals: Float32Array | null = null;
  if (W === m.cols && H === m.rows) {
    at = (p) => m.value(Math.floor(p / W), p % W);
  } else {
    vals = new Float32Array(W * H).fill(NaN);
    const colPx = new Int32Array(m.cols);
    for (let j = 0; j < m.cols; j++) colPx[j] = Math.floor((j * W) / m.cols);
    const line = new Float32Array(m.cols);
    for (let i = 0; i < m.rows; i++) {
      const row = Math.floor((i * H) / m.rows) * W;
      let end = m.cols;
      if (m.row) end = m.row(i, line);
      else for (let j = 0; j < m.cols; j++) line[j] = m.value(i, j);
      // Block by block along the row: the largest value of each pixel's columns, then into the pixel.
      for (let j = 0; j < end; ) {
        const px = colPx[j];
        let best = NaN;
        for (; j < end && colPx[j] === px; j++) {
          const v = line[j];
          if (v > best || best !== best) best = v; // NaN (empty) cells lose to any value
        }
        const k = row + px;
        if (best === best && !(vals[k] >= best)) vals[k] = best; // the first value replaces the NaN fill
      }
    }
    const pooled = vals;
    at = (p) => pooled[p];
  }
  const rgba = new Uint8ClampedArray(W * H * 4);
  const cache = new Map<string, d3.RGBColor>();
  for (let p = 0; p < W * H; p++) {
    const v = at(p);
    if (Number.isNaN(v)) continue;
    const css = m.color(v);
    let c = cache.get(css);
    if (!c) {
      c = d3.rgb(css);
      cache.set(css, c);
    }
    rgba[p * 4] = c.r;
    rgba[p * 4 + 1] = c.g;
    rgba[p * 4 + 2] = c.b;
    rgba[p * 4 + 3] = 255;
  }
  return { rgba, width: W, height: H };
}

/** The grid under a matrix view's hit layer: rows × cols cells of cw × ch px (read at each event). */
export interface HitGrid {
  rows: number;
  cols: number;
  cw: number;
  ch: number;
  /** The drawn part of each cell, when cells have gaps between them (thumbnails): a pointer in a gap hits nothing. */
  inner?: [number, number];
}

/**
 * The matrix scaffold's input side, shared by the heatmap, patching map, head grid and
 * thumbnails: one transparent rect over the plot (one listener instead of one per cell) and
 * the pointer → [row, col] mapping. `grid` is read at each event, so a zoomed window can change it.
 */
export function hitLayer(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  width: number,
  height: number,
  grid: () => HitGrid,
  cursor?: string,
): { sel: d3.Selection<SVGRectElement, unknown, null, undefined>; node: SVGRectElement; at: (event: MouseEvent) => [number, number] | null } {
  const sel = g.append("rect").attr("class", "hit").attr("width", width).attr("height", height).attr("fill", "transparent");
  if (cursor) sel.style("cursor", cursor);
  const node = sel.node() as SVGRectElement;
  const at = (event: MouseEvent): [number, number] | null => {
    const [x, y] = d3.pointer(event, node);
    const gr = grid();
    const i = Math.floor(y / gr.ch);
    const j = Math.floor(x / gr.cw);
    if (i < 0 || j < 0 || i >= gr.rows || j >= gr.cols) return null;
    if (gr.inner && (x - j * gr.cw > gr.inner[0] || y - i * gr.ch > gr.inner[1])) return null;
    return [i, j];
  };
  return { sel, node, at };
}
