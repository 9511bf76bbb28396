/**
 * The compute core of causal tracing (any causal architecture), run through the architecture's
 * own embedding, block and unembedding (arch.ts) with a key/value cache, so that a restoration
 * recomputes only what it changes:
 *  - restoring position p at layer l cannot change positions before p, so only positions
 *    p… are recomputed, attending to the corrupted run's keys/values for positions before p;
 *  - only layers from the restoration onward run (for MLP/attention windows, from the window start);
 *  - every restoration of one position shares one sweep through the layers, its rows joining
 *    the batch at their start layer; MLP/attention windows that start at layer 0 share rows
 *    until their windows part; the last layer runs queries for the last position only, and
 *    only that position is unembedded.
 * Suffix rows are recomputed at their absolute positions (BlockContext.pos0, so rotary models
 * rotate them where they are) and read the corrupted run's cached keys/values, stored with the
 * model's key/value-head count (grouped-query heads are shared as in the full forward pass).
 * Restorations are hooks on hook_attn_out / hook_mlp_out.
 * It runs in the main thread or in a worker (trace_worker.ts); both build it from a WeightsView.
 */
import * as tf from "@tensorflow/tfjs";
import type { Architecture, WeightsView } from "../model/arch";
import { architecture } from "../model/architectures";
import { HookState } from "../model/hooked";
import type { Hook, ModelConfig } from "../model/types";
import type { HookName } from "../hooks/names";
import { tidyData } from "../backend";

export type TraceKind = "hidden" | "mlp" | "attn";
export interface TraceCell {
  kind: TraceKind;
  layer: number;
}

export interface EngineInput {
  ids: number[];
  subject: [number, number]; // [start, end) token range that is noised
  samples: number;
  /** Noise to add, already scaled: [samples, end − start, d]. */
  noise: Float32Array;
  window: number;
}

interface BlockOut {
  out: tf.Tensor3D; // [R, Tq, d]
  K: tf.Tensor4D; // [R, G, T, e] (this block's new keys, G = key/value heads, after any rotation)
  V: tf.Tensor4D;
  attnOut: tf.Tensor3D; // [R, Tq, d]
  mlpOut: tf.Tensor3D | null;
}

/** Rows of one restoration kind at one layer: which rows and the clean vector [d] to write at relative position 0. */
interface Restore {
  attn?: { mask: tf.Tensor3D; value: tf.Tensor };
  mlp?: { mask: tf.Tensor3D; value: tf.Tensor };
}

export class TraceEngine {
  readonly cfg: ModelConfig;
  private readonly view: WeightsView;
  private readonly arch: Architecture;
  private readonly names: ReadonlySet<string>;
  private base: {
    P: number;
    S: number;
    answer: number;
    pClean: number;
    pCorrupted: number;
    cleanResid: tf.Tensor2D[]; // [L + 1] entries of [P, d]: resid_pre of each layer, then the final resid
    cleanAttn: tf.Tensor2D[]; // [L] × [P, d]
    cleanMlp: tf.Tensor2D[];
    corrResid: tf.Tensor3D[]; // [L + 1] × [S, P, d]
    corrK: tf.Tensor4D[]; // [L] × [S, G, P, e]
    corrV: tf.Tensor4D[];
    window: number;
    firstNoised: number;
  } | null = null;

  /** `view.weights.W_U` must be readable (a HookedTransformer builds a tied one on first use). */
  constructor(view: WeightsView) {
    this.arch = architecture(view.config);
    if (!this.arch.causal) throw new Error(`causal tracing: needs a causal (decoder) model; ${this.arch.label} is not`);
    this.cfg = view.config;
    this.view = view;
    this.names = new Set(this.arch.hookNames(view.config));
  }

