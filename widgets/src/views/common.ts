// Shared pieces of the attnlab renderers: tensor checks, the themed frame (title,
// controls, tooltip), colour legends and the matrix painter that switches from one SVG
// rect per cell to a canvas (live) or a raster <image> (static export) for long inputs.
import * as d3 from "d3";
import { isFloat32 } from "../protocol";

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

/** The smallest SVG text size any view draws (px); presentation size scales the drawing by PRESENTATION_SCALE. */
export const MIN_TEXT = 13;
/** Presentation size: every drawing scaled so 13 px text reads as 16 px or more. */
export const PRESENTATION_SCALE = 16 / 13;

/**
 * Width in px of `text` at `px` size: the canvas's measureText in a browser, a per-glyph
 * estimate elsewhere (jsdom, the kernel's static renderer) that errs wide so nothing clips.
 */
export function textWidth(text: string, px: number, doc?: Document, bold = false): number {
  if (doc && canvasAvailable(doc)) {
    const ctx = (measureCanvas ??= doc.createElement("canvas")).getContext("2d");
    if (ctx) {
      ctx.font = `${bold ? "600 " : ""}${px}px system-ui, -apple-system, 'Segoe UI', sans-serif`;
      return ctx.measureText(text).width;
    }
  }
  let em = 0;
  for (const ch of text) em += /[ il.,:;'|!]/.test(ch) ? 0.3 : /[mwMW@%]/.test(ch) ? 0.9 : /[A-Z0-9]/.test(ch) ? 0.68 : ch.charCodeAt(0) > 0x2000 ? 1 : 0.58;
  return em * px * (bold ? 1.08 : 1);
}
let measureCanvas: HTMLCanvasElement | undefined;

/** `text` shortened with "…" to fit `max` px at `px` size (unchanged when it fits). */
export function ellipsize(text: string, max: number, px: number, doc?: Document): string {
  if (textWidth(text, px, doc) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(text.slice(0, mid) + "…", px, doc) <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, Math.max(1, lo)) + "…";
}

/** Sets an SVG text's content to fit `max` px; when shortened, the full text is its tooltip (<title>). */
export function fitText(t: d3.Selection<SVGTextElement, unknown, null, undefined>, text: string, max: number, px: number): void {
  const doc = t.node()?.ownerDocument;
  const shown = ellipsize(text, max, px, doc);
  t.text(shown);
  if (shown !== text) t.append("title").text(text);
}

/**
 * True when the view sits in JupyterLab's dark theme (body[data-jp-theme-light="false"]) or
 * the caller asks for it (options.theme "dark"): colour scales then use their dark variants.
 */
export function isDark(el: Element, theme?: string): boolean {
  if (theme === "dark") return true;
  if (theme === "light") return false;
  const host = el.closest?.("[data-jp-theme-light]");
  return host?.getAttribute("data-jp-theme-light") === "false";
}

/** Dark variant of a single-hue scale: low values near the dark background, high values the hue at full strength. */
export function sequentialHue(hue: (t: number) => string, dark: boolean): (t: number) => string {
  if (!dark) return hue;
  const top = d3.rgb(hue(0.85));
  return d3.interpolateRgb("#1b1b1f", top.brighter(0.6).formatRgb());
}

/** RdBu in light theme; in dark theme red → near-black → blue, so zero is as dark as the background. */
export function divergingRdBu(dark: boolean): (t: number) => string {
  if (!dark) return d3.interpolateRdBu;
  return d3.interpolateRgbBasis(["#f4a582", "#d6604d", "#5a1f24", "#1b1b1f", "#1d3b57", "#4393c3", "#92c5de"]);
}

/**
 * The presentation-size pass: scales every top-level SVG of `root` by `k` (width/height,
 * with a viewBox keeping the drawing's coordinates), so text and cells grow together.
 */
export function scaleDrawings(root: Element, k: number): void {
  if (k === 1) return;
  for (const s of Array.from(root.querySelectorAll("svg"))) {
    if (s.parentElement?.closest("svg")) continue;
    const w = Number(s.getAttribute("width"));
    const h = Number(s.getAttribute("height"));
    if (!(w > 0 && h > 0)) continue;
    if (!s.getAttribute("viewBox")) s.setAttribute("viewBox", `0 0 ${w} ${h}`);
    s.setAttribute("width", String(Math.round(w * k)));
    s.setAttribute("height", String(Math.round(h * k)));
  }
  for (const c of Array.from(root.querySelectorAll("canvas.cells-canvas")) as HTMLElement[]) {
    for (const prop of ["left", "top", "width", "height"] as const) {
      const v = parseFloat(c.style[prop]);
      if (Number.isFinite(v)) c.style[prop] = `${v * k}px`;
    }
  }
}

/**
 * Grows each top-level SVG of `root` to hold everything drawn in it (axis titles, rotated
 * labels, legend text), in a browser where getBBox measures: nothing is cut at its edges.
 */
export function fitDrawings(root: Element): void {
  for (const s of Array.from(root.querySelectorAll("svg")) as SVGSVGElement[]) {
    if (s.parentElement?.closest("svg") || typeof s.getBBox !== "function") continue;
    let b: DOMRect;
    try {
      b = s.getBBox();
    } catch {
      continue;
    }
    if (!(b.width > 0)) continue;
    const vb = s.getAttribute("viewBox")?.split(/\s+/).map(Number);
    const w0 = vb ? vb[2] : Number(s.getAttribute("width"));
    const h0 = vb ? vb[3] : Number(s.getAttribute("height"));
    const x0 = Math.min(0, Math.floor(b.x) - 2);
    const y0 = Math.min(0, Math.floor(b.y) - 2);
    const x1 = Math.max(w0, Math.ceil(b.x + b.width) + 2);
    const y1 = Math.max(h0, Math.ceil(b.y + b.height) + 2);
    if (x0 === 0 && y0 === 0 && x1 === w0 && y1 === h0) continue;
    const k = Number(s.getAttribute("width")) / w0 || 1;
    s.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
    s.setAttribute("width", String(Math.round((x1 - x0) * k)));
    s.setAttribute("height", String(Math.round((y1 - y0) * k)));
    // A canvas of cells laid under this SVG moves with the drawing's new origin.
    for (const c of Array.from(s.parentElement?.querySelectorAll(":scope > canvas.cells-canvas") ?? []) as HTMLElement[]) {
      c.style.left = `${parseFloat(c.style.left) - x0 * k}px`;
      c.style.top = `${parseFloat(c.style.top) - y0 * k}px`;
    }
  }
}


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

/**
 * Tokens as labels: whitespace made visible so "␣the" and "the" are told apart, and other
 * control characters (byte-level tokens can be any byte) shown as their Unicode control
 * pictures, which also keeps the static SVG well-formed XML.
 */
export function showToken(t: string): string {
  return t
    .replace(/ /g, "␣")
    .replace(/\n/g, "↵")
    .replace(/\t/g, "⇥")
    .replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\u007f/g, "␡");
}

