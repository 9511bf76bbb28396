/**
 * The compute core of activation patching on a causal (decoder) model, through the
 * architecture's own embedding, block and unembedding (arch.ts) with a key/value cache, so a
 * patched run recomputes only what the patch can change:
 *  - below the patched layer a patched row equals the corrupted run, so the row starts at layer l
 *    from the corrupted run's cached resid_pre (not from the embedding);
 *  - a patch at position p cannot change positions before p, so only positions p… are
 *    recomputed, attending to the corrupted run's cached keys/values for positions before p;
 *  - a logit difference at position m reads nothing after m, so the sequence stops at m, and the
 *    last block computes queries for m only and only m is unembedded;
 *  - where the clean and corrupted runs agree exactly (positions before the first token in which
 *    the prompts differ) a patch writes what is already there: a cell starts at the first position
 *    where its values differ, and a cell that changes nothing is the corrupted run, not recomputed;
 *  - every cell of one sweep shares it: cells of one start position form one batch whose rows
 *    join at their layer; the patch is a hook at the site (the pure setters patchPositions /
 *    patchHeads), so every site of every architecture patches through the same block code.
 * A custom metric function sees the whole [row, pos, vocab] logits: the corrupted run's final
 * residual fills the positions before p, and every position is unembedded.
 */
import * as tf from "@tensorflow/tfjs";
import type { Architecture, BlockContext, WeightsView } from "../model/arch";
import { architecture } from "../model/architectures";
import { HookState } from "../model/hooked";
import type { Hook } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { checkInt } from "./common";

/** One patched variant; mirrors patching.ts's PatchCell. */
export interface EngineCell {
  layer: number;
  pos: number | null;
  head?: number | null;
}

/** Per-row metric of logits [rows, pos, vocab]. */
export type EngineMetric = (logits: tf.Tensor3D) => Float32Array;

export interface PatchEngineInput {
  clean: number[];
  corrupted: number[];
  /** Hook site name without the layer, as actName takes it ("resid_pre", "z", …). */
  site: string;
  headSite: boolean;
  /** Layers whose clean activation at the site is needed. */
  layers: number[];
  metric: EngineMetric;
  /** Absolute position the metric reads, or null when it may read every position (a function). */
  metricPos: number | null;
  /** Token ids the metric reads: logits are computed for these only, column i = vocab[i]. Default: all. */
  vocab?: number[];
  /** Bound on the intermediates of one block call (rows are split into groups to stay within it). Default 64 MB. */
  callBytes?: number;
}

/**
 * The same weights with the unembedding restricted to the token ids `ids` (logit i = token
 * ids[i]), so the architecture's own unembed computes only the logits a metric reads; a tied
 * W_Eᵀ is never built. The weights object inherits from the model's, shadowing W_U and b_U.
 */
export function vocabView(view: WeightsView, ids: number[]): { view: WeightsView; dispose(): void } {
  const w = view.weights;
  const idx = tf.tensor1d(ids, "int32");
  const W_U = tf.tidy(() => (view.config.tiedUnembed ? tf.transpose(tf.gather(w.W_E, idx)) : tf.gather(w.W_U, idx, 1)) as tf.Tensor2D);
  const b_U = tf.gather(w.b_U, idx) as tf.Tensor1D;
  idx.dispose();
  const weights = Object.create(w, { W_U: { value: W_U }, b_U: { value: b_U } });
  return {
    view: { config: { ...view.config, tiedUnembed: false, dVocab: ids.length }, weights },
    dispose: () => {
      W_U.dispose();
      b_U.dispose();
    },
  };
}

let fullGc: (() => void) | null | undefined;

/**
 * tfjs-node copies a tensor's host values into TensorFlow on the tensor's first use and drops its
 * reference, but the host buffer (for a loaded model, the weights read from disk: 475 MB for GPT-2
 * small) is only freed by V8's next full collection, which a run that allocates little JS memory
 * may never trigger, so the weights sit in memory twice. After the engine's first runs have used
 * every weight, one full collection returns that memory (measured: 1.49 GB → 1.02 GB RSS).
 * Runs only when host buffers are large; needs no Node flag (the gc function is exposed in a
 * fresh context).
 */
