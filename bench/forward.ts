/**
 * Times one forward pass with a full activation cache on a randomly initialised GPT-2-small-sized
 * model (12 layers, d_model 768, 12 heads, vocab 50257, 128 tokens) on the default backend.
 * Prints one JSON line; bench/forward.sh compares it with PyTorch measured in the same run.
 * Usage: node dist/bench/forward.js [--tokens 128] [--reps 3] [--serve]
 *   --serve: after the warm-up, times `reps` forwards and prints a line for every line read on stdin
 *            (bench/interleave.ts: bench/forward.sh alternates it with PyTorch in rounds)
 */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../lib/backend";
import { createModel } from "../lib/model/init";
import { HookedTransformer, type WeightsInit } from "../lib/model/model";
import { fusedQKV } from "../lib/model/attention";
import { transposedWin } from "../lib/model/mlp";
import { serve } from "./interleave";

/**
 * The same model with every block bias 0.01 instead of 0. A fresh model's biases are zeros, which
 * attnlab skips adding (lib/model/linear.ts, isZeroBias) and a trained GPT-2's never are; PyTorch
 * adds them whatever their values. b_U stays zero: GPT-2's lm_head has no bias.
 */
function withBiases(base: HookedTransformer): HookedTransformer {
  const w = base.weights as unknown as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  for (const k of Object.keys(w)) if (k !== "W_U") init[k] = w[k]; // W_U: tied, built on first use
  const nz = (t: tf.Tensor | undefined) => (t ? tf.fill(t.shape, 0.01) : t);
  init.blocks = base.weights.blocks.map((b) => ({ ...b, b_Q: nz(b.b_Q), b_K: nz(b.b_K), b_V: nz(b.b_V), b_O: nz(b.b_O), b_in: nz(b.b_in), b_out: nz(b.b_out) }));
  // The base model's derived copies (fused QKV, transposed W_in) and zero biases are not used again.
  fusedQKV.release(base.weights.blocks);
  transposedWin.release(base.weights.blocks);
  for (const b of base.weights.blocks) for (const t of [b.b_Q, b.b_K, b.b_V, b.b_O, b.b_in, b.b_out]) t?.dispose();
  return new HookedTransformer(base.config, init as unknown as WeightsInit);
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const tokens = arg("tokens", 128);
  const reps = arg("reps", 3);
  const backend = await ready();
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
  const t0 = performance.now();
  const model = withBiases(createModel({ arch: "gpt2", nLayers: 12, dModel: 768, nHeads: 12, dVocab: 50257, nCtx: 1024 }, { seed: 0 }));
  const initMs = performance.now() - t0;
  sample();
  const ids: number[] = [];
  for (let i = 0; i < tokens; i++) ids.push((i * 7919 + 13) % 50257);

  const once = () => {
    const s = performance.now();
    const { logits, cache } = model.runWithCache(ids);
    // One logit read forces the forward to complete on every backend. Not the whole [1, 128, 50,257]
    // array: copying the 25 MB out of TensorFlow into a fresh JS array took ~21 ms on tfjs-node
    // (median of 15, 2026-12-02), work the PyTorch peer, whose output stays a tensor, does not do.
    const one = tf.slice(logits, [0, 0, 0], [1, 1, 1]);
    one.dataSync();
    one.dispose();
    const ms = performance.now() - s;
    sample();
    const mem = tf.memory();
    const names = cache.names().length;
    cache.dispose();
    logits.dispose();
    return { ms, tfBytes: mem.numBytes, tfTensors: mem.numTensors, names };
  };
  once(); // warm-up: wasm kernel set-up and heap growth
  const report = () => {
    const runs = Array.from({ length: reps }, once);
    const times = runs.map((r) => r.ms).sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const maxRssKb = process.resourceUsage().maxRSS;
    console.log(
      JSON.stringify({
        impl: "attnlab",
        backend,
        tokens,
        reps,
        init_s: initMs / 1000,
        forward_ms_median: median,
        forward_ms_all: times,
        cached_activations: runs[0].names,
        tf_bytes_with_cache: runs[0].tfBytes,
        tf_tensors_with_cache: runs[0].tfTensors,
        peak_rss_mb: Math.max(peakRss / 2 ** 20, maxRssKb / 1024),
      }),
    );
  };
  if (process.argv.includes("--serve")) await serve(report);
  else report();
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
