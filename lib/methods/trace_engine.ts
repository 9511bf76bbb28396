/**
 * The compute core of causal tracing (GPT-2-style models), written directly on the weights so
 * that a restoration recomputes only what it changes:
 *  - restoring position p at layer l cannot change positions before p, so only positions
 *    p… are recomputed, attending to the corrupted run's keys/values for positions before p;
 *  - only layers from the restoration onward run (for MLP/attention windows, from the window start);
 *  - every restoration of one position shares one sweep through the layers, its rows joining
 *    the batch at their start layer; MLP/attention windows that start at layer 0 share rows
 *    until their windows part; the last layer runs queries for the last position only, and
 *    only that position is unembedded.
 * It runs in the main thread or in a worker (trace_worker.ts); both build it from a WeightsView.
 */
import * as tf from "@tensorflow/tfjs";
import { layerNorm } from "../model/layernorm";
import { activation, linear } from "../model/linear";
import type { ModelConfig, ModelWeights } from "../model/types";

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

interface FusedLayer {
  WQ: tf.Tensor2D; bQ: tf.Tensor1D; WK: tf.Tensor2D; bK: tf.Tensor1D; WV: tf.Tensor2D; bV: tf.Tensor1D; // [d, h*e], [h*e]
  WO: tf.Tensor2D; // [h*e, d]
}

