// Long attention patterns seen through the plot's pixels: one definition for the kernel
// (lib/figures: the overview it sends with a long heatmap, the tiles it answers) and the
// heatmap view (what it paints from a head it holds, and how it asks for a window).
//
// A pixel shows the largest weight of its block of tokens (max pooling: attention is sparse,
// and a lone strong weight such as an induction stripe must stay visible; a mean would hide
// it). Token row i of a window of nr rows drawn on h pixel rows lands in pixel row
// floor(i * h / nr), likewise for columns; with h = nr each pixel is one token (exact).
//
// Wire messages (view → kernel, kernel → view; see protocol.ts for the rest of the contract):
//   {event: "request_tile", id, layer, head, r0, c0, nr, nc, h, w, mask, normalise}
//     (mask "auto": as a view decides by default, key > query hidden when the head's upper
//     triangle is all zero; what a head-score grid asks when it opens a long head)
//   {event: "tile", id, layer, head, r0, c0, nr, nc, h, w, mask, normalise, max} + one
//     float32 buffer [h, w] (poolMax of that window), or {event: "error", id, message}.

/** Largest side of the heatmap's plot in px (the view's default `size`). */
export const PLOT_SIZE = 560;

/** Most pixels a tile may have (a 2,048 × 2,048 window at one token per pixel, 16 MB). */
export const MAX_TILE = 2048 * 2048;

/** A window of a [rows, cols] matrix: its first query row and key column, and how many of each. */
export interface Window {
  r0: number;
  c0: number;
  nr: number;
  nc: number;
}

/** How weights are shown: `mask` hides key > query (NaN); "row" divides each by its row's maximum. */
export interface Shown {
  mask: boolean;
  normalise: "raw" | "row";
}

/** How weights are asked for: a mask of "auto" is decided by the kernel as a view would (Shown says what it chose). */
export interface Asked {
  mask: boolean | "auto";
  normalise: "raw" | "row";
}

/** One window of one head pooled to h × w pixels (row-major). */
export interface Tile {
  layer: number;
  head: number;
  win: Window;
  h: number;
  w: number;
  shown: Shown;
  values: Float32Array; // [h, w]
  /** The largest shown value of the whole head (the colour scale's top). */
  max: number;
}

/** The plot for rows × cols tokens: cells of 1–24 px while tokens fit in `size`, else the longest side is `size` px. */
export function plotSize(rows: number, cols: number, size = PLOT_SIZE): { cell: number; width: number; height: number } {
  const longest = Math.max(rows, cols);
  const cell = longest <= size ? Math.max(1, Math.min(24, Math.floor(size / longest))) : size / longest;
  return { cell, width: cell * cols, height: cell * rows };
}

/** [h, w] pixels for a window on a width × height plot: one per token while they fit, else the plot's pixels. */
export function tileShape(win: Window, width: number, height: number): [number, number] {
  return [Math.min(win.nr, Math.max(1, Math.floor(height))), Math.min(win.nc, Math.max(1, Math.floor(width)))];
}

/** Each row's largest weight (over keys ≤ query when masked) and the largest of all. m is [rows, cols]. */
export function rowMaxima(m: Float32Array, rows: number, cols: number, mask: boolean): { rowMax: Float32Array; max: number } {
  const rowMax = new Float32Array(rows);
  let max = 0;
  for (let i = 0; i < rows; i++) {
    let r = 0;
    const end = mask ? Math.min(cols, i + 1) : cols;
    for (let j = 0, o = i * cols; j < end; j++) if (m[o + j] > r) r = m[o + j];
    rowMax[i] = r;
    if (r > max) max = r;
  }
  return { rowMax, max };
}

/**
 * The window `win` of m ([rows, cols], row-major, `cols` wide) as shown, pooled to h × w:
 * each pixel the largest value of its block, NaN where every cell is masked. In "row" mode
 * each weight is divided by its row's maximum (`rowMax`, from rowMaxima with the same mask;
 * a row whose maximum is 0 shows 0).
 */
