/**
 * attnlab side of bench/causal_trace.sh: the full causal-tracing grid (hidden, MLP, attention;
 * 10 noise samples) for a 16-token prompt on a random GPT-2-small-sized model, with the fast
 * path, and the naive path (one hooked forward pass per restoration) on the sampled cells.
 *   node dist/bench/causal_trace.js MODEL_DIR PLAN_JSON [--full-naive]
 */
import * as fs from "fs";
import { ready } from "../lib/backend";
import { loadPretrained } from "../lib/pretrained";
import { causalTrace } from "../lib/methods/tracing";
import { causalTraceNaive } from "../lib/methods/tracing_naive";

async function main(): Promise<void> {
  const [dir, planFile] = process.argv.slice(2);
  const fullNaive = process.argv.includes("--full-naive");
  await ready();
  const plan = JSON.parse(fs.readFileSync(planFile, "utf8"));
  const buf = fs.readFileSync(plan.noise_file);
  const noiseDraws = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const model = await loadPretrained(dir, { tokenizer: false });
  const opts = { subject: plan.subject as [number, number], samples: 10, noiseDraws };
  // plan.workers: one worker count or a list; the fast path runs once per count, the first list entry is "the" fast run.
  const counts: number[] = Array.isArray(plan.workers) ? plan.workers : [plan.workers];
  const byWorkers: { workers: number; seconds: number }[] = [];
  let plannedPasses = 0;
  let fast!: Awaited<ReturnType<typeof causalTrace>>;
  for (const w of counts) {
    const t = Date.now();
    const r = await causalTrace(model, plan.ids, { ...opts, workers: w, onPlan: (p) => (plannedPasses = p.forwardPasses) });
    byWorkers.push({ workers: w, seconds: (Date.now() - t) / 1000 });
    if (!fast) fast = r;
  }
  const best = byWorkers.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const secondsFast = best.seconds;
  let t0 = Date.now();
  const naive = await causalTraceNaive(model, plan.ids, fullNaive ? opts : { ...opts, cells: plan.cells });
  const secondsNaive = (Date.now() - t0) / 1000;
  const L = model.config.nLayers;
  const fastAt = (c: { kind: "hidden" | "mlp" | "attn"; pos: number; layer: number }) => fast.grids[c.kind]!.scores[c.pos * L + c.layer];
  const naiveAt = (c: { kind: "hidden" | "mlp" | "attn"; pos: number; layer: number }) => naive.grids[c.kind]!.scores[c.pos * L + c.layer];
  let diff = 0;
  for (const c of plan.cells) diff = Math.max(diff, Math.abs(fastAt(c) - naiveAt(c)));
  console.log(JSON.stringify({
    answer: fast.answer.id, pClean: fast.pClean, pCorrupted: fast.pCorrupted, noise: fast.settings.noise,
    secondsFast, workers: best.workers, byWorkers, forwardPassesFast: plannedPasses,
    secondsNaive, naiveCells: fullNaive ? 3 * L * plan.ids.length : plan.cells.length, maxDiffFastVsNaive: diff,
    fastValues: plan.cells.map(fastAt),
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
