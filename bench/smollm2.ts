/**
 * SmolLM2-135M (loadModel("smollm2-135m")): load time and memory, then a forward pass of `--tokens`
 * tokens with every activation cached, timed `--reps` times after a warm-up. Prints one JSON line;
 * bench/smollm2.sh runs it beside PyTorch on the same GGUF weights.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../lib/methods/rng";
import { loadModel } from "../lib/zoo";

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

async function main(): Promise<void> {
  const tokens = arg("tokens", 128);
  const reps = arg("reps", 5);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = await loadModel("smollm2-135m");
  const loadMs = performance.now() - t0;
  const rssLoaded = process.memoryUsage().rss;
  const rng = new Rng(0);
  const ids = [0, ...Array.from({ length: tokens - 1 }, () => 100 + rng.int(49152 - 100))];
  const times: number[] = [];
  let peak = rssLoaded;
  for (let r = 0; r <= reps; r++) {
    const s = performance.now();
    const { logits, cache } = model.runWithCache([ids]);
    logits.dataSync();
    const ms = performance.now() - s;
    peak = Math.max(peak, process.memoryUsage().rss);
    if (r > 0) times.push(ms);
    cache.dispose();
    logits.dispose();
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({
    backend: tf.getBackend(), tokens, reps, load_ms: loadMs,
    rss_before_mb: rss0 / 2 ** 20, rss_loaded_mb: rssLoaded / 2 ** 20, peak_rss_mb: peak / 2 ** 20,
    weights_mb: tf.memory().numBytes / 2 ** 20,
    forward_ms_median: times[Math.floor(times.length / 2)], forward_ms_all: times,
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