export function poolMax(m: Float32Array, cols: number, win: Window, h: number, w: number, shown: Shown, rowMax?: Float32Array): Float32Array {
  const { nr, nc } = win;
  if (!(h >= 1 && h <= nr && w >= 1 && w <= nc)) throw new Error(`poolMax: expected 1 ≤ h ≤ ${nr} and 1 ≤ w ≤ ${nc}, got ${h} × ${w}`);
  if (shown.normalise === "row" && !rowMax) throw new Error("poolMax: row normalisation needs the row maxima");
  const out = new Float32Array(h * w).fill(NaN);
  pool(m, cols, win, h, w, shown.mask, shown.normalise === "row" ? rowMax! : null, out);
  return out;
}

/** Whether a square [n, n] head's upper triangle (key > query) is all zero: a causal head, which both sides mask by default. */
export function upperIsZero(m: Float32Array, n: number): boolean {
  for (let i = 0; i < n; i++) for (let j = i + 1, o = i * n; j < n; j++) if (m[o + j] !== 0) return false;
  return n > 1;
}

/**
 * A whole square head's overview at h × w, masked as a view decides by default: key > query
 * hidden when the upper triangle is all zero (a causal model); the same pixels as poolMax
 * with that mask. The check rides along the masked pooling (each row's keys after the query
 * are tested for zero bits as the row is read); the first non-zero one stops it, and the
 * head is pooled whole instead.
 */
export function poolOverview(m: Float32Array, n: number, h: number, w: number): { values: Float32Array; mask: boolean } {
  const win = { r0: 0, c0: 0, nr: n, nc: n };
  if (n > 1) {
    const out = new Float32Array(h * w).fill(NaN);
    if (pool(m, n, win, h, w, true, null, out, new Int32Array(m.buffer, m.byteOffset, m.length))) return { values: out, mask: true };
  }
  return { values: poolMax(m, n, win, h, w, { mask: false, normalise: "raw" }), mask: false };
}

/**
 * Max pooling in two passes: the rows of one pixel row are folded into a line of the
 * window's width (a tight loop over contiguous weights), then the line into the pixels;
 * NaN and -Infinity weights never win. With `mask`, keys after the query are skipped; with
 * `zeroAbove` (m's bits, a whole square head) they must be ±0, else pooling stops and
 * returns false.
 */
function pool(m: Float32Array, cols: number, win: Window, h: number, w: number, mask: boolean, rowMax: Float32Array | null, out: Float32Array, zeroAbove?: Int32Array): boolean {
  const { r0, c0, nr, nc } = win;
  // Pixel column x holds the window's columns from[x] … from[x + 1] - 1: the j with floor(j·w/nc) = x.
  const from = new Int32Array(w + 1);
  for (let x = 0; x <= w; x++) from[x] = Math.ceil((x * nc) / w);
  const line = new Float64Array(nc).fill(-Infinity);
  let used = 0; // line holds values before column `used`
  let y = 0;
  for (let i = 0; i < nr; i++) {
    const py = Math.floor((i * h) / nr);
    if (py !== y) {
      fold(line, used, from, w, out, y * w);
      used = 0;
      y = py;
    }
    const q = r0 + i;
    const end = mask ? Math.max(0, Math.min(nc, q - c0 + 1)) : nc;
    const o = q * cols + c0;
    if (zeroAbove && !zeroBits(zeroAbove, o + end, o + nc)) return false;
    if (!rowMax) foldRaw(m, o, end, line);
    else foldDivided(m, o, end, rowMax[q], line);
    if (end > used) used = end;
  }
  fold(line, used, from, w, out, y * w);
  return true;
}

/** Whether bits[a … b) are all ±0 as float32 (NaN is not). */
function zeroBits(bits: Int32Array, a: number, b: number): boolean {
  let any = 0;
  for (let k = a; k < b; k++) any |= bits[k] & 0x7fffffff;
  return any === 0;
}

function foldRaw(m: Float32Array, o: number, end: number, line: Float64Array): void {
  for (let j = 0; j < end; j++) {
    const v = m[o + j];
    if (v > line[j]) line[j] = v;
  }
}

/** One divisor per row: max(v ÷ d) = max(v) ÷ d, so dividing each weight pools the same; a row whose maximum is 0 shows 0. */
function foldDivided(m: Float32Array, o: number, end: number, d: number, line: Float64Array): void {
  if (d > 0) {
    for (let j = 0; j < end; j++) {
      const v = m[o + j] / d;
      if (v > line[j]) line[j] = v;
    }
  } else for (let j = 0; j < end; j++) if (m[o + j] > -Infinity && 0 > line[j]) line[j] = 0;
}

