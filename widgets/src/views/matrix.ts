// The matrix scaffold shared by the heatmap, patching map, head grid and thumbnails: the
// plot's host, SVG and margins (matrixPlot), the cells (paintMatrix: one SVG rect per cell,
// or for big matrices a canvas under the SVG when live and a raster <image> in static
// export), the row and column labels, and the input side (hitLayer: one transparent rect,
// pointer -> [row, col]). A view supplies only its sizes, data, colours and labels.
import * as d3 from "d3";
import type { RasterEncoder } from "./common";
import { MIN_TEXT, canvasAvailable, fitText } from "./text";

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
  /**
   * Optional fast path for the colours: `color` is d3.scaleSequential over this discrete
   * ramp, so a pixel's colour is looked up by index instead of made as a CSS string.
   */
  ramp?: Ramp;
}

/** d3's viridis as its 256 colours: d3-scale-chromatic's viridis is a discrete ramp (colour floor(t·256)). */
export const VIRIDIS: readonly string[] = Array.from({ length: 256 }, (_, i) => d3.interpolateViridis((i + 0.5) / 256));

/**
 * A sequential scale over a discrete ramp, as d3.scaleSequential(ramp).domain([lo, hi]) maps
 * v: t = (v − lo) / (hi − lo) (0.5 when lo = hi), colour min(n − 1, max(0, floor(t·n))).
 */
export interface Ramp {
  lo: number;
  hi: number;
  colors: readonly string[];
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
  if (m.ramp) {
    // The same arithmetic as d3's sequential scale and ramp (so the same colour), by table.
    const { lo, hi, colors } = m.ramp;
    const n = colors.length;
    const table = new Uint8Array(n * 3);
    colors.forEach((css, i) => {
      const c = d3.rgb(css);
      table.set([c.r, c.g, c.b], i * 3);
    });
    const k = lo === hi ? 0 : 1 / (hi - lo);
    for (let p = 0; p < W * H; p++) {
      const v = at(p);
      if (Number.isNaN(v)) continue;
      const c = Math.max(0, Math.min(n - 1, Math.floor((k === 0 ? 0.5 : (v - lo) * k) * n))) * 3;
      rgba[p * 4] = table[c];
      rgba[p * 4 + 1] = table[c + 1];
      rgba[p * 4 + 2] = table[c + 2];
      rgba[p * 4 + 3] = 255;
    }
    return { rgba, width: W, height: H };
  }
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

type G = d3.Selection<SVGGElement, unknown, null, undefined>;

export interface MatrixPlot {
  /** The positioned box holding the SVG (and the canvases under it). */
  host: HTMLDivElement;
  svg: d3.Selection<SVGSVGElement, unknown, null, undefined>;
  /** The plot group, moved by the margins: the matrix's (0, 0). */
  g: G;
  margin: { left: number; top: number };
  /**
   * Paints a matrix into `into` (default g) at (x, y) of the plot; in canvas mode the canvas
   * goes under the SVG at the same place (`reuse` keeps the one a repaint had).
   */
  paint(m: MatrixPaint, mode: PaintMode, opts?: { into?: G; x?: number; y?: number; raster?: RasterEncoder; reuse?: HTMLCanvasElement | null }): HTMLCanvasElement | null;
}

/**
 * A matrix view's drawing area in `parent`: an SVG of width × height whose plot group sits
 * at the margins. `positioned` (default true) lets a canvas lie under the SVG.
 */
export function matrixPlot(
  parent: HTMLElement,
  o: { width: number; height: number; margin: { left: number; top: number }; label: string; className?: string; positioned?: boolean },
): MatrixPlot {
  const host = parent.ownerDocument.createElement("div");
  host.style.position = "relative";
  parent.appendChild(host);
  const svg = d3
    .select(host)
    .append("svg")
    .attr("xmlns", "http://www.w3.org/2000/svg")
    .attr("width", o.width)
    .attr("height", o.height)
    .attr("role", "img")
    .attr("aria-label", o.label);
  if (o.positioned !== false) svg.style("position", "relative");
  const g = svg.append("g");
  if (o.className) g.attr("class", o.className);
  g.attr("transform", `translate(${o.margin.left},${o.margin.top})`);
  const margin = { left: o.margin.left, top: o.margin.top };
  return {
    host,
    svg,
    g,
    margin,
    paint: (m, mode, p = {}) =>
      paintMatrix(mode, p.into ?? g, host, { left: margin.left + (p.x ?? 0), top: margin.top + (p.y ?? 0) }, m, p.raster, p.reuse),
  };
}

/**
 * Row labels (right-aligned left of the plot) or column labels (above it; `rotate` turns
 * them to read upwards) for the indices `items`, at `pos(i)` along the axis. `fit` (px)
 * ends a label that does not fit in "…" with the full text as its tooltip; `index` writes
 * each label's index as data-index (for clicks and tests).
 */
export function matrixLabels(
  g: G,
  axis: "row" | "col",
  items: number[],
  o: { cls: string; pos: (i: number) => number; text: (i: number) => string; rotate?: boolean; fit?: number; index?: boolean; group?: string },
): d3.Selection<SVGTextElement, number, SVGGElement, unknown> {
  const parent = g.append("g");
  if (o.group) parent.attr("class", o.group);
  const t = parent.selectAll("text").data(items).join("text").attr("class", o.cls);
  if (o.index) t.attr("data-index", (i) => i);
  if (axis === "row") t.attr("x", -4).attr("y", (i) => o.pos(i)).attr("dy", "0.35em").attr("text-anchor", "end");
  else t.attr("transform", (i) => `translate(${o.pos(i)},-4)${o.rotate ? " rotate(-90)" : ""}`).attr("dy", o.rotate ? "0.35em" : 0).attr("text-anchor", o.rotate ? "start" : "middle");
  t.attr("font-size", MIN_TEXT);
  if (o.fit === undefined) t.text((i) => o.text(i));
  else {
    const fit = o.fit;
    t.each(function (i) {
      fitText(d3.select(this as SVGTextElement) as never, o.text(i), fit, MIN_TEXT);
    });
  }
  return t as unknown as d3.Selection<SVGTextElement, number, SVGGElement, unknown>;
}
