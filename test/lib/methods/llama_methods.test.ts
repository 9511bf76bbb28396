/**
 * Every method family on a Llama-family model (RMSNorm, rotary, grouped-query attention, SwiGLU):
 * causal tracing's fast path equals ROME's procedure run with hooks (RoPE positions in the suffix
 * recompute, shared key/value heads), the logit lens ends at the model's output, and patterns,
 * head scores, induction, ablation, patching, attributions, direct logit attribution, attribution
 * patching and probes run and give finite numbers of the right shape.
 */
import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../lib/model";
import type { HookedTransformer } from "../../../lib/model/model";
import { ablateHeads } from "../../../lib/methods/ablation";
import { attributions } from "../../../lib/methods/attribution";
import { attributionPatching } from "../../../lib/methods/attribution_patching";
import { inductionScores } from "../../../lib/methods/induction";
import { logitLens } from "../../../lib/methods/lens";
import { logitAttribution } from "../../../lib/methods/logit_attribution";
import { patchHeadOut, patchResidByPos } from "../../../lib/methods/patching";
import { attentionPattern, headScores } from "../../../lib/methods/patterns";
import { probe } from "../../../lib/methods/probing";
import { causalTrace } from "../../../lib/methods/tracing";
import { causalTraceNaive } from "../../../lib/methods/tracing_naive";
import { initBackend, maxAbsDiff, tinyTokenizer } from "./helpers";

beforeAll(initBackend);

let model: HookedTransformer;
beforeAll(() => {
  model = createModel(
    { arch: "llama", nLayers: 4, dModel: 32, nHeads: 4, nKVHeads: 2, dMlp: 48, dVocab: 1000, nCtx: 32, rotaryBase: 50 },
    { seed: 21, initStd: 0.3, tokenizer: tinyTokenizer() },
  );
});
afterAll(() => model.dispose());

const finite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite);
const ids = [5, 17, 230, 48, 9, 77, 301, 12];

describe("methods on a Llama model (GQA, rotary)", () => {
  test("causalTrace: the fast path equals ROME's procedure run with hooks, on one thread and with a worker", async () => {
    const opts = { subject: [2, 4] as [number, number], samples: 3, window: 2, seed: 4 };
    const fast = await causalTrace(model, ids, { ...opts, workers: 0 });
    const naive = await causalTraceNaive(model, ids, opts);
    expect(fast.pClean).toBeCloseTo(naive.pClean, 5);
    expect(fast.pCorrupted).toBeCloseTo(naive.pCorrupted, 5);
    expect(Math.abs(fast.pClean - fast.pCorrupted)).toBeGreaterThan(1e-3);
    for (const k of ["hidden", "mlp", "attn"] as const) expect(maxAbsDiff(fast.grids[k]!.scores, naive.grids[k]!.scores)).toBeLessThan(2e-5);
    const w = await causalTrace(model, ids, { ...opts, workers: 1 });
    for (const k of ["hidden", "mlp", "attn"] as const) expect(maxAbsDiff(w.grids[k]!.scores, fast.grids[k]!.scores)).toBeLessThan(1e-6);
  }, 120000);

  test("logitLens: the last row is the model's own output distribution", () => {
    const r = logitLens(model, ids, { topK: 3 });
    const lg = model.run([ids]);
    const probs = tf.softmax(lg).dataSync();
    lg.dispose();
    const L = model.config.nLayers;
    const P = ids.length;
    for (let p = 0; p < P; p++) {
      const top = r.topIds[(L * P + p) * 3];
      expect(r.topProbs[(L * P + p) * 3]).toBeCloseTo(probs[p * 1000 + top], 5);
    }
  });

  test("patterns, head scores and induction scores have one entry per query head", () => {
    const pat = attentionPattern(model, ids, { layer: 1 });
    expect(pat.shape).toEqual([4, 8, 8]);
    const hs = headScores(model, ids);
    expect(hs.shape).toEqual([4, 4]);
    expect(finite(hs.scores.previous_token)).toBe(true);
    const ind = inductionScores(model, { seqLen: 8, batch: 2, seed: 1 });
    expect(ind.shape).toEqual([4, 4]);
    expect(finite(ind.prefixMatching) && finite(ind.copying)).toBe(true);
  });

  test("ablation, activation patching (per query head through hook_z), attributions, direct logit attribution, attribution patching, probes", async () => {
    const ab = await ablateHeads(model, ids, { measure: "loss" });
    expect(ab.shape).toEqual([4, 4]);
    expect(finite(ab.effects)).toBe(true);
    const corrupted = [5, 17, 231, 49, 9, 77, 301, 12];
    const metric = { answer: 7, wrong: 11 };
    const ph = await patchHeadOut(model, ids, corrupted, { metric });
    expect(ph.shape).toEqual([4, 4]);
    expect(finite(ph.raw)).toBe(true);
    const pr = await patchResidByPos(model, ids, corrupted, { metric });
    expect(finite(pr.raw)).toBe(true);
    // Positions before the first changed token carry the same residual in both runs: patching them changes nothing.
    expect(pr.raw[0 * 8 + 1]).toBeCloseTo(pr.corruptedMetric, 4);
    const at = attributions(model, ids, { layer: 2, head: 3, steps: 16 });
    expect(finite(at.gradInput)).toBe(true);
    const la = logitAttribution(model, ids, { answer: 7 });
    expect(la.centred).toBe(false); // RMSNorm
    expect(la.total).toBeCloseTo(la.value, 3);
    const ap = await attributionPatching(model, ids, corrupted, { metric });
    expect(finite(ap.grids.heads!.data)).toBe(true);
    const words = ["the", "dog", "saw", "a", "cat", "ran"];
    const labels = ["DET", "N", "V", "DET", "N", "V"];
    const ex = Array.from({ length: 12 }, (_, i) => ({ words: i % 2 ? words : [...words].reverse(), labels: i % 2 ? labels : [...labels].reverse() }));
    const p = await probe(model, ex, { sites: ["resid_post"], maxEpochs: 20, control: false });
    expect(p.shape).toEqual([1, 4]);
    expect(finite(p.accuracy)).toBe(true);
  }, 120000);
});
