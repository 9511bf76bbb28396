/**
 * attnlab side of bench/patching.sh: activation-patching sweeps on a random GPT-2-small-sized
 * model, 16 tokens: the residual stream entering each block by (layer, pos) (192 cells) and each
 * head's output over all positions (hook_z, 144 cells), logit-difference metric at the last position.
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
  const metric = { answer: plan.answer as number, wrong: plan.wrong as number };
  let t0 = performance.now();
  const resid = await patchResidByPos(model, plan.clean, plan.corrupted, { metric });
  const secondsResid = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const heads = await patchHeadOut(model, plan.clean, plan.corrupted, { metric });
  const secondsHeads = (performance.now() - t0) / 1000;
  clearInterval(timer);
  console.log(JSON.stringify({
    impl: "attnlab", backend, seconds_resid_pre: secondsResid, seconds_head_out: secondsHeads,
    clean_metric: resid.cleanMetric, corrupted_metric: resid.corruptedMetric,
    resid_pre: Array.from(resid.raw), head_out: Array.from(heads.raw),
    passes: [resid.settings.forwardPasses, heads.settings.forwardPasses], rows_per_pass: [resid.settings.rowsPerPass, heads.settings.rowsPerPass],
    peak_rss_mb: Math.max(peakRss / 2 ** 20, process.resourceUsage().maxRSS / 1024),
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