const SPECIAL = /^(<[^<>]*>|\[[A-Z]+\])$/;
const ALNUM = /[\p{L}\p{N}]/u;

/** WordPiece (BERT) marks pieces with "##" and words carry no leading space. */
function isWordPiece(tokens: string[]): boolean {
  return tokens.some((t) => t.startsWith("##") || t === "[CLS]" || t === "[SEP]");
}

/**
 * True when token i continues the word of token i − 1: a "##" piece (WordPiece), or in
 * byte-level BPE a piece with no leading space right after a letter or digit.
 */
export function continuesWord(tokens: string[], i: number, wordPiece = isWordPiece(tokens)): boolean {
  if (i === 0) return false;
  const t = tokens[i];
  const prev = tokens[i - 1];
  if (SPECIAL.test(t) || SPECIAL.test(prev) || t.length === 0) return false;
  if (wordPiece) return t.startsWith("##");
  return ALNUM.test(t[0]) && ALNUM.test(prev[prev.length - 1] ?? "");
}

/**
 * Labels students can read: by default a word's sub-tokens are merged, the first piece
 * labelled with the whole word and each later piece with "·piece" ("␣Per" "u" → "␣Peru"
 * "·u"); `raw` gives each token as it is (showToken). Rows and columns stay one per token.
 */