export function releaseHostBuffers(minBytes = 64 * 2 ** 20): void {
  if (typeof process === "undefined" || process.memoryUsage().arrayBuffers < minBytes) return;
  if (fullGc === undefined) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const v8 = require("v8") as typeof import("v8");
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const vm = require("vm") as typeof import("vm");
      v8.setFlagsFromString("--expose-gc");
      fullGc = vm.runInNewContext("gc") as () => void;
    } catch {
      fullGc = null;
    }
  }
  fullGc?.();
}

/** Additive mask [1, 1, Tq, past + T] for rows at absolute positions p0… with queries from row qf. */
function suffixMask(p0: number, T: number, qf: number): tf.Tensor4D {
  const Tq = T - qf;
  const nk = p0 + T;
  const allowed = new Float32Array(Tq * nk);
  for (let t = 0; t < Tq; t++) for (let k = p0 + qf + t + 1; k < nk; k++) allowed[t * nk + k] = -Infinity;
  return tf.tensor4d(allowed, [1, 1, Tq, nk]);
}

/** `n` copies of `t` along axis 0 (Concat, not Tile: wasm's Tile goes element by element). */
function repeatRows<T extends tf.Tensor>(t: T, n: number): T {
  return n === 1 ? t : (tf.concat(new Array<T>(n).fill(t), 0) as T);
}

export class PatchEngine {
  private readonly arch: Architecture;
  private readonly names: ReadonlySet<string>;
  private readonly L: number;
  /** Positions computed: 0 … Pm − 1. */
  readonly Pm: number;
  cleanMetric = NaN;
  corruptedMetric = NaN;
  private cleanAct = new Map<number, tf.Tensor>(); // layer -> [1, Pm, …] clean activation at the site
  private corrResid: tf.Tensor3D[] = []; // [L + 1] × [1, Pm, d]: resid_pre of each layer, then the final residual
  private corrK: tf.Tensor4D[] = []; // [L] × [1, G, Pm, e]
  private corrV: tf.Tensor4D[] = [];
  private readonly callBytes: number;
  private unembedView: { view: WeightsView; dispose(): void } | null = null;
  private values = new Map<number, [Float32Array, Float32Array]>(); // layer -> clean, corrupted values at the site

  /** `view.weights.W_U` must be readable (a HookedTransformer builds a tied one on first use). */
  constructor(private readonly view: WeightsView, private readonly inp: PatchEngineInput) {
    this.arch = architecture(view.config);
    if (!this.arch.causal) throw new Error(`activation patching engine: needs a causal (decoder) model; ${this.arch.label} is not`);
    this.names = new Set(this.arch.hookNames(view.config));
    this.L = view.config.nLayers;
    this.Pm = inp.metricPos === null ? inp.clean.length : inp.metricPos + 1;
    this.callBytes = inp.callBytes ?? 64 * 2 ** 20;
    this.unembedView = inp.vocab ? vocabView(view, inp.vocab) : null;
    try {
      this.prepare();
    } catch (e) {
      this.dispose();
      throw e;
    }
    releaseHostBuffers();
  }

  private block(l: number, X: tf.Tensor3D, p0: number, qf: number, R: number, hooks: Hook[], onKV?: BlockContext["onKV"], hs?: HookState): tf.Tensor3D {
    const T = X.shape[1];
    const prefix = (t: tf.Tensor4D) => repeatRows(t.slice([0, 0, 0, 0], [1, -1, p0, -1]) as tf.Tensor4D, R);
    const ctx: BlockContext = {
      maskAdd: suffixMask(p0, T, qf),
      pos0: p0,
      past: p0 > 0 ? { K: prefix(this.corrK[l]), V: prefix(this.corrV[l]) } : null,
      onKV,
      queryFrom: qf,
    };
    return this.arch.block(this.view, l, X, ctx, hs ?? new HookState(this.names, hooks, undefined, "activation patching"));
  }

