/**
 * attnlab side of bench/patching.sh: activation-patching sweeps on a random GPT-2-small-sized
 * model, 16 tokens: the residual stream entering each block by (layer, pos) (192 cells) and each
 * head's output over all positions (hook_z, 144 cells), logit-difference metric at the last position.
 * Each grid runs BENCH_REPS times (default 3); the times reported are the medians (all in *_all).
 *   node dist/bench/patching.js MODEL_DIR PLAN_JSON   # prints one JSON line
 */
import * as fs from "fs";
import { ready } from "../lib/backend";
import { loadPretrained } from "../lib/pretrained";
import { patchHeadOut, patchResidByPos } from "../lib/methods/patching";

async function main(): Promise<void> {
  const [dir, planFile] = process.argv.slice(2);
  const backend = await ready();
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
  let peakRss = process.memoryUsage().rss;
  const timer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  const model = await loadPretrained(dir, { tokenizer: false });
  const rssLoaded = process.memoryUsage().rss;
  const metric = { answer: plan.answer as number, wrong: plan.wrong as number };
  const reps = Math.max(1, Number(process.env.BENCH_REPS ?? 3));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const allResid: number[] = [];
  const allHeads: number[] = [];
  let resid!: Awaited<ReturnType<typeof patchResidByPos>>;
  let heads!: Awaited<ReturnType<typeof patchHeadOut>>;
  for (let r = 0; r < reps; r++) {
    let t0 = performance.now();
    resid = await patchResidByPos(model, plan.clean, plan.corrupted, { metric });
    allResid.push((performance.now() - t0) / 1000);
    t0 = performance.now();
    heads = await patchHeadOut(model, plan.clean, plan.corrupted, { metric });
    allHeads.push((performance.now() - t0) / 1000);
  }
  const secondsResid = median(allResid);
  const secondsHeads = median(allHeads);
  clearInterval(timer);
  console.log(JSON.stringify({
    impl: "attnlab", backend, seconds_resid_pre: secondsResid, seconds_head_out: secondsHeads,
    seconds_resid_pre_all: allResid, seconds_head_out_all: allHeads, engine: resid.settings.engine,
    clean_metric: resid.cleanMetric, corrupted_metric: resid.corruptedMetric,
    resid_pre: Array.from(resid.raw), head_out: Array.from(heads.raw),
    passes: [resid.settings.forwardPasses, heads.settings.forwardPasses], rows_per_pass: [resid.settings.rowsPerPass, heads.settings.rowsPerPass],
    peak_rss_mb: Math.max(peakRss / 2 ** 20, process.resourceUsage().maxRSS / 1024),
    rss_after_load_mb: rssLoaded / 2 ** 20,
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
