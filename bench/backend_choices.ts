/**
 * Re-measures, on one backend, the choices attnlab made for tfjs-backend-wasm's sake, each
 * against its alternative in the same process; bench/backend_choices.sh runs it on tfjs-node and
 * on wasm and prints both side by side.
 *  - unembedding by a materialised W_Eᵀ [d, vocab] vs matMul(x, W_E, transposeB) (tied GPT-2);
 *  - repeating prefix keys/values with Concat vs Tile (causal tracing's sweeps);
 *  - the attention mask added as a [1, 1, q, k] tensor of 0/−∞ vs tf.where with a broadcast;
 *  - one tf.tidy per block vs one tidy around the whole stack (time, and peak tf.memory bytes).
 * And the choices made for tfjs-node since (#17), each against what the code did before:
 *  - the tied unembedding as (W_E @ xᵀ)ᵀ, [vocab, d] @ [rows, d]ᵀ then one transpose;
 *  - norms multiplying by 1/scale vs dividing by scale ([1, 128, 576] by [1, 128, 1]);
 *  - grouped-query attention by stacking a group's query rows (SmolLM2: 9 query, 3 KV heads) vs
 *    gathering the KV heads out to 9;
 *  - the causal mask built in JavaScript vs with tf.linalg.bandPart (128 positions).
 * Usage: ATTNLAB_BACKEND=tensorflow|wasm node dist/bench/backend_choices.js [--reps 5]
 */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/backend";

const reps = (() => {
  const i = process.argv.indexOf("--reps");
  return i >= 0 ? Number(process.argv[i + 1]) : 5;
})();