  private logits(resid: tf.Tensor3D): tf.Tensor3D {
    return this.arch.unembed(this.unembedView?.view ?? this.view, resid, new HookState(this.names));
  }

  /** Clean run (site activations) and corrupted run (resid_pre, keys, values of every layer), both on positions 0 … Pm − 1. */
  private prepare(): void {
    const { clean, corrupted, site, layers, metric } = this.inp;
    const Pm = this.Pm;
    const ids = (x: number[]) => tf.tensor2d(x.slice(0, Pm), [1, Pm], "int32");
    const want = new Set(layers.map((l) => actName(site as never, l) as string));
    const hs = new HookState(this.names, [], (n: HookName) => want.has(n), "activation patching");
    try {
      this.cleanMetric = tf.tidy(() => {
        let X = this.arch.embed(this.view, ids(clean), null, hs, 0);
        for (let l = 0; l < this.L; l++) X = this.arch.block(this.view, l, X, { maskAdd: suffixMask(0, Pm, 0) }, hs);
        return metric(this.logits(X))[0];
      });
      for (const l of layers) this.cleanAct.set(l, hs.cache!.get(actName(site as never, l)));
    } catch (e) {
      hs.abort();
      throw e;
    }
    const hc = new HookState(this.names, [], (n: HookName) => want.has(n), "activation patching");
    try {
      tf.tidy(() => {
        let X = this.arch.embed(this.view, ids(corrupted), null, hc, 0);
        for (let l = 0; l < this.L; l++) {
          this.corrResid.push(tf.keep(X));
          X = this.block(l, X, 0, 0, 1, [], (K, V) => {
            this.corrK.push(tf.keep(K));
            this.corrV.push(tf.keep(V));
          }, hc);
        }
        this.corrResid.push(tf.keep(X));
        this.corruptedMetric = metric(this.logits(X))[0];
      });
      // Clean and corrupted values at the site, for finding where a patch changes anything.
      for (const l of layers) {
        this.values.set(l, [this.cleanAct.get(l)!.dataSync() as Float32Array, hc.cache!.get(actName(site as never, l)).dataSync() as Float32Array]);
      }
    } finally {
      hc.abort();
    }
  }

  /**
   * The first position from which the cell's patch writes a value the corrupted run does not
   * already have, or null when it writes none (then the patched run is the corrupted run). Before
   * the first token where the prompts differ the two runs agree exactly, so those positions need
   * no recomputation.
   */
  firstChange(cell: EngineCell): number | null {
    const [c, k] = this.values.get(cell.layer)!;
    const act = this.cleanAct.get(cell.layer)!;
    const perPos = act.size / this.Pm; // values per position
    const heads = this.inp.headSite ? act.shape[2]! : 1;
    const w = perPos / heads; // values per (position, head)
    const h = this.inp.headSite ? cell.head ?? 0 : 0;
    const positions = cell.pos === null ? [...Array(this.Pm).keys()] : cell.pos < this.Pm ? [cell.pos] : [];
    for (const p of positions) {
      const o = p * perPos + h * w;
      for (let i = o; i < o + w; i++) if (c[i] !== k[i]) return p;
    }
    return null;
  }

  /**
   * Raw metric of every cell, in cell order, from one sweep through the layers. Cells that
   * cannot reach the metric get the corrupted metric without being run.
   */
  sweep(cells: EngineCell[]): Float32Array {
    const out = new Float32Array(cells.length);
    const groups = new Map<number, number[]>(); // start position -> cell indices
    cells.forEach((c, i) => {
      const s = this.firstChange(c);
      if (s === null) {
        out[i] = this.corruptedMetric;
        return;
      }
      groups.set(s, [...(groups.get(s) ?? []), i]);
    });
    for (const [s, idx] of groups) {
      const r = this.sweepFrom(s, idx.map((i) => cells[i]));
      idx.forEach((ci, k) => (out[ci] = r[k]));
    }
    return out;
  }

