/**
 * attnlab side of bench/smollm2_trace.sh: the full causal-tracing grid (hidden, MLP, attention;
 * window 10, 10 noise samples) of one 10-token fact on loadModel("smollm2-135m"), fast path, with
 * the noise draws the PyTorch side reads too. Prints one JSON line (with every cell's p(answer),
 * so the shell script can compare the two grids).
 *   node dist/bench/smollm2_trace.js PLAN_JSON
 */
import * as fs from "fs";
import { causalTrace } from "../lib/methods/tracing";
import { loadModel } from "../lib/zoo";

async function main(): Promise<void> {
  const plan = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const buf = fs.readFileSync(plan.noise_file);
  const noiseDraws = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  let t0 = Date.now();
  const model = await loadModel("smollm2-135m");
  const loadSeconds = (Date.now() - t0) / 1000;
  const ids: number[] = model.tokenizer!.encode(plan.prompt).ids;
  if (ids.length !== plan.tokens) throw new Error(`the prompt has ${ids.length} tokens, the plan says ${plan.tokens}`);
  let passes = 0;
  t0 = Date.now();
  const r = await causalTrace(model, ids, {
    subject: plan.subject as [number, number], samples: 10, window: 10, noiseDraws, workers: plan.workers,
    onPlan: (p) => (passes = p.forwardPasses),
  });
  const seconds = (Date.now() - t0) / 1000;
  const L = model.config.nLayers;
  const values: Record<string, number[]> = {};
  for (const k of ["hidden", "mlp", "attn"] as const) values[k] = Array.from(r.grids[k]!.scores);
  console.log(JSON.stringify({
    ids, tokens: r.tokens, answer: r.answer.id, answerToken: r.answer.token, pClean: r.pClean, pCorrupted: r.pCorrupted,
    noise: r.settings.noise, seconds, loadSeconds, workers: r.settings.workers, forwardPasses: passes, layers: L, values,
  }));
  model.dispose();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
