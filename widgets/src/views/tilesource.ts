// Where the heatmap's cells come from (../tiles.ts). A head the view holds is pooled here
// with poolMax, the pooling the kernel uses. A long context the kernel keeps starts from its
// overview and asks the kernel for the exact tile of each window: one request in flight,
// each reply redraws, and that redraw asks for whatever the window is by then; meanwhile
// the plot shows a stand-in cut from the head's whole view. Without a kernel (a saved
// notebook) the overview is all there is: zooming enlarges its blocks, and the status line
// says so.
import type { Tensor } from "./common";
import { fmt } from "./common";
import { maxOf, poolMax, resample, rowMaxima, tileKey, tileShape, type Asked, type Shown, type Tile, type Window } from "../tiles";

/** Asks the kernel for a window of a head pooled to h × w; the tile's `shown` says how (a mask of "auto" resolved). */
export type TileRequester = (q: { layer: number; head: number; win: Window; h: number; w: number; shown: Asked }) => Promise<Tile>;

/** What the view shows now, read at each call. */
export interface TileView {
  layer: number;
  head: number;
  win: Window;
  shown: Shown;
  /** The head's weights when the view holds them ([rows, cols]), else null. */
  matrix: Float32Array | null;
}

export interface Painted {
  tile: Tile;
  /** False for a stand-in (the exact tile is loading, or no kernel can send it). */
  exact: boolean;
}

export interface TileSource {
  /** The tile to paint for the view as it is, or null while another head's first tile loads. */
  current(): Painted | null;
  /** The status line for what current() gave ("" when exact). */
  status(now: Painted | null): string;
  /** The tooltip's lines for (query i, key j) given what is painted. */
  describe(i: number, j: number, painted: Painted | null): string[];
}

export function tileSource(o: {
  rows: number;
  cols: number;
  /** Pixels of the plot. */
  pw: number;
  ph: number;
  view: () => TileView;
  /** The kernel's overview of the data's head (raw weights, masked as `overviewMask`). */
  overview?: { tensor: Tensor; mask: boolean; layer: number; head: number };
  request?: TileRequester;
  /** Called when a tile arrives (or fails): the view redraws. */
  arrived: () => void;
}): TileSource {
  const { rows, cols } = o;
  let maxima: { matrix: Float32Array; mask: boolean; rowMax: Float32Array; max: number } | null = null;
  const cache = new Map<string, Tile>();
  const failed = new Map<string, string>();
  let inflight = false;
  const put = (k: string, t: Tile): void => {
    cache.delete(k);
    cache.set(k, t);
    if (cache.size > 12) cache.delete(cache.keys().next().value as string);
  };
  if (o.overview) {
    const { tensor, mask, layer, head } = o.overview;
    const shown: Shown = { mask, normalise: "raw" };
    const [h, w] = tensor.shape;
    const win = { r0: 0, c0: 0, nr: rows, nc: cols };
    put(tileKey(layer, head, win, h, w, shown), { layer, head, win, h, w, shown, values: tensor.data, max: maxOf(tensor.data) });
  }
  const want = () => {
    const v = o.view();
    const [h, w] = tileShape(v.win, o.pw, o.ph);
    return { layer: v.layer, head: v.head, win: { ...v.win }, h, w, shown: { ...v.shown }, matrix: v.matrix, key: tileKey(v.layer, v.head, v.win, h, w, v.shown) };
  };
  const fetch = (q: ReturnType<typeof want>): void => {
    if (!o.request || inflight || failed.has(q.key)) return;
    inflight = true;
    o.request({ layer: q.layer, head: q.head, win: q.win, h: q.h, w: q.w, shown: q.shown })
      .then(
        (t) => put(q.key, t),
        (e: Error) => void failed.set(q.key, e.message),
      )
      .then(() => {
        inflight = false;
        o.arrived();
      });
  };
  const rowMaxOf = (matrix: Float32Array, mask: boolean) => {
    if (!maxima || maxima.matrix !== matrix || maxima.mask !== mask) maxima = { matrix, mask, ...rowMaxima(matrix, rows, cols, mask) };
    return maxima;
  };
  return {
    current() {
      const q = want();
      if (q.matrix) {
        const mx = rowMaxOf(q.matrix, q.shown.mask);
        const values = poolMax(q.matrix, cols, q.win, q.h, q.w, q.shown, mx.rowMax);
        return { tile: { layer: q.layer, head: q.head, win: q.win, h: q.h, w: q.w, shown: q.shown, values, max: q.shown.normalise === "row" ? 1 : mx.max }, exact: true };
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
    status(now) {
      if (now?.exact) return "";
      const q = want();
      const err = failed.get(q.key);
      if (err) return `could not load: ${err}`;
      if (!o.request) return "no kernel: the overview saved with the figure (zooming enlarges its blocks; exact weights, the mask and row colours need the kernel)";
      return now ? "loading the exact weights…" : `loading layer ${q.layer}, head ${q.head}…`;
    },
    describe(i, j, painted) {
      const v = o.view();
      if (v.shown.mask && j > i) return ["masked (key after query)"];
      if (v.matrix) {
        const x = v.matrix[i * cols + j];
        const lines = [`weight ${fmt(x)}`];
        if (v.shown.normalise === "row") {
          const rm = rowMaxOf(v.matrix, v.shown.mask).rowMax[i];
          lines.push(`÷ row max ${fmt(rm > 0 ? x / rm : 0)}`);
        }
        return lines;
      }
      if (!painted) return [];
      const { tile: t, exact } = painted;
      const { win } = v;
      const y = Math.floor(((i - win.r0) * t.h) / win.nr);
      const x = Math.floor(((j - win.c0) * t.w) / win.nc);
      const val = t.values[y * t.w + x];
      const what = t.shown.normalise === "row" ? "weight ÷ row max" : "weight";
      if (val !== val) return ["masked (key after query)"];
      if (exact && t.h === win.nr && t.w === win.nc) return [`${what} ${fmt(val)}`];
      if (!exact) return [`${what} ≈ ${fmt(val)} (its block's largest; exact weights ${o.request ? "loading" : "need the kernel"})`];
      const span = (p: number, n: number, px: number, at: number) => `${at + Math.ceil((p * n) / px)}–${at + Math.ceil(((p + 1) * n) / px) - 1}`;
      return [`largest ${what} of queries ${span(y, win.nr, t.h, win.r0)} × keys ${span(x, win.nc, t.w, win.c0)}: ${fmt(val)}`, "zoom in for each weight"];
    },
  };
}