  /** Cells whose patch changes nothing before position s (see firstChange): rows in the order given. */
  private sweepFrom(s: number, cells: EngineCell[]): Float32Array {
    const { metricPos, metric } = this.inp;
    const d = this.view.config.dModel;
    const T = this.Pm - s;
    // Rows in order of their layer; each joins the batch at its layer.
    const order = cells.map((_, i) => i).sort((a, b) => cells[a].layer - cells[b].layer);
    let X: tf.Tensor3D | null = null;
    let rowCells: number[] = [];
    const lastOnly = metricPos !== null;
    try {
      for (let l = 0; l < this.L; l++) {
        const joining = order.filter((i) => cells[i].layer === l);
        const cur: tf.Tensor3D | null = X;
        const first = rowCells.length;
        rowCells = [...rowCells, ...joining];
        if (rowCells.length === 0) continue;
        const qf = l === this.L - 1 && lastOnly ? T - 1 : 0;
        const x: tf.Tensor3D = tf.tidy(() => {
          if (!joining.length) return cur!.clone();
          const add = repeatRows(this.corrResid[l].slice([0, s, 0], [1, T, d]) as tf.Tensor3D, joining.length);
          return cur ? (tf.concat([cur, add], 0) as tf.Tensor3D) : add;
        });
        cur?.dispose();
        X = x;
        // The block runs on groups of rows so its intermediates stay within the call budget.
        const R = rowCells.length;
        const step = this.rowsPerCall(T);
        const parts: tf.Tensor3D[] = [];
        try {
          for (let r0 = 0; r0 < R; r0 += step) {
            const n = Math.min(step, R - r0);
            const rows = joining.map((ci, k) => ({ row: first + k - r0, cell: cells[ci] })).filter((r) => r.row >= 0 && r.row < n);
            parts.push(tf.tidy(() => {
              const xs = n === R ? x : (x.slice([r0, 0, 0], [n, -1, -1]) as tf.Tensor3D);
              return this.block(l, xs, s, qf, n, rows.length ? [this.patchHook(l, s, T, rows)] : []);
            }));
          }
          X = parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor3D);
        } finally {
          if (parts.length > 1) parts.forEach((t) => t.dispose());
          x.dispose();
        }
      }
      const fin: tf.Tensor3D = X!;
      const R = rowCells.length;
      const vals = new Float32Array(R);
      // Full logits for a function metric are [rows, pos, vocab]: a few rows at a time.
      const step = lastOnly ? R : Math.max(1, Math.floor(this.callBytes / (8 * this.Pm * this.view.config.dVocab)));
      for (let r0 = 0; r0 < R; r0 += step) {
        const n = Math.min(step, R - r0);
        // The logits are made in a tidy and the metric (which reads values) runs outside it, so
        // the tidy never walks a returned array (see tidyData in lib/backend.ts).
        const lg = tf.tidy(() => {
          const f = fin.slice([r0, 0, 0], [n, -1, -1]) as tf.Tensor3D;
          if (lastOnly) return this.logits(f.slice([0, f.shape[1] - 1, 0], [n, 1, d]) as tf.Tensor3D);
          const full = s > 0 ? (tf.concat([repeatRows(this.corrResid[this.L].slice([0, 0, 0], [1, s, d]) as tf.Tensor3D, n), f], 1) as tf.Tensor3D) : f;
          return this.logits(full);
        });
        try {
          let m: Float32Array | undefined;
          tf.tidy(() => void (m = metric(lg))); // frees what the metric makes; returns nothing to walk
          vals.set(m!, r0);
        } finally {
          lg.dispose();
        }
      }
      const res = new Float32Array(cells.length);
      rowCells.forEach((ci, k) => (res[ci] = vals[k]));
      return res;
    } finally {
      (X as tf.Tensor3D | null)?.dispose();
    }
  }

  /**
   * The hook at `site` of layer l that writes the clean value into the given rows. The activation
   * it sees covers positions s + off … Pm − 1 (off > 0 after the last block's query split), so cell
   * positions and the clean slice are shifted by s + off; a patch before the first row seen
   * cannot reach the metric and is dropped.
   */
  private patchHook(l: number, s: number, T: number, rows: { row: number; cell: EngineCell }[]): Hook {
    const clean = this.cleanAct.get(l)!;
    const headSite = this.inp.headSite;
    return {
      name: actName(this.inp.site as never, l),
      fn: (act) => {
        const Tv = act.shape[1]!;
        const off = s + (T - Tv);
        const begin = new Array(clean.rank).fill(0);
        const size = new Array(clean.rank).fill(-1);
        begin[1] = off;
        size[1] = Tv;
        const c = clean.slice(begin, size);
        const set = rows
          .map(({ row, cell }) => ({ row, head: cell.head ?? 0, pos: cell.pos === null ? null : cell.pos - off }))
          .filter((r) => r.pos === null || r.pos >= 0);
        if (set.length === 0) return act;
        return headSite ? patchHeads(act, c, set) : patchPositions(act, c, set);
      },
    };
  }

  /** Rows per block call at T positions within callBytes (intermediates per token ≈ 12 d + 10 d_mlp + 3 heads × keys floats). */
  private rowsPerCall(T: number): number {
    const { dModel: d, dMlp, nHeads: H } = this.view.config;
    const perToken = 4 * (12 * d + 10 * dMlp + 3 * H * this.Pm);
    return Math.max(1, Math.floor(this.callBytes / (perToken * T)));
  }

  dispose(): void {
    for (const t of [...this.cleanAct.values(), ...this.corrResid, ...this.corrK, ...this.corrV]) t.dispose();
    this.cleanAct.clear();
    this.corrResid = [];
    this.corrK = [];
    this.corrV = [];
    this.values.clear();
    this.unembedView?.dispose();
    this.unembedView = null;
  }
}

