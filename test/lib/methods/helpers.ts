/**
 * Test models for the methods: random GPT-2-style models from createModel, and a hand-built
 * 2-layer attention-only model whose heads are known by construction:
 *   L0H0 attends to the previous token and writes that token into a "previous token" subspace;
 *   L1H0 is an induction head: it attends to the key whose previous token equals the current
 *   token and copies that key's token into an output subspace the unembedding reads;
 *   L0H1 and L1H1 have zero weights (uniform attention, no output).
 */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { createModel, HookedTransformer, resolveConfig } from "../../../lib/model";
import type { TransformerModel } from "../../../lib/model/types";

export async function initBackend(): Promise<void> {
  await ready();
}

export function randomGpt2(seed = 1, over: Partial<{ nLayers: number; dModel: number; nHeads: number; dVocab: number; nCtx: number; attnOnly: boolean }> = {}): TransformerModel {
  return createModel({ arch: "gpt2", nLayers: 3, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 32, ...over }, { seed, initStd: 0.2 });
}

/** LayerNorm bias that cancels the centring of a residual made of `k` entries equal to c (rest 0). */
function lnCancel(k: number, c: number, d: number): { bias: number; scale: number } {
  const m = (k * c) / d;
  const v = (k * (c - m) ** 2 + (d - k) * m * m) / d;
  const s = Math.sqrt(v + 1e-5);
  return { bias: m / s, scale: s };
}

export const IND = { V: 30, N: 24 };

export function inductionModel(): TransformerModel {
  const { V, N } = IND;
  const d = 3 * V + N;
  const e = Math.max(V, N); // one-hot query/key/value coordinates for every token and position
  const h = 2;
  const c = 1;
  const cfg = resolveConfig({ arch: "gpt2", nLayers: 2, dModel: d, nHeads: h, dHead: e, dVocab: V, nCtx: N, attnOnly: true, tiedUnembed: false }, "inductionModel");
  const tok = (t: number) => t;
  const pos = (p: number) => V + p;
  const prev = (t: number) => V + N + t;
  const out = (t: number) => 2 * V + N + t; // written by the induction head, read by the unembedding
  const WE = new Float32Array(V * d);
  for (let t = 0; t < V; t++) WE[t * d + tok(t)] = c;
  const WP = new Float32Array(N * d);
  for (let p = 0; p < N; p++) WP[p * d + pos(p)] = c;
  const ln0 = lnCancel(2, c, d);
  const ln1 = lnCancel(3, c, d);
  const alpha = 40; // score scale before the 1/sqrt(e) division and LayerNorm scaling
  const mk = () => ({ Q: new Float32Array(h * d * e), K: new Float32Array(h * d * e), V: new Float32Array(h * d * e), O: new Float32Array(h * e * d) });
  const L0 = mk();
  const L1 = mk();
  const at3 = (hh: number, i: number, j: number, cols: number, rows: number) => hh * rows * cols + i * cols + j;
  // L0H0: query at position i matches key at position i − 1.
  for (let p = 0; p < N; p++) {
    L0.Q[at3(0, pos(p), p, e, d)] = alpha * ln0.scale;
    if (p + 1 < N) L0.K[at3(0, pos(p), p + 1, e, d)] = ln0.scale;
  }
  for (let t = 0; t < V; t++) {
    L0.V[at3(0, tok(t), t, e, d)] = ln0.scale;
    L0.O[at3(0, t, prev(t), d, e)] = c;
  }
  // L1H0: query token t matches keys whose previous token is t; copies the key's own token.
  for (let t = 0; t < V; t++) {
    L1.Q[at3(0, tok(t), t, e, d)] = alpha * ln1.scale;
    L1.K[at3(0, prev(t), t, e, d)] = ln1.scale;
    L1.V[at3(0, tok(t), t, e, d)] = ln1.scale;
    L1.O[at3(0, t, out(t), d, e)] = c;
  }
  const WU = new Float32Array(d * V);
  for (let t = 0; t < V; t++) WU[out(t) * V + t] = 3;
  const block = (W: ReturnType<typeof mk>, ln: { bias: number }) => ({
    W_Q: tf.tensor3d(W.Q, [h, d, e]),
    b_Q: tf.zeros([h, e]) as tf.Tensor2D,
    W_K: tf.tensor3d(W.K, [h, d, e]),
    b_K: tf.zeros([h, e]) as tf.Tensor2D,
    W_V: tf.tensor3d(W.V, [h, d, e]),
    b_V: tf.zeros([h, e]) as tf.Tensor2D,
    W_O: tf.tensor3d(W.O, [h, e, d]),
    b_O: tf.zeros([d]) as tf.Tensor1D,
    ln1_w: tf.ones([d]) as tf.Tensor1D,
    ln1_b: tf.fill([d], ln.bias) as tf.Tensor1D,
  });
  return new HookedTransformer(cfg, {
    W_E: tf.tensor2d(WE, [V, d]),
    W_pos: tf.tensor2d(WP, [N, d]),
    blocks: [block(L0, ln0), block(L1, ln1)],
    ln_final_w: tf.ones([d]) as tf.Tensor1D,
    ln_final_b: tf.zeros([d]) as tf.Tensor1D,
    W_U: tf.tensor2d(WU, [d, V]),
    b_U: tf.zeros([V]) as tf.Tensor1D,
  });
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** The tiny GPT-2 fixture's byte-level BPE tokenizer (1000 ids). */
export function tinyTokenizer() {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { tokenizerFromJson } = require("../../../lib/tokenizers") as typeof import("../../../lib/tokenizers");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require("fs") as typeof import("fs");
  const dir = `${__dirname}/../../fixtures/pretrained/tiny-gpt2`;
  return tokenizerFromJson(JSON.parse(fs.readFileSync(`${dir}/tokenizer.json`, "utf8")), JSON.parse(fs.readFileSync(`${dir}/tokenizer_config.json`, "utf8")));
}
