import * as tf from "@tensorflow/tfjs";
import { actName } from "../../../lib/hooks/names";
import { attributions, kendallTauB } from "../../../lib/methods/attribution";
import { adversarialAttention, permutationStudy, permutationTest } from "../../../lib/methods/counterfactual";
import { jsd, tvd } from "../../../lib/methods/metrics";
import { Rng } from "../../../lib/methods/rng";
import { createModel } from "../../../lib/model";
import type { TransformerModel } from "../../../lib/model/types";
import { inductionModel, initBackend, randomGpt2 } from "./helpers";

beforeAll(initBackend);

test("Kendall tau-b with ties (scipy's documented example) and distances", () => {
  expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.47140452079103173, 10);
  expect(kendallTauB([1, 2, 3], [3, 2, 1])).toBe(-1);
  expect(() => kendallTauB([1, 2], [1])).toThrow(/same length/);
  expect(tvd([1, 0], [0, 1])).toBe(1);
  expect(jsd([1, 0], [0, 1])).toBeCloseTo(Math.log(2), 10);
});

describe("attribution on a random model", () => {
  let model: ReturnType<typeof randomGpt2>;
  const ids = [4, 19, 33, 2, 41, 7, 28];
  beforeAll(() => {
    model = randomGpt2(17);
  });
  afterAll(() => model.dispose());

  test("grad×input holds attention fixed; IG is complete; leave-one-out is a TVD", () => {
    const r = attributions(model, ids, { layer: 2, head: 1, steps: 64 });
    expect(r.kind).toBe("attribution");
    const P = ids.length;
    const pred = r.predicted.id;
    // Directional derivative along the embeddings with every pattern fixed = Σ_t grad·e_t.
    const names = [0, 1, 2].map((l) => actName("pattern", l));
    const { logits: l0, cache } = model.runWithCache([ids], { names });
    const emb = tf.tidy(() => tf.gather(model.weights.W_E, tf.tensor1d(ids, "int32")).expandDims(0));
    const f = (scale: number) => tf.tidy(() => {
      const { logits } = model.runWithHooks([ids], [{ name: "hook_embed", fn: () => emb.mul(scale) }, ...names.map((n) => ({ name: n, fn: () => cache.get(n) }))]);
      return tf.softmax(logits.slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[pred];
    });
    const h = 1e-2;
    const fd = (f(1 + h) - f(1 - h)) / (2 * h);
    const sum = r.raw.gradInput.reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(fd, 3);
    // Completeness: Σ IG ≈ p(x) − p(0 embedding) (positions kept).
    const p0 = tf.tidy(() => {
      const { logits } = model.runWithHooks([ids], [{ name: "hook_embed", fn: () => emb.mul(0) }]);
      return tf.softmax(logits.slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[pred];
    });
    expect(r.raw.integratedGradients.reduce((a, b) => a + b, 0)).toBeCloseTo(r.predicted.prob - p0, 2);
    expect(r.gradInput.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Leave-one-out of token 2.
    const lg = model.run([ids.filter((_, i) => i !== 2)]);
    const q = tf.softmax(lg.slice([0, P - 2, 0], [1, 1, -1]).reshape([-1])).dataSync();
    const full = tf.softmax(l0.slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])).dataSync();
    expect(r.leaveOneOut[2]).toBeCloseTo(tvd(q, full), 5);
    expect(Number.isNaN(r.leaveOneOut[P - 1])).toBe(true);
    expect(r.kendall.gradInput).toBeGreaterThanOrEqual(-1);
    expect(r.kendall.gradInput).toBeLessThanOrEqual(1);
    [lg, l0, emb].forEach((t) => t.dispose());
    cache.dispose();
    expect(() => attributions(model, ids, { head: 7 })).toThrow(/head must be an integer in \[0, 3\]/);
    expect(() => attributions(model, [1, 2, 3])).toThrow(/at least 4 tokens/);
  });

  test("adversarial attention: Adam finds different attention; reports candidates within ε", async () => {
    const r = await adversarialAttention(model, ids, { layer: 1, head: 0, k: 3, steps: 40, seed: 2 });
    expect(r.shape).toEqual([3, 7]);
    for (let i = 0; i < 3; i++) {
      const row = r.candidates.subarray(i * 7, (i + 1) * 7);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(Math.max(...r.jsd)).toBeGreaterThan(0.05);
    expect(r.settings).toMatchObject({ k: 3, lambda: 500, epsilon: 0.01 });
    const within = Array.from(r.jsd).filter((_, i) => r.outputTvd[i] <= 0.01);
    expect(r.maxJsdWithinEpsilon).toBe(within.length ? Math.max(...within) : null);
  });
});

test("permutation test: a sharp induction head's permutations change the output, seeded", async () => {
  const model = inductionModel();
  const half = [3, 8, 1, 10, 6, 2, 9, 4];
  const ids = [0, ...half, ...half.slice(0, 5)];
  const a = await permutationTest(model, ids, { layer: 1, head: 0, seed: 5 });
  const b = await permutationTest(model, ids, { layer: 1, head: 0, seed: 5 });
  expect(a.kind).toBe("attention-permutation");
  expect(a.tvd.length).toBe(100);
  expect(Array.from(a.tvd)).toEqual(Array.from(b.tvd));
  expect(a.maxAttention).toBeGreaterThan(0.9);
  expect(a.medianTvd).toBeGreaterThan(0.5);
  expect(a.medianJsd).toBeLessThanOrEqual(Math.log(2) + 1e-6);
  const study = await permutationStudy(model, [ids, ids.slice(0, 12)], { layer: 1, head: 0, seed: 5, permutations: 20 });
  const second = await permutationTest(model, ids.slice(0, 12), { layer: 1, head: 0, seed: 6, permutations: 20 });
  expect(study.kind).toBe("attention-permutation-study");
  expect(study.medianTvd.length).toBe(2);
  expect(study.medianTvd[1]).toBeCloseTo(second.medianTvd, 6);
  expect(study.maxAttention[1]).toBeCloseTo(second.maxAttention, 6);
});

describe("counterfactual attention: the KV-cached last-row path equals the whole forward with a hook", () => {
  // Whole forward with head `head`'s last-query row of layer `layer` replaced: [B, vocab].
  const full = (model: TransformerModel, ids: number[], layer: number, head: number, rows: number[][]) => tf.tidy(() => {
    const P = ids.length;
    const H = model.config.nHeads;
    const { logits } = model.runWithHooks(rows.map(() => ids), [{
      name: actName("pattern", layer),
      fn: (act: tf.Tensor) => {
        const m = new Uint8Array(H * P);
        m[head * P + P - 1] = 1;
        return tf.where(tf.tensor(m, [1, H, P, 1], "bool"), tf.broadcastTo(tf.tensor2d(rows).reshape([rows.length, 1, 1, P]), act.shape), act);
      },
    }]);
    return tf.softmax(logits.slice([0, P - 1, 0], [rows.length, 1, -1]).reshape([rows.length, -1])).arraySync() as number[][];
  });
  const models: [string, () => TransformerModel][] = [
    ["GPT-2", () => randomGpt2(23)],
    ["Llama (GQA, rotary)", () => createModel({ arch: "llama", nLayers: 4, dModel: 32, nHeads: 4, nKVHeads: 2, dMlp: 48, dVocab: 100, nCtx: 32, rotaryBase: 50 }, { seed: 21, initStd: 0.3 })],
  ];
  test.each(models)("permutationTest and adversarialAttention on %s", async (_, make) => {
    const model = make();
    const ids = [4, 19, 33, 2, 41, 7, 28, 11];
    const P = ids.length;
    try {
      for (const layer of [0, 2]) {
        const r = await permutationTest(model, ids, { layer, head: 1, permutations: 6, seed: 3 });
        const rng = new Rng(3);
        const perms = Array.from({ length: 6 }, () => rng.permutation(P));
        const ref = full(model, ids, layer, 1, perms.map((p) => p.map((i) => r.attention[i])));
        const clean = full(model, ids, layer, 1, [Array.from(r.attention)])[0];
        ref.forEach((q, i) => expect(Math.abs(r.tvd[i] - tvd(q, clean))).toBeLessThan(1e-5));
        expect(Math.max(...r.tvd)).toBeGreaterThan(1e-3); // the permutations do change the output
      }
      const adv = await adversarialAttention(model, ids, { layer: 1, head: 3, k: 2, steps: 5, seed: 1 });
      const rows = [0, 1].map((i) => Array.from(adv.candidates.subarray(i * P, (i + 1) * P)));
      const clean = full(model, ids, 1, 3, [Array.from(adv.attention)])[0];
      full(model, ids, 1, 3, rows).forEach((q, i) => expect(Math.abs(adv.outputTvd[i] - tvd(q, clean))).toBeLessThan(1e-5));
    } finally {
      model.dispose();
    }
  });
});

test("adversarialAttention reports one progress tick per Adam step", async () => {
  const model = randomGpt2(5);
  try {
    const events: number[] = [];
    const plans: number[] = [];
    const r = await adversarialAttention(model, [4, 19, 33, 2, 41], { layer: 1, head: 0, k: 2, steps: 3, seed: 0, onProgress: (e) => events.push(e.done), onPlan: (p) => plans.push(p.units) });
    expect(events).toEqual([1, 2, 3]);
    expect(plans).toEqual([3]);
    expect(r.settings.steps).toBe(3);
  } finally {
    model.dispose();
  }
});
