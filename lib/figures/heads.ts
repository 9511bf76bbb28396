/**
 * Attention heads a figure keeps in the kernel, sent to its view one at a time: a whole head
 * (`request_head`, up to PLOT_SIZE tokens) or one window pooled to pixels (`request_tile`,
 * widgets/src/tiles.ts: a long context's overview, or the exact weights of a zoomed window).
 * HeatmapFigure and HeadScoresFigure both answer through it, so a head-score grid opens a
 * 4,096-token head as the heatmap does: its overview, then tiles, never 64 MB.
 */
import type { Tensor as Tensorish } from "../../widgets/src/contract";
import { checkTileRequest, plotSize, poolMax, poolOverview, rowMaxima, tileShape, upperIsZero, type Shown, type TileRequest } from "../../widgets/src/tiles";

export class KeptHeads {
  /** Row maxima of the last heads asked for (a tile in "row" mode and every tile's colour top need them). */
  private maxima = new Map<string, { rowMax: Float32Array; max: number }>();
  /** Per head: is its upper triangle all zero (a causal head, masked by default)? */
  private causal = new Map<string, boolean>();

  /** `full` is [layer, head, query, key]; `layerNames` the model's layer number of each. */
  constructor(
    readonly full: Tensorish,
    readonly layerNames: number[],
  ) {}

  layerIndex(layer: number, who: string): number {
    const li = this.layerNames.indexOf(layer);
    if (li < 0) throw new Error(`${who}: layer ${layer} is not among the layers (${this.layerNames.join(", ")})`);
    return li;
  }

  checkHead(head: number, who: string): number {
    const H = this.full.shape[1];
    if (!(Number.isInteger(head) && head >= 0 && head < H)) throw new Error(`${who}: head must be an integer in [0, ${H}), got ${head}`);
    return head;
  }

  /** One head's [query, key] weights by layer index, without a copy. */
  view(li: number, head: number): Float32Array {
    return headView(this.full, li, head);
  }

  /** One head's [query, key] weights by layer number, as a copy that can cross to the view. */
  head(layer: number, head: number, who: string): Tensorish {
    const [, , Q, K] = this.full.shape;
    return { data: this.view(this.layerIndex(layer, who), this.checkHead(head, who)).slice(), shape: [Q, K] };
  }

  /** One window of one head, pooled as the view asked (tiles.ts poolMax), with the head's colour top. */
  tile(layer: number, head: number, request: Partial<TileRequest>): { values: Float32Array; max: number; shown: Shown; h: number; w: number } {
    const [, , Q, K] = this.full.shape;
    const li = this.layerIndex(layer, "request_tile");
    this.checkHead(head, "request_tile");
    const { win, h, w, shown: asked } = checkTileRequest(request, Q, K);
    const m = this.view(li, head);
    const shown: Shown = { mask: asked.mask === "auto" ? this.isCausal(li, head) : asked.mask, normalise: asked.normalise };
    const key = `${li}/${head}/${shown.mask}`;
    let mx = this.maxima.get(key);
    if (!mx) {
      mx = rowMaxima(m, Q, K, shown.mask);
      if (this.maxima.size >= 4) this.maxima.delete(this.maxima.keys().next().value as string);
      this.maxima.set(key, mx);
    }
    const values = poolMax(m, K, win, h, w, shown, mx.rowMax);
    return { values, max: shown.normalise === "row" ? 1 : mx.max, shown, h, w };
  }

  private isCausal(li: number, head: number): boolean {
    const key = `${li}/${head}`;
    let c = this.causal.get(key);
    if (c === undefined) {
      const [, , Q, K] = this.full.shape;
      c = Q === K && upperIsZero(this.view(li, head), Q);
      this.causal.set(key, c);
    }
    return c;
  }

  /**
   * Answers the view's custom messages on `w`: {event: "request_head", id, layer, head} with
   * one head's float32 buffer (if `wholeHeads`), {event: "request_tile", ...} with a tile;
   * a bad request with {event: "error", id, message}.
   */
  answer(w: { send(content: unknown, buffers?: ArrayBufferView[]): void }, content: unknown, o: { wholeHeads: boolean; who: string }): void {
    const m = content as Omit<Partial<TileRequest>, "event"> & { event?: string };
    if (!m || (m.event !== "request_head" && m.event !== "request_tile")) return;
    try {
      if (m.event === "request_head") {
        if (!o.wholeHeads) throw new Error("request_head: this figure's heads are long; ask for them with request_tile");
        const t = this.head(Number(m.layer), Number(m.head), o.who);
        w.send({ event: "head", id: m.id ?? 0, layer: m.layer, head: m.head, shape: t.shape }, [t.data]);
        return;
      }
      const t = this.tile(Number(m.layer), Number(m.head), m as Partial<TileRequest>);
      const { r0, c0, nr, nc } = m as TileRequest;
      w.send({ event: "tile", id: m.id ?? 0, layer: m.layer, head: m.head, r0, c0, nr, nc, h: t.h, w: t.w, ...t.shown, max: t.max }, [t.values]);
    } catch (e) {
      w.send({ event: "error", id: m.id ?? 0, message: (e as Error).message });
    }
  }
}

/** One head's [query, key] weights without a copy. */
export function headView(t: Tensorish, layerIndex: number, head: number): Float32Array {
  const [, H, Q, K] = t.shape;
  const off = (layerIndex * H + head) * Q * K;
  return t.data.subarray(off, off + Q * K);
}

/**
 * A long head's overview for a figure's data: its weights max-pooled to the plot's pixels
 * (tiles.ts, the same pooling the view paints with), masked (key > query) when asked or
 * when the upper triangle is all zero (a causal model), as the view would decide.
 */
export function overviewOf(m: Float32Array, rows: number, cols: number, maskUpper?: boolean): { overview: Tensorish; overviewMask: boolean } {
  const win = { r0: 0, c0: 0, nr: rows, nc: cols };
  const plot = plotSize(rows, cols);
  const [h, w] = tileShape(win, plot.width, plot.height);
  // No mask asked for: one pass over the head decides it and pools (the head is read once).
  const o =
    maskUpper === undefined && rows === cols
      ? poolOverview(m, rows, h, w)
      : { values: poolMax(m, cols, win, h, w, { mask: maskUpper === true, normalise: "raw" }), mask: maskUpper === true };
  return { overview: { data: o.values, shape: [h, w] }, overviewMask: o.mask };
}