  /** The architecture's block on X [R, T, d] at absolute positions p0…p0+T−1; queries only from index qf. */
  private block(l: number, X: tf.Tensor3D, prefK: tf.Tensor4D | null, prefV: tf.Tensor4D | null, p0: number, qf: number, restore: Restore): BlockOut {
    const T = X.shape[1];
    const Tq = T - qf;
    const nk = (prefK ? prefK.shape[2] : 0) + T;
    const allowed = new Float32Array(Tq * nk);
    for (let t = 0; t < Tq; t++) for (let k = 0; k < nk; k++) if (k > p0 + qf + t) allowed[t * nk + k] = -Infinity;
    let K: tf.Tensor4D | null = null;
    let V: tf.Tensor4D | null = null;
    let attnOut: tf.Tensor3D | null = null;
    let mlpOut: tf.Tensor3D | null = null;
    const at = (s: string) => `blocks.${l}.${s}` as HookName;
    const hooks: Hook[] = [
      { name: at("hook_attn_out"), fn: (x) => (attnOut = restore.attn ? (tf.where(restore.attn.mask, restore.attn.value, x) as tf.Tensor3D) : (x as tf.Tensor3D)) },
    ];
    if (!this.cfg.attnOnly) {
      hooks.push({ name: at("hook_mlp_out"), fn: (x) => (mlpOut = restore.mlp ? (tf.where(restore.mlp.mask, restore.mlp.value, x) as tf.Tensor3D) : (x as tf.Tensor3D)) });
    }
    const ctx = {
      maskAdd: tf.tensor4d(allowed, [1, 1, Tq, nk]),
      pos0: p0,
      past: prefK && prefV ? { K: prefK, V: prefV } : null,
      onKV: (k: tf.Tensor4D, v: tf.Tensor4D) => {
        K = k;
        V = v;
      },
      queryFrom: qf,
    };
    const out = this.arch.block(this.view, l, X, ctx, new HookState(this.names, hooks, undefined, "causal tracing"));
    return { out, K: K!, V: V!, attnOut: attnOut!, mlpOut };
  }

  /** Logits at the given final residual rows [R, d] -> [R, vocab], through the architecture's unembedding. */
  private logits(resid: tf.Tensor2D): tf.Tensor2D {
    const [R, d] = resid.shape;
    const out = this.arch.unembed(this.view, resid.reshape([R, 1, d]) as tf.Tensor3D, new HookState(this.names));
    return out.reshape([R, -1]) as tf.Tensor2D;
  }

  /** p(answer) per row from the final residual at the last position, resid [R, d]. */
  private probs(resid: tf.Tensor2D, answer: number): tf.Tensor1D {
    return tf.softmax(this.logits(resid)).slice([0, answer], [-1, 1]).reshape([-1]) as tf.Tensor1D;
  }

  /** The clean run and the `samples` corrupted runs, keeping what restorations need. */
  prepare(inp: EngineInput, answer?: number): { answer: number; pClean: number; pCorrupted: number } {
    this.disposeBase();
    const { ids, subject, samples: S } = inp;
    const P = ids.length;
    const { dModel: d, nLayers: L } = this.cfg;
    const [s0, s1] = subject;
    if (inp.noise.length !== S * (s1 - s0) * d) throw new Error(`causal tracing: noise must hold samples × subject tokens × d_model = ${S * (s1 - s0) * d} values; got ${inp.noise.length}`);
    const kept = tf.tidy(() => {
      // Row 0 clean, rows 1… with noise on the subject's token embeddings (hook_embed).
      const noise = tf.pad(tf.tensor3d(inp.noise, [S, s1 - s0, d]), [[1, 0], [s0, P - s1], [0, 0]]); // [1 + S, P, d]
      const rows = tf.tensor2d(Int32Array.from({ length: (1 + S) * P }, (_, i) => ids[i % P]), [1 + S, P], "int32");
      const embedState = new HookState(this.names, [{ name: "hook_embed", fn: (x) => tf.add(x, noise) }]);
      let X = this.arch.embed(this.view, rows, null, embedState, 0);
      const cleanResid: tf.Tensor2D[] = [];
      const corrResid: tf.Tensor3D[] = [];
      const cleanAttn: tf.Tensor2D[] = [];
      const cleanMlp: tf.Tensor2D[] = [];
      const corrK: tf.Tensor4D[] = [];
      const corrV: tf.Tensor4D[] = [];
      const split = (t: tf.Tensor3D) => [t.slice([0, 0, 0], [1, -1, -1]).reshape([P, d]) as tf.Tensor2D, t.slice([1, 0, 0], [S, -1, -1]) as tf.Tensor3D] as const;
      for (let l = 0; l <= L; l++) {
        const [c, k] = split(X);
        cleanResid.push(c);
        corrResid.push(k);
        if (l === L) break;
        const o = this.block(l, X, null, null, 0, 0, {});
        cleanAttn.push(split(o.attnOut)[0]);
        if (o.mlpOut) cleanMlp.push(split(o.mlpOut)[0]);
        corrK.push(o.K.slice([1, 0, 0, 0], [S, -1, -1, -1]) as tf.Tensor4D);
        corrV.push(o.V.slice([1, 0, 0, 0], [S, -1, -1, -1]) as tf.Tensor4D);
        X = o.out;
      }
      const last = X.slice([0, P - 1, 0], [-1, 1, -1]).reshape([1 + S, d]) as tf.Tensor2D;
      const logits = this.logits(last);
      const top = answer ?? (tf.argMax(logits.slice([0, 0], [1, -1]), 1).dataSync()[0] as number);
      const pr = tf.softmax(logits).slice([0, top], [-1, 1]).dataSync();
      const pCorr = Array.from(pr.slice(1)).reduce((a, b) => a + b, 0) / S;
      return { cleanResid, corrResid, cleanAttn, cleanMlp, corrK, corrV, top, pClean: pr[0], pCorr };
    });
    const keepAll = <T extends tf.Tensor>(ts: T[]) => ts.map((t) => tf.keep(t));
    this.base = {
      P, S, answer: kept.top, pClean: kept.pClean, pCorrupted: kept.pCorr,
      cleanResid: keepAll(kept.cleanResid), cleanAttn: keepAll(kept.cleanAttn), cleanMlp: keepAll(kept.cleanMlp),
      corrResid: keepAll(kept.corrResid), corrK: keepAll(kept.corrK), corrV: keepAll(kept.corrV),
      window: inp.window, firstNoised: s0,
    };
    return { answer: kept.top, pClean: kept.pClean, pCorrupted: kept.pCorr };
  }

