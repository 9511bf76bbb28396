/**
 * attnlab side of bench/attribution_patching.sh: attribution patching of every head (hook_z, all
 * positions) and every (layer, position) of the residual stream (resid_pre), against exact
 * activation patching of the same two grids, on a GPT-2-small-sized model and a 16-token pair.
 *   node dist/bench/attribution_patching.js MODEL_DIR PLAN_JSON
 * Prints one JSON line: median times over `repeats`, the correlations, and the grids.
 */
import * as fs from "fs";
import { ready } from "../lib/backend";
import { loadPretrained } from "../lib/pretrained";
import { attributionPatching, pearson } from "../lib/methods/attribution_patching";
import { patchHeadOut, patchResidByPos } from "../lib/methods/patching";

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function main(): Promise<void> {
  const [dir, planFile] = process.argv.slice(2);
  await ready();
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
  const model = await loadPretrained(dir, { tokenizer: false });
  const { clean, corrupted, repeats } = plan as { clean: number[]; corrupted: number[]; repeats: number };
  // Answer: the clean run's top token; wrong: the corrupted run's, or the clean runner-up if they agree.
  const top2 = (ids: number[]) => {
    const lg = model.run([ids]);
    const row = Array.from(lg.slice([0, ids.length - 1, 0], [1, 1, -1]).dataSync());
    lg.dispose();
    const order = row.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]);
    return [order[0][1], order[1][1]];
  };
  const [answer, second] = top2(clean);
  const corrTop = top2(corrupted)[0];
  const metric = { answer, wrong: corrTop === answer ? second : corrTop };
  const q = { progressBar: false, onProgress: undefined } as const;
  // One warm-up of each path (kernels compiled, weights paged in), then `repeats` timed runs.
  await attributionPatching(model, clean, corrupted, { metric, grids: ["resid", "heads"], ...q });
  const tAttr: number[] = [];
  const tResid: number[] = [];
  const tHeads: number[] = [];
  let attr = null as Awaited<ReturnType<typeof attributionPatching>> | null;
  let resid = null as Awaited<ReturnType<typeof patchResidByPos>> | null;
  let heads = null as Awaited<ReturnType<typeof patchHeadOut>> | null;
  for (let r = 0; r < repeats; r++) {
    let t0 = performance.now();
    attr = await attributionPatching(model, clean, corrupted, { metric, grids: ["resid", "heads"], ...q });
    tAttr.push(performance.now() - t0);
    t0 = performance.now();
    resid = await patchResidByPos(model, clean, corrupted, { metric, ...q });
    tResid.push(performance.now() - t0);
    t0 = performance.now();
    heads = await patchHeadOut(model, clean, corrupted, { metric, ...q });
    tHeads.push(performance.now() - t0);
  }
  console.log(JSON.stringify({
    metric, cleanMetric: attr!.cleanMetric[0], corruptedMetric: attr!.corruptedMetric[0],
    secondsAttribution: median(tAttr) / 1000, secondsExactResid: median(tResid) / 1000, secondsExactHeads: median(tHeads) / 1000,
    timesAttribution: tAttr, timesExactResid: tResid, timesExactHeads: tHeads,
    passesExact: resid!.settings.forwardPasses + heads!.settings.forwardPasses,
    rResid: pearson(attr!.grids.resid!.data, resid!.data), rHeads: pearson(attr!.grids.heads!.data, heads!.data),
    residEstimate: Array.from(attr!.grids.resid!.data), residExact: Array.from(resid!.data),
    headsEstimate: Array.from(attr!.grids.heads!.data), headsExact: Array.from(heads!.data),
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