export function tokenLabels(tokens: string[], raw = false): string[] {
  if (raw) return tokens.map(showToken);
  const out = tokens.map(showToken);
  const wp = isWordPiece(tokens);
  for (let i = 0; i < tokens.length; ) {
    let j = i + 1;
    while (j < tokens.length && continuesWord(tokens, j, wp)) j++;
    if (j - i > 1) {
      const piece = (t: string) => (t.startsWith("##") ? t.slice(2) : t);
      out[i] = showToken(tokens[i] + tokens.slice(i + 1, j).map(piece).join(""));
      for (let k = i + 1; k < j; k++) out[k] = `·${showToken(piece(tokens[k]))}`;
    }
    i = j;
  }
  return out;
}

/** True when tokenLabels merges anything (the view then offers its "raw tokens" switch). */
export function hasSubwords(tokens: unknown): boolean {
  return Array.isArray(tokens) && tokens.every((t) => typeof t === "string") && tokens.some((_, i) => continuesWord(tokens as string[], i));
}

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

/** `text` in at most `maxLines` lines of `max` px (greedy by words); the last line ends in "…" if the rest does not fit. */
export function wrapText(text: string, max: number, px: number, maxLines: number, doc?: Document): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = "";
  for (let i = 0; i < words.length; i++) {
    const next = cur ? `${cur} ${words[i]}` : words[i];
    if (textWidth(next, px, doc) <= max || !cur) {
      cur = next;
      continue;
    }
    lines.push(cur);
    cur = words[i];
    if (lines.length === maxLines - 1) {
      cur = words.slice(i).join(" ");
      break;
    }
  }
  if (cur) lines.push(cur);
  return lines.map((l) => ellipsize(l, max, px, doc));
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

/** True where a 2-D canvas can be drawn (not in jsdom, which has no canvas backend). */
export function canvasAvailable(doc: Document): boolean {
  const ua = doc.defaultView?.navigator?.userAgent ?? "";
  return !/jsdom/i.test(ua);
}

export type PaintMode = "svg" | "canvas" | "raster";

export interface MatrixPaint {
  rows: number;
  cols: number;
  width: number;
  height: number;
  value: (i: number, j: number) => number; // NaN leaves the cell empty
  color: (v: number) => string;
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
  const rgba = new Uint8ClampedArray(m.rows * m.cols * 4);
  const cache = new Map<string, d3.RGBColor>();
  for (let i = 0; i < m.rows; i++) {
    for (let j = 0; j < m.cols; j++) {
      const v = m.value(i, j);
      if (Number.isNaN(v)) continue;
      const css = m.color(v);
      let c = cache.get(css);
      if (!c) {
        c = d3.rgb(css);
        cache.set(css, c);
      }
      const k = (i * m.cols + j) * 4;
      rgba[k] = c.r;
      rgba[k + 1] = c.g;
      rgba[k + 2] = c.b;
      rgba[k + 3] = 255;
    }
  }
  if (mode === "raster") {
    if (!encode) throw new Error("paintMatrix: raster mode needs an image encoder");
    g.append("image")
      .attr("class", "cells-raster")
      .attr("width", m.width)
      .attr("height", m.height)
      .attr("preserveAspectRatio", "none")
      .style("image-rendering", "pixelated")
      .attr("href", encode(rgba, m.cols, m.rows));
    return null;
  }
  const canvas = host.ownerDocument.createElement("canvas");
  canvas.className = "cells-canvas";
  canvas.width = m.cols;
  canvas.height = m.rows;
  canvas.setAttribute(
    "style",
    `position:absolute;left:${offset.left}px;top:${offset.top}px;width:${m.width}px;height:${m.height}px;image-rendering:pixelated;`,
  );
  host.insertBefore(canvas, host.firstChild);
  if (canvasAvailable(host.ownerDocument)) {
    const ctx = canvas.getContext("2d");
    if (ctx) {
      const img = ctx.createImageData(m.cols, m.rows);
      img.data.set(rgba);
      ctx.putImageData(img, 0, 0);
    }
  }
  return canvas;
}

/** The index under a pointer event inside a band of `n` equal cells spanning `size` pixels. */
export function cellAt(event: MouseEvent, node: Element, cw: number, ch: number, rows: number, cols: number): [number, number] | null {
  const [x, y] = d3.pointer(event, node);
  const i = Math.floor(y / ch);
  const j = Math.floor(x / cw);
  if (i < 0 || j < 0 || i >= rows || j >= cols) return null;
  return [i, j];
}
