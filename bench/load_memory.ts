/**
 * Memory of loading one model: the process's peak RSS while loading (the kernel's high-water mark,
 * so the synchronous load cannot hide a transient from a sampling timer), its RSS right after the
 * load, after one short forward pass (which makes tfjs-node upload any tensor still held on the
 * host) and after a full V8 collection. One model per process, so the figures do not mix.
 *   node dist/bench/load_memory.js smollm2-135m|all-MiniLM-L6-v2|FOLDER   # prints one JSON line
 * bench/load_memory.sh runs it for GPT-2 small (random weights, safetensors) and SmolLM2-135M.
 */
import * as tf from "@tensorflow/tfjs";
import * as v8 from "v8";
import * as vm from "vm";
import { ready } from "../lib/backend";
import { loadPretrained } from "../lib/pretrained";
import { loadModel } from "../lib/zoo";

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const peakMb = () => Math.round(process.resourceUsage().maxRSS / 102.4) / 10; // maxRSS is in KiB

/** A full collection without --expose-gc (as a notebook kernel runs). */
function fullGc(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

async function main(): Promise<void> {
  const what = process.argv[2];
  if (!what) throw new Error("usage: node dist/bench/load_memory.js smollm2-135m|all-MiniLM-L6-v2|FOLDER");
  const backend = await ready();
  const rssReady = process.memoryUsage().rss;
  const t0 = performance.now();
  const model = what.includes("/") ? await loadPretrained(what, { tokenizer: false }) : await loadModel(what);
  const loadMs = performance.now() - t0;
  const peakLoad = peakMb();
  const rssLoaded = process.memoryUsage().rss;
  const ext = process.memoryUsage().arrayBuffers;
  const ids = [[0, 100, 200, 300, 400, 500, 600, 700]];
  const logits = model.run(ids);
  logits.dataSync();
  logits.dispose();
  const rssForward = process.memoryUsage().rss;
  const peakForward = peakMb();
  fullGc();
  const rssGc = process.memoryUsage().rss;
  console.log(JSON.stringify({
    model: what, backend, load_ms: Math.round(loadMs),
    rss_ready_mb: mb(rssReady), peak_rss_load_mb: peakLoad, rss_loaded_mb: mb(rssLoaded),
    array_buffers_loaded_mb: mb(ext), rss_after_forward_mb: mb(rssForward), peak_rss_forward_mb: peakForward,
    rss_after_gc_mb: mb(rssGc), array_buffers_after_gc_mb: mb(process.memoryUsage().arrayBuffers), tensor_mb: mb(tf.memory().numBytes),
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