  /** Window of layers restored for an MLP/attention cell: max(0, l − w/2) … min(L, l + w/2) − 1 (ROME's rule). */
  windowOf(layer: number): [number, number] {
    const w = this.base!.window;
    return [Math.max(0, layer - Math.floor(w / 2)), Math.min(this.cfg.nLayers, layer - Math.floor(-w / 2))];
  }

  /** Mean p(answer) over the corrupted samples for each cell restored at position p. */
  tracePosition(p: number, cells: TraceCell[]): Float32Array {
    const b = this.base;
    if (!b) throw new Error("TraceEngine.tracePosition: call prepare() first");
    const { nLayers: L, dModel: d } = this.cfg;
    const { S, P } = b;
    const T = P - p;
    const start = (c: TraceCell) => (c.kind === "hidden" ? c.layer + 1 : this.windowOf(c.layer)[0]);
    const order = cells.map((c, i) => i).sort((x, y) => start(cells[x]) - start(cells[y]));
    // What a cell does to its rows at layer j; cells that agree on every layer so far share rows.
    const sig = (ci: number, j: number): string => {
      const c = cells[ci];
      if (c.kind === "hidden") return `h${ci}`;
      const [lo, hi] = this.windowOf(c.layer);
      return j >= lo && j < hi ? `${c.kind}+` : `${c.kind}-`;
    };
    // One tidy per layer: a sweep holds hundreds of rows, so only the running residual survives a layer.
    let X: tf.Tensor3D | null = null;
    const swap = (next: tf.Tensor3D) => {
      const old = X;
      X = next;
      if (old && old !== next) old.dispose();
    };
    let groups: number[][] = []; // cells sharing each block of S rows, in row order
    let qfDone = false;
    let next = 0;
    try {
      for (let j = 0; j <= L; j++) {
        const joining: number[] = [];
        while (next < order.length && start(cells[order[next]]) === j) joining.push(order[next++]);
        if (joining.length) {
          // Window cells of one kind starting together have the same input: one group.
          const fresh: number[][] = [];
          for (const ci of joining) {
            const g = cells[ci].kind === "hidden" ? undefined : fresh.find((f) => cells[f[0]].kind === cells[ci].kind);
            if (g) g.push(ci);
            else fresh.push([ci]);
          }
          const cur: tf.Tensor3D | null = X;
          swap(tf.tidy(() => {
            const parts = fresh.map((g) => {
              let x = b.corrResid[j].slice([0, p, 0], [S, T, d]) as tf.Tensor3D;
              if (cells[g[0]].kind === "hidden") {
                // Block (j − 1)'s clean output at p goes into every sample.
                const cv = b.cleanResid[j].slice([p, 0], [1, d]).reshape([1, 1, d]).tile([S, 1, 1]);
                x = T > 1 ? (tf.concat([cv, x.slice([0, 1, 0], [S, T - 1, d])], 1) as tf.Tensor3D) : (cv as tf.Tensor3D);
              }
              return qfDone ? (x.slice([0, T - 1, 0], [S, 1, d]) as tf.Tensor3D) : x;
            });
            const add = parts.length === 1 ? parts[0] : (tf.concat(parts, 0) as tf.Tensor3D);
            return cur ? (tf.concat([cur, add], 0) as tf.Tensor3D) : add;
          }));
          groups.push(...fresh);
        }
        if (j === L || !X) continue;
        const qf = j === L - 1 ? T - 1 : 0;
        if (qf === 0) {
          // Split groups whose cells stop agreeing at this layer, copying their rows.
          const split: number[][] = [];
          const src: number[] = [];
          groups.forEach((g, gi) => {
            const by = new Map<string, number[]>();
            for (const ci of g) by.set(sig(ci, j), [...(by.get(sig(ci, j)) ?? []), ci]);
            for (const sub of by.values()) {
              split.push(sub);
              src.push(gi);
            }
          });
          if (split.length !== groups.length) {
            const cur: tf.Tensor3D = X;
            const rows = src.flatMap((gi) => Array.from({ length: S }, (_, s) => gi * S + s));
            swap(tf.tidy(() => tf.gather(cur, tf.tensor1d(rows, "int32")) as tf.Tensor3D));
            groups = split;
          }
        }
        const ng = groups.length;
        const cur: tf.Tensor3D = X;
        swap(tf.tidy(() => {
          // Repeated by concat, not tile: wasm's Concat copies whole blocks, its Tile goes element by element.
          const pref = (t: tf.Tensor4D) => {
            if (p === 0) return null;
            const one = t.slice([0, 0, 0, 0], [S, -1, p, -1]) as tf.Tensor4D;
            return ng === 1 ? one : (tf.concat(new Array<tf.Tensor4D>(ng).fill(one), 0) as tf.Tensor4D);
          };
          const restore: Restore = {};
          if (qf === 0) {
            for (const kind of ["attn", "mlp"] as const) {
              const hit = groups.map((g) => sig(g[0], j) === `${kind}+`);
              if (!hit.some(Boolean)) continue;
              const m = new Uint8Array(ng * S * T);
              hit.forEach((h, k) => {
                if (h) for (let s = 0; s < S; s++) m[(k * S + s) * T] = 1;
              });
              const src = kind === "attn" ? b.cleanAttn[j] : b.cleanMlp[j];
              restore[kind] = { mask: tf.tensor3d(m, [ng * S, T, 1], "bool") as unknown as tf.Tensor3D, value: src.slice([p, 0], [1, d]).reshape([1, 1, d]) };
            }
          }
          return this.block(j, cur, pref(b.corrK[j]), pref(b.corrV[j]), p, qf, restore).out;
        }));
        if (qf > 0 || T === 1) qfDone = true;
      }
      const fin: tf.Tensor3D = X!;
      const pg = tidyData(() => {
        const last = fin.slice([0, fin.shape[1] - 1, 0], [-1, 1, -1]).reshape([-1, d]) as tf.Tensor2D;
        return this.probs(last, b.answer).reshape([groups.length, S]).mean(1);
      });
      const out = new Float32Array(cells.length);
      groups.forEach((g, k) => g.forEach((ci) => (out[ci] = pg[k])));
      return out;
    } finally {
      (X as tf.Tensor3D | null)?.dispose();
    }
  }

  private disposeBase(): void {
    if (!this.base) return;
    const b = this.base;
    for (const t of [...b.cleanResid, ...b.cleanAttn, ...b.cleanMlp, ...b.corrResid, ...b.corrK, ...b.corrV]) t.dispose();
    this.base = null;
  }

  dispose(): void {
    this.disposeBase();
  }
}