interface BlockOut {
  out: tf.Tensor3D; // [R, Tq, d]
  K: tf.Tensor4D; // [R, H, T, e] (this block's new keys)
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
  private readonly w: ModelWeights;
  private readonly fused: FusedLayer[];
  /** [d, vocab]; tied models get W_Eᵀ materialised once, because wasm's matmul with a transposed operand is several times slower. */
  private readonly WU: tf.Tensor2D;
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
    corrK: tf.Tensor4D[]; // [L] × [S, H, P, e]
    corrV: tf.Tensor4D[];
    window: number;
    firstNoised: number;
  } | null = null;

  constructor(view: { config: ModelConfig; weights: ModelWeights }) {
    if (view.config.arch !== "gpt2") throw new Error("causal tracing: only GPT-2-style (causal) models are supported");
    this.cfg = view.config;
    this.w = view.weights;
    this.WU = tf.keep(this.cfg.tiedUnembed ? (tf.transpose(this.w.W_E) as tf.Tensor2D) : this.w.W_U.clone());
    const fuse = (W: tf.Tensor3D) => tf.keep(tf.reshape(tf.transpose(W, [1, 0, 2]), [W.shape[1], W.shape[0] * W.shape[2]]) as tf.Tensor2D);
    this.fused = tf.tidy(() =>
      this.w.blocks.map((b) => ({
        WQ: fuse(b.W_Q), bQ: tf.keep(b.b_Q.reshape([-1]) as tf.Tensor1D),
        WK: fuse(b.W_K), bK: tf.keep(b.b_K.reshape([-1]) as tf.Tensor1D),
        WV: fuse(b.W_V), bV: tf.keep(b.b_V.reshape([-1]) as tf.Tensor1D),
        WO: tf.keep(b.W_O.reshape([-1, this.cfg.dModel]) as tf.Tensor2D),
      })),
    );
  }

  /** One pre-LN block on X [R, T, d] at absolute positions p0…p0+T−1; queries only from index qf. */
  private block(l: number, X: tf.Tensor3D, prefK: tf.Tensor4D | null, prefV: tf.Tensor4D | null, p0: number, qf: number, restore: Restore): BlockOut {
    const { nHeads: H, dHead: e, dModel: d, lnEps } = this.cfg;
    const w = this.w.blocks[l];
    const f = this.fused[l];
    const [R, T] = X.shape;
    const Tq = T - qf;
    const heads = (x: tf.Tensor3D, W: tf.Tensor2D, b: tf.Tensor1D, n: number) =>
      tf.transpose(tf.reshape(linear(x, W, b), [R, n, H, e]), [0, 2, 1, 3]) as tf.Tensor4D; // [R, H, n, e]
    const ln1 = layerNorm(X, w.ln1_w, w.ln1_b, lnEps, null, null, null);
    const K = heads(ln1, f.WK, f.bK, T);
    const V = heads(ln1, f.WV, f.bV, T);
    const lnq = qf > 0 ? (ln1.slice([0, qf, 0], [R, Tq, d]) as tf.Tensor3D) : ln1;
    const Q = heads(lnq, f.WQ, f.bQ, Tq);
    const Kall = prefK ? tf.concat([prefK, K], 2) : K;
    const Vall = prefV ? tf.concat([prefV, V], 2) : V;
    const nk = Kall.shape[2];
    const allowed = new Uint8Array(Tq * nk);
    for (let t = 0; t < Tq; t++) for (let k = 0; k <= p0 + qf + t && k < nk; k++) allowed[t * nk + k] = 1;
    const raw = tf.div(tf.matMul(Q, Kall, false, true), Math.sqrt(e));
    const pattern = tf.softmax(tf.where(tf.tensor(allowed, [1, 1, Tq, nk], "bool"), raw, tf.scalar(-Infinity)));
    const z = tf.reshape(tf.transpose(tf.matMul(pattern, Vall), [0, 2, 1, 3]), [R, Tq, H * e]) as tf.Tensor3D;
    let attnOut: tf.Tensor3D = linear(z, f.WO, w.b_O);
    if (restore.attn) attnOut = tf.where(restore.attn.mask, restore.attn.value, attnOut) as tf.Tensor3D;
    const Xq = qf > 0 ? (X.slice([0, qf, 0], [R, Tq, d]) as tf.Tensor3D) : X;
    const mid = tf.add(Xq, attnOut) as tf.Tensor3D;
    if (this.cfg.attnOnly) return { out: mid, K, V, attnOut, mlpOut: null };
    const ln2 = layerNorm(mid, w.ln2_w!, w.ln2_b!, lnEps, null, null, null);
    let mlpOut: tf.Tensor3D = linear(activation(this.cfg.act, linear(ln2, w.W_in!, w.b_in)) as tf.Tensor3D, w.W_out!, w.b_out);
    if (restore.mlp) mlpOut = tf.where(restore.mlp.mask, restore.mlp.value, mlpOut) as tf.Tensor3D;
    return { out: tf.add(mid, mlpOut) as tf.Tensor3D, K, V, attnOut, mlpOut };
  }

  /** p(answer) per row from the final residual at the last position, resid [R, d]. */
  private probs(resid: tf.Tensor2D, answer: number): tf.Tensor1D {
    const w = this.w;
    const x = layerNorm(resid.expandDims(1) as tf.Tensor3D, w.ln_final_w!, w.ln_final_b!, this.cfg.lnEps, null, null, null).reshape([resid.shape[0], -1]) as tf.Tensor2D;
    const logits = tf.add(tf.matMul(x, this.WU), w.b_U);
    return tf.softmax(logits).slice([0, answer], [-1, 1]).reshape([-1]) as tf.Tensor1D;
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
      const tok = tf.gather(this.w.W_E, tf.tensor1d(ids, "int32")); // [P, d]
      const noise = tf.tensor3d(inp.noise, [S, s1 - s0, d]);
      const pad = tf.pad(noise, [[0, 0], [s0, P - s1], [0, 0]]);
      const emb = tf.concat([tok.expandDims(0), tf.add(tok.expandDims(0), pad)], 0); // [1 + S, P, d]
      let X = tf.add(emb, this.w.W_pos.slice([0, 0], [P, d]).expandDims(0)) as tf.Tensor3D;
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
      const lw = this.w;
      const lnx = layerNorm(last.expandDims(1) as tf.Tensor3D, lw.ln_final_w!, lw.ln_final_b!, this.cfg.lnEps, null, null, null).reshape([1 + S, d]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(lnx, this.WU), lw.b_U);
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
      const pg = tf.tidy(() => {
        const last = fin.slice([0, fin.shape[1] - 1, 0], [-1, 1, -1]).reshape([-1, d]) as tf.Tensor2D;
        return this.probs(last, b.answer).reshape([groups.length, S]).mean(1).dataSync() as Float32Array;
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
    for (const f of this.fused) for (const t of Object.values(f)) (t as tf.Tensor).dispose();
    this.WU.dispose();
  }
}