/** Median milliseconds of `f` (its result read back, then disposed) after one warm-up. */
function time(f: () => tf.Tensor): number {
  const run = () => {
    const s = performance.now();
    const t = f();
    t.dataSync();
    const ms = performance.now() - s;
    t.dispose();
    return ms;
  };
  run();
  const ms = Array.from({ length: reps }, run).sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

async function main(): Promise<void> {
  const backend = await ready();
  const out: Record<string, number | string> = { backend };
  const d = 768, V = 50257, P = 128, H = 12, e = 64;

  // Unembedding of 128 positions, GPT-2 small.
  const x = tf.randomNormal([P, d], 0, 1, "float32", 1);
  const WE = tf.randomNormal([V, d], 0, 0.02, "float32", 2);
  const WEt = tf.transpose(WE);
  out.unembed_transposeB_ms = time(() => tf.matMul(x, WE, false, true));
  out.unembed_materialised_ms = time(() => tf.matMul(x, WEt));
  out.unembed_vocab_rows_ms = time(() => tf.transpose(tf.matMul(WE, x, false, true)));

  // Causal tracing repeats a [10, H, 16, e] block of keys/values for 36 restorations.
  const kv = tf.randomNormal([10, H, 16, e], 0, 1, "float32", 3);
  const n = 36;
  out.repeat_concat_ms = time(() => tf.concat(new Array<tf.Tensor>(n).fill(kv), 0));
  out.repeat_tile_ms = time(() => tf.tile(kv, [n, 1, 1, 1]));

  // Causal mask on [4, H, P, P] scores.
  const scores = tf.randomNormal([4, H, P, P], 0, 1, "float32", 4);
  const allowed = new Uint8Array(P * P);
  const add = new Float32Array(P * P);
  for (let q = 0; q < P; q++) for (let k = 0; k < P; k++) (k <= q ? (allowed[q * P + k] = 1) : (add[q * P + k] = -Infinity));
  const keep = tf.tensor(allowed, [1, 1, P, P], "bool");
  const addMask = tf.tensor(add, [1, 1, P, P]);
  const ninf = tf.scalar(-Infinity);
  out.mask_add_ms = time(() => tf.softmax(tf.add(scores, addMask)));
  out.mask_where_ms = time(() => tf.softmax(tf.where(keep, scores, ninf)));

  // A stack of 12 GPT-2-small-sized MLP + attention-projection blocks on 4 × 128 tokens.
  const W1 = tf.randomNormal([d, 4 * d], 0, 0.02, "float32", 5);
  const W2 = tf.randomNormal([4 * d, d], 0, 0.02, "float32", 6);
  const Wqkv = tf.randomNormal([d, 3 * d], 0, 0.02, "float32", 7);
  const Wo = tf.randomNormal([d, d], 0, 0.02, "float32", 8);
  const x0 = tf.randomNormal([4 * P, d], 0, 1, "float32", 9);
  let peak = 0;
  const block = (h: tf.Tensor2D) => {
    const qkv = tf.matMul(h, Wqkv);
    const a = tf.matMul(qkv.slice([0, 0], [-1, d]) as tf.Tensor2D, Wo);
    const mid = tf.add(h, a) as tf.Tensor2D;
    const y = tf.add(mid, tf.matMul(tf.relu(tf.matMul(mid, W1)), W2)) as tf.Tensor2D;
    peak = Math.max(peak, tf.memory().numBytes);
    return y;
  };
  const base = tf.memory().numBytes;
  peak = 0;
  out.tidy_per_block_ms = time(() => tf.tidy(() => {
    let h = x0 as tf.Tensor2D;
    for (let l = 0; l < 12; l++) {
      const prev = h;
      h = tf.tidy(() => block(prev));
      if (prev !== x0) prev.dispose();
    }
    return h;
  }));
  out.tidy_per_block_peak_mb = (peak - base) / 2 ** 20;
  peak = 0;
  out.tidy_whole_stack_ms = time(() => tf.tidy(() => {
    let h = x0 as tf.Tensor2D;
    for (let l = 0; l < 12; l++) h = block(h);
    return h;
  }));
  out.tidy_whole_stack_peak_mb = (peak - base) / 2 ** 20;

  // RMSNorm's division on SmolLM2's shapes.
  const xn = tf.randomNormal([1, P, 576], 0, 1, "float32", 10);
  const scale = tf.sqrt(tf.add(tf.mean(tf.square(xn), -1, true), 1e-5));
  out.norm_div_ms = time(() => tf.div(xn, scale));
  out.norm_mul_recip_ms = time(() => tf.mul(xn, tf.reciprocal(scale)));

  // Grouped-query attention scores and z, SmolLM2: 9 query heads, 3 KV heads, 128 positions.
  const G = 3, Hq = 9, r = Hq / G;
  const q = tf.randomNormal([1, Hq, P, e], 0, 1, "float32", 11);
  const K = tf.randomNormal([1, G, P, e], 0, 1, "float32", 12);
  const Vv = tf.randomNormal([1, G, P, e], 0, 1, "float32", 13);
  const idx = tf.tensor1d([0, 0, 0, 1, 1, 1, 2, 2, 2], "int32");
  out.gqa_gather_ms = time(() => {
    const p = tf.softmax(tf.matMul(q, tf.gather(K, idx, 1), false, true));
    return tf.matMul(p, tf.gather(Vv, idx, 1));
  });
  out.gqa_grouped_ms = time(() => {
    const p = tf.softmax(tf.reshape(tf.matMul(tf.reshape(q, [1, G, r * P, e]), K, false, true), [1, Hq, P, P]));
    return tf.reshape(tf.matMul(tf.reshape(p, [1, G, r * P, P]), Vv), [1, Hq, P, e]);
  });

  // The causal mask itself.
  out.mask_bandpart_ms = time(() => tf.tidy(() => {
    const tri = tf.cast(tf.linalg.bandPart(tf.ones([P, P]), -1, 0), "bool").reshape([1, 1, P, P]);
    return tf.where(tri, tf.zeros(tri.shape), tf.fill(tri.shape, -Infinity));
  }));
  out.mask_js_ms = time(() => {
    const m = new Float32Array(P * P);
    for (let i = 0; i < P; i++) for (let j = i + 1; j < P; j++) m[i * P + j] = -Infinity;
    return tf.tensor4d(m, [1, 1, P, P]);
  });
  console.log(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