/** Folds line[0 … used) into one pixel row (out[p …]), each pixel the largest of its columns (left NaN when none is above -Infinity), and clears it. */
function fold(line: Float64Array, used: number, from: Int32Array, w: number, out: Float32Array, p: number): void {
  for (let x = 0; x < w && from[x] < used; x++) {
    const e = Math.min(used, from[x + 1]);
    let best = -Infinity;
    for (let j = from[x]; j < e; j++) if (line[j] > best) best = line[j];
    if (best !== -Infinity) out[p + x] = best;
  }
  line.fill(-Infinity, 0, used);
}

/**
 * A stand-in for `win` at h × w taken from a tile of another window (each pixel the tile's
 * block holding the pixel's middle token; NaN outside the tile): what the view draws while
 * the exact tile is on its way, or for good when no kernel can send it.
 */
export function resample(t: Tile, win: Window, h: number, w: number): Float32Array {
  const out = new Float32Array(h * w).fill(NaN);
  const colAt = new Int32Array(w);
  for (let x = 0; x < w; x++) {
    const j = win.c0 + Math.floor(((x + 0.5) * win.nc) / w) - t.win.c0;
    colAt[x] = j >= 0 && j < t.win.nc ? Math.floor((j * t.w) / t.win.nc) : -1;
  }
  for (let y = 0; y < h; y++) {
    const i = win.r0 + Math.floor(((y + 0.5) * win.nr) / h) - t.win.r0;
    if (i < 0 || i >= t.win.nr) continue;
    const src = Math.floor((i * t.h) / t.win.nr) * t.w;
    for (let x = 0; x < w; x++) if (colAt[x] >= 0) out[y * w + x] = t.values[src + colAt[x]];
  }
  return out;
}

/** The largest non-NaN value of `a` (0 when there is none). */
export function maxOf(a: Float32Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) if (a[k] > m) m = a[k];
  return m;
}

export interface TileRequest extends Window {
  event: "request_tile";
  /** "auto": as a view decides by default (hide key > query when the head's upper triangle is all zero); the reply says which. */
  mask: boolean | "auto";
  normalise: "raw" | "row";
  id: number;
  layer: number;
  head: number;
  h: number;
  w: number;
}

export interface TileReply extends Window, Shown {
  event: "tile";
  id: number;
  layer: number;
  head: number;
  h: number;
  w: number;
  max: number;
}

/** Checks a request_tile message against a [rows, cols] head: the window inside it, 1 ≤ h ≤ nr, 1 ≤ w ≤ nc, h·w ≤ MAX_TILE. */
export function checkTileRequest(m: Partial<TileRequest>, rows: number, cols: number): { win: Window; h: number; w: number; shown: Asked } {
  const int = (name: string, v: unknown, lo: number, hi: number): number => {
    if (!(typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi)) throw new Error(`request_tile: ${name} must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
    return v;
  };
  const r0 = int("r0", m.r0, 0, rows - 1);
  const c0 = int("c0", m.c0, 0, cols - 1);
  const win = { r0, c0, nr: int("nr", m.nr, 1, rows - r0), nc: int("nc", m.nc, 1, cols - c0) };
  const h = int("h", m.h, 1, win.nr);
  const w = int("w", m.w, 1, win.nc);
  if (h * w > MAX_TILE) throw new Error(`request_tile: ${h} × ${w} pixels is over the limit of ${MAX_TILE}`);
  if (m.normalise !== "raw" && m.normalise !== "row") throw new Error(`request_tile: normalise must be "raw" or "row", got ${JSON.stringify(m.normalise)}`);
  return { win, h, w, shown: { mask: m.mask === "auto" ? "auto" : m.mask === true, normalise: m.normalise } };
}

/** A tile's cache key: the head, window, pixels and how weights are shown. */
export function tileKey(layer: number, head: number, win: Window, h: number, w: number, shown: Shown): string {
  return `${layer}/${head}/${win.r0},${win.c0},${win.nr},${win.nc}/${h}x${w}/${shown.mask ? "m" : "-"}${shown.normalise}`;
}
