/**
 * attributionPatching against an independent PyTorch autograd computation of the same
 * first-order term (scripts/make_attribution_fixture.py), and against exact activation patching.
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import * as path from "path";
import { loadPretrained } from "../../../lib/pretrained";
import { createModel } from "../../../lib/model";
import { attributionPatching, pearson } from "../../../lib/methods/attribution_patching";
import { patchResidByPos } from "../../../lib/methods/patching";
import type { TransformerModel } from "../../../lib/model/types";
import { initBackend, maxAbsDiff, randomGpt2 } from "./helpers";

const DIR = path.join(__dirname, "../../fixtures/attribution");

beforeAll(initBackend);

test("attributionPatching equals PyTorch autograd's (clean − corrupted) · ∂M/∂act for every grid and pair", async () => {
  const fx = JSON.parse(fs.readFileSync(path.join(DIR, "reference.json"), "utf8"));
  const a = fx.attribution;
  const model = await loadPretrained(path.join(DIR, "tiny-gpt2"), { tokenizer: false });
  try {
    const r = await attributionPatching(model, fx.clean, fx.corrupted, { metric: { answer: fx.answers, wrong: fx.wrongs } });
    expect(r.pairs).toBe(2);
    expect(maxAbsDiff(r.cleanMetric, a.clean_metric)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.corruptedMetric, a.corrupted_metric)).toBeLessThan(1e-4);
    for (const g of ["resid", "attn_out", "mlp_out", "heads", "heads_by_pos"] as const) {
      const grid = r.grids[g]!;
      const ref = (a[g] as unknown[]).flat(3) as number[];
      expect(grid.raw.length).toBe(ref.length);
      expect(maxAbsDiff(grid.raw, ref)).toBeLessThan(1e-4);
    }
    // Default metric = clean top − corrupted top, which is what the fixture chose.
    const d = await attributionPatching(model, fx.clean, fx.corrupted, { grids: ["heads"] });
    expect(d.settings.answers).toEqual(fx.answers);
    expect(d.settings.wrongs).toEqual(fx.wrongs);
    expect(maxAbsDiff(d.grids.heads!.raw, (a.heads as number[][][]).flat(2))).toBeLessThan(1e-4);
  } finally {
    model.dispose();
  }
});

test("attributionPatching runs every grid on a Llama-family model and agrees with its exact patching where it must", async () => {
  const m = createModel({ arch: "llama", nLayers: 2, dModel: 32, nHeads: 4, nKVHeads: 2, dMlp: 64, dVocab: 60, nCtx: 32 }, { seed: 4, initStd: 0.3 });
  try {
    const clean = [3, 14, 15, 9, 26, 5, 35];
    const corrupted = [3, 14, 42, 9, 26, 5, 35];
    const r = await attributionPatching(m, clean, corrupted, { metric: { answer: 7, wrong: 11 }, compare: true });
    expect(Object.keys(r.grids)).toEqual(["resid", "attn_out", "mlp_out", "heads", "heads_by_pos"]);
    expect(r.grids.heads!.shape).toEqual([2, 4]);
    for (const g of Object.values(r.grids)) expect(Number.isFinite(g!.correlation)).toBe(true);
    // Before the changed token nothing differs, so estimate and exact effect are both 0 there.
    for (let l = 0; l < 2; l++) for (const p of [0, 1]) expect(r.grids.resid!.data[l * 7 + p]).toBe(0);
    // Exact patching of resid_pre at layer 0, position 2 (the only changed token) restores the clean run.
    expect(r.grids.resid!.exact![2]).toBeCloseTo(1, 4);
  } finally {
    m.dispose();
  }
});

describe("attributionPatching on a random model", () => {
  let model: TransformerModel;
  const clean = [3, 14, 15, 9, 26, 5, 35];
  const corrupted = [3, 14, 42, 9, 26, 5, 35];
  const metric = { answer: 7, wrong: 11 };
  beforeAll(() => {
    model = randomGpt2(11);
  });
  afterAll(() => model.dispose());

  test("compare: the exact grid is patching.ts's, positions before the change are 0 in both, correlation reported", async () => {
    const r = await attributionPatching(model, clean, corrupted, { metric, compare: true, grids: ["resid", "heads"] });
    const resid = r.grids.resid!;
    const exact = await patchResidByPos(model, clean, corrupted, { metric });
    expect(maxAbsDiff(resid.exact!, exact.data)).toBeLessThan(1e-6);
    expect(resid.correlation).toBeCloseTo(pearson(resid.data, exact.data), 6);
    for (let l = 0; l < 3; l++) for (const p of [0, 1]) expect(resid.data[l * 7 + p]).toBe(0);
    expect(r.grids.heads!.shape).toEqual([3, 4]);
    expect(Number.isFinite(r.grids.heads!.correlation!)).toBe(true);
    expect(r.timing.exactMs).toBeGreaterThan(0);
    expect(r.settings.backwardPasses).toBe(1);
  });

  test("leaves no tensors behind (caches, kept activations and gradients are freed)", async () => {
    await attributionPatching(model, clean, corrupted, { metric, grids: ["resid", "heads"] }); // warm-up
    const before = tf.memory().numTensors;
    await attributionPatching(model, clean, corrupted, { metric });
    await attributionPatching(model, clean, corrupted, { metric, grids: ["heads"], compare: true });
    expect(tf.memory().numTensors).toBe(before);
  });

  test("a batch of pairs averages the per-pair normalised maps", async () => {
    const clean2 = [8, 14, 15, 9, 26, 5, 2];
    const corr2 = [8, 14, 40, 9, 26, 5, 2];
    const both = await attributionPatching(model, [clean, clean2], [corrupted, corr2], { metric: { answer: [7, 3], wrong: [11, 4] }, grids: ["attn_out"] });
    const one = await attributionPatching(model, clean, corrupted, { metric, grids: ["attn_out"] });
    const two = await attributionPatching(model, clean2, corr2, { metric: { answer: 3, wrong: 4 }, grids: ["attn_out"] });
    const mean = one.grids.attn_out!.data.map((v, i) => (v + two.grids.attn_out!.data[i]) / 2);
    expect(maxAbsDiff(both.grids.attn_out!.data, mean)).toBeLessThan(1e-5);
    expect(maxAbsDiff(both.grids.attn_out!.raw.subarray(21), two.grids.attn_out!.raw)).toBeLessThan(1e-5);
  });

  test("bad arguments name what was expected", async () => {
    await expect(attributionPatching(model, clean, [1, 2, 3], { metric })).rejects.toThrow(/same number of tokens \(7, like clean\[0\]\); corrupted\[0\] has 3/);
    await expect(attributionPatching(model, [clean, clean], [corrupted], { metric })).rejects.toThrow(/as many prompts; got 2 and 1/);
    await expect(attributionPatching(model, clean, corrupted, { metric, grids: ["nope" as never] })).rejects.toThrow(/grids entries must be one of/);
    await expect(attributionPatching(model, clean, corrupted, { metric: { answer: [1, 2], wrong: 3 } })).rejects.toThrow(/one per prompt pair \(1\); got 2/);
    const ao = randomGpt2(2, { attnOnly: true });
    try {
      await expect(attributionPatching(ao, clean, corrupted, { metric, grids: ["mlp_out"] })).rejects.toThrow(/needs hook point blocks.0.hook_mlp_out/);
      const r = await attributionPatching(ao, clean, corrupted, { metric });
      expect(Object.keys(r.grids)).toEqual(["resid", "attn_out", "heads", "heads_by_pos"]);
    } finally {
      ao.dispose();
    }
  });
});
