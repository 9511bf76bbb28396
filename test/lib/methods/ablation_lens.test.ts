import * as tf from "@tensorflow/tfjs";
import { actName } from "../../../lib/hooks/names";
import { ablate, ablateHeads, ablateLayers } from "../../../lib/methods/ablation";
import { logitLens } from "../../../lib/methods/lens";
import { inductionModel, initBackend, maxAbsDiff, randomGpt2 } from "./helpers";

beforeAll(initBackend);

describe("ablation", () => {
  let model: ReturnType<typeof randomGpt2>;
  const ids = [2, 7, 1, 8, 2, 8, 1, 8];
  beforeAll(() => {
    model = randomGpt2(13);
  });
  afterAll(() => model.dispose());

  test("zero-ablating a head equals a hand-made hook; batched grid matches", async () => {
    const grid = await ablateHeads(model, ids, { measure: "loss" });
    expect(grid.shape).toEqual([3, 4]);
    const one = await ablate(model, ids, [{ type: "head", layer: 1, head: 2 }], { measure: "loss" });
    expect(one.values[0]).toBeCloseTo(grid.values[1 * 4 + 2], 5);
    const { logits } = model.runWithHooks([ids], [{
      name: actName("z", 1),
      fn: (z) => tf.tidy(() => tf.concat([z.slice([0, 0, 0, 0], [-1, -1, 2, -1]), tf.zerosLike(z.slice([0, 0, 2, 0], [-1, -1, 1, -1])), z.slice([0, 0, 3, 0], [-1, -1, 1, -1])], 2)),
    }]);
    const lp = tf.tidy(() => {
      const l = tf.logSoftmax(logits.reshape([8, -1]));
      let s = 0;
      for (let t = 0; t < 7; t++) s -= l.slice([t, ids[t + 1]], [1, 1]).dataSync()[0];
      return s / 7;
    });
    expect(one.values[0]).toBeCloseTo(lp, 4);
    logits.dispose();
  });

  test("mean, resample and KL; layer ablation shapes; errors", async () => {
    const refs = [[3, 4, 5, 6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17, 18, 19]];
    const mean = await ablateLayers(model, ids, { method: "mean", reference: refs, measure: "kl" });
    expect(mean.shape).toEqual([2, 3]);
    for (const v of mean.values) expect(v).toBeGreaterThan(0);
    const r1 = await ablateLayers(model, ids, { method: "resample", reference: refs, seed: 3, measure: "logit_diff", answer: 1, wrong: 2 });
    const r2 = await ablateLayers(model, ids, { method: "resample", reference: refs, seed: 3, measure: "logit_diff", answer: 1, wrong: 2 });
    expect(maxAbsDiff(r1.values, r2.values)).toBe(0);
    expect(r1.settings.seed).toBe(3);
    await expect(ablate(model, ids, [{ type: "head", layer: 0, head: 9 }])).rejects.toThrow(/head must be an integer in \[0, 3\]/);
    await expect(ablate(model, ids, [{ type: "mlp", layer: 0 }], { method: "mean" })).rejects.toThrow(/needs opts.reference/);
    await expect(ablate(model, ids, [{ type: "mlp", layer: 0 }], { method: "resample", reference: [[1, 2]] })).rejects.toThrow(/at least as long as the input \(8 tokens\)/);
    await expect(ablate(model, ids, [{ type: "mlp", layer: 0 }], { measure: "logit_diff" })).rejects.toThrow(/answer and opts.wrong/);
  });
});

describe("logit lens", () => {
  test("last row is the model's output; the induction model's answer appears only after layer 1", () => {
    const model = inductionModel();
    const half = [3, 8, 1, 10, 6, 2, 9, 4];
    const ids = [0, ...half, ...half];
    const r = logitLens(model, ids, { topK: 3, target: 6 });
    expect(r.kind).toBe("logit-lens");
    expect(r.shape).toEqual([3, 17, 3]);
    const logits = model.run([ids]);
    const top = tf.tidy(() => tf.topk(tf.softmax(logits.reshape([17, -1])), 3));
    expect(maxAbsDiff(r.topProbs.subarray(2 * 17 * 3), top.values.dataSync())).toBeLessThan(1e-5);
    // Position 12 holds token 10 (the 4th of the repeat); the next token is 6.
    expect(r.targetRank![2 * 17 + 12]).toBe(0);
    expect(r.targetProb![1 * 17 + 12]).toBeCloseTo(1 / 30, 5); // nothing written to the output subspace yet
    expect(r.targetProb![2 * 17 + 12]).toBeGreaterThan(0.9);
    expect(() => logitLens(model, ids, { target: 99 })).toThrow(/target must be an integer in \[0, 29\]/);
    logits.dispose();
    top.values.dispose();
    top.indices.dispose();
  });
});