/** act[row, pos, :] = clean[0, pos, :] for each (row, pos) given; pos null patches the whole row. act: [B, P, …], clean: [1, P, …]. */
export function patchPositions(act: tf.Tensor, clean: tf.Tensor, rows: { row: number; pos: number | null }[]): tf.Tensor {
  const [B, P] = act.shape;
  checkPatchShapes(act, clean, "patchPositions");
  const mask = new Uint8Array(B * P);
  for (const { row, pos } of rows) {
    checkInt(row, 0, B - 1, "row", "patchPositions");
    if (pos === null) mask.fill(1, row * P, (row + 1) * P);
    else {
      checkInt(pos, 0, P - 1, "pos", "patchPositions");
      mask[row * P + pos] = 1;
    }
  }
  return tf.tidy(() => {
    const m = tf.tensor(mask, [B, P, ...act.shape.slice(2).map(() => 1)], "bool");
    return tf.where(m, tf.broadcastTo(clean, act.shape), act);
  });
}

/** act[row, pos, head, :] = clean[0, pos, head, :]; pos null = every position. act: [B, P, H, e], clean: [1, P, H, e]. */
export function patchHeads(act: tf.Tensor, clean: tf.Tensor, rows: { row: number; head: number; pos: number | null }[]): tf.Tensor {
  if (act.rank !== 4) throw new Error(`patchHeads: activation must be [batch, pos, head, e]; got rank ${act.rank}`);
  checkPatchShapes(act, clean, "patchHeads");
  const [B, P, H] = act.shape;
  const mask = new Uint8Array(B * P * H);
  for (const { row, head, pos } of rows) {
    checkInt(row, 0, B - 1, "row", "patchHeads");
    checkInt(head, 0, H - 1, "head", "patchHeads");
    if (pos !== null) checkInt(pos, 0, P - 1, "pos", "patchHeads");
    for (let p = 0; p < P; p++) if (pos === null || p === pos) mask[(row * P + p) * H + head] = 1;
  }
  return tf.tidy(() => tf.where(tf.tensor(mask, [B, P, H, 1], "bool"), tf.broadcastTo(clean, act.shape), act));
}

function checkPatchShapes(act: tf.Tensor, clean: tf.Tensor, fn: string): void {
  if (clean.rank !== act.rank || clean.shape[0] !== 1 || clean.shape.slice(1).some((s, i) => s !== act.shape[i + 1])) {
    throw new Error(`${fn}: clean activation must be [1, ${act.shape.slice(1).join(", ")}]; got [${clean.shape.join(", ")}]`);
  }
}
