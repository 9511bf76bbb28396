import * as tf from "@tensorflow/tfjs";
import { actName } from "../../../lib/hooks/names";
import {
  activationPatching,
  patchAttnOutByPos,
  patchHeadOut,
  patchHeadOutByPos,
  patchHeads,
  patchMlpOutByPos,
  patchPositions,
  patchResidByPos,
} from "../../../lib/methods/patching";
import { logitDiff } from "../../../lib/methods/metrics";
import { createModel } from "../../../lib/model";
import { architecture } from "../../../lib/model/architectures";
import { HookState } from "../../../lib/model/hooked";
import { vocabView } from "../../../lib/methods/patch_engine";
import { initBackend, maxAbsDiff, randomGpt2, tinyTokenizer } from "./helpers";

beforeAll(initBackend);

describe("pure setters", () => {
  test("patchPositions replaces the given (row, pos) slices only", () => {
    const act = tf.tensor3d([[[1, 1], [2, 2]], [[3, 3], [4, 4]], [[5, 5], [6, 6]]]);
    const clean = tf.tensor3d([[[-1, -1], [-2, -2]]]);
    const out = patchPositions(act, clean, [{ row: 0, pos: 1 }, { row: 2, pos: null }]);
    expect(Array.from(out.dataSync())).toEqual([1, 1, -2, -2, 3, 3, 4, 4, -1, -1, -2, -2]);
    expect(Array.from(act.dataSync())).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]);
    expect(() => patchPositions(act, clean, [{ row: 3, pos: 0 }])).toThrow(/row must be an integer in \[0, 2\]/);
    expect(() => patchPositions(act, tf.zeros([1, 3, 2]), [])).toThrow(/clean activation must be \[1, 2, 2\]/);
  });

  test("patchHeads replaces one head at one or every position", () => {
    // [B=2, P=2, H=2, e=1]
    const act = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2, 1]);
    const clean = tf.tensor4d([-1, -2, -3, -4], [1, 2, 2, 1]);
    const out = patchHeads(act, clean, [{ row: 0, head: 1, pos: 0 }, { row: 1, head: 0, pos: null }]);
    expect(Array.from(out.dataSync())).toEqual([1, -2, 3, 4, -1, 6, -3, 8]);
  });
});

describe("activation patching on a random model", () => {
  let model: ReturnType<typeof randomGpt2>;
  const clean = [3, 14, 15, 9, 26, 5, 35];
  const corrupted = [3, 14, 42, 9, 26, 5, 35];
  const metric = { answer: 7, wrong: 11 };
  beforeAll(() => {
    model = randomGpt2(11);
  });
  afterAll(() => model.dispose());

  test("patching the whole clean residual at any layer gives back the clean metric", async () => {
    const cells = [0, 1, 2].map((layer) => ({ layer, pos: null }));
    const r = await activationPatching(model, clean, corrupted, "resid_pre", cells, { metric });
    expect(r.kind).toBe("activation-patching");
    expect(Math.abs(r.cleanMetric - r.corruptedMetric)).toBeGreaterThan(1e-3);
    for (const v of r.data) expect(v).toBeCloseTo(1, 4);
  });

  test("residual grid: batched equals one-row passes and a hand-made hook; positions before the change do nothing", async () => {
    let plan = 0;
    const r = await patchResidByPos(model, clean, corrupted, { metric, onPlan: (p) => (plan = p.forwardPasses) });
    expect(r.shape).toEqual([3, 7]);
    expect(plan).toBe(3); // 21 cells in one pass + clean + corrupted
    const single = await patchResidByPos(model, clean, corrupted, { metric, memoryBudgetBytes: 1 });
    expect(single.settings.forwardPasses).toBe(23);
    expect(maxAbsDiff(r.raw, single.raw)).toBeLessThan(1e-4);
    for (let l = 0; l < 3; l++) for (let p = 0; p < 2; p++) expect(r.data[l * 7 + p]).toBeCloseTo(0, 5);
    expect(r.data[0 * 7 + 2]).toBeCloseTo(1, 4); // layer 0, the changed token: everything flows from it
    // A hand-made hook for cell (1, 4).
    const { cache, logits: lc } = model.runWithCache([clean], { names: [actName("resid_pre", 1)] });
    const cl = cache.get(actName("resid_pre", 1));
    const { logits } = model.runWithHooks([corrupted], [{
      name: actName("resid_pre", 1),
      fn: (a) => tf.concat([a.slice([0, 0, 0], [1, 4, -1]), cl.slice([0, 4, 0], [1, 1, -1]), a.slice([0, 5, 0], [1, 2, -1])], 1),
    }]);
    expect(logitDiff(logits, 7, 11)[0]).toBeCloseTo(r.raw[1 * 7 + 4], 4);
    [logits, lc].forEach((t) => t.dispose());
    cache.dispose();
  });

  test("attn_out, mlp_out and head grids have their shapes; per-head cells match the [layer, head] grid", async () => {
    const a = await patchAttnOutByPos(model, clean, corrupted, { metric });
    const m = await patchMlpOutByPos(model, clean, corrupted, { metric });
    const h = await patchHeadOut(model, clean, corrupted, { metric });
    const hp = await patchHeadOutByPos(model, clean, corrupted, { metric });
    expect([a.shape, m.shape, h.shape, hp.shape]).toEqual([[3, 7], [3, 7], [3, 4], [3, 4, 7]]);
    expect(hp.dims).toEqual(["layer", "head", "pos"]);
    const cellsAll = [{ layer: 1, pos: null }];
    const attnAll = await activationPatching(model, clean, corrupted, "attn_out", cellsAll, { metric });
    const zAll = await activationPatching(model, clean, corrupted, "z", [0, 1, 2, 3].map((head) => ({ layer: 1, head, pos: null })), { metric });
    expect(Number.isFinite(attnAll.data[0])).toBe(true);
    expect(zAll.data.length).toBe(4);
    // Each single head patched at every position matches the [layer, head] grid.
    for (let i = 0; i < 4; i++) expect(zAll.raw[i]).toBeCloseTo(h.raw[1 * 4 + i], 4);
  });

  test("errors: lengths, ranges, heads, metric", async () => {
    await expect(patchResidByPos(model, clean, corrupted.slice(0, 6), { metric })).rejects.toThrow(/same number of tokens; got 7 and 6/);
    await expect(activationPatching(model, clean, corrupted, "resid_pre", [{ layer: 3, pos: 0 }], { metric })).rejects.toThrow(/layer must be an integer in \[0, 2\]; got 3/);
    await expect(activationPatching(model, clean, corrupted, "resid_pre", [{ layer: 0, pos: 7 }], { metric })).rejects.toThrow(/pos must be an integer in \[0, 6\]/);
    await expect(activationPatching(model, clean, corrupted, "z", [{ layer: 0, pos: 0 }], { metric })).rejects.toThrow(/needs a head/);
    await expect(activationPatching(model, clean, corrupted, "z", [{ layer: 0, pos: 0, head: 4 }], { metric })).rejects.toThrow(/head must be an integer in \[0, 3\]/);
    await expect(patchResidByPos(model, clean, corrupted)).rejects.toThrow(/metric is required/);
  });

  test("cancelling returns a partial result", async () => {
    const ctl = new AbortController();
    const seen: number[] = [];
    const r = await patchResidByPos(model, clean, corrupted, {
      metric,
      memoryBudgetBytes: 1,
      signal: ctl.signal,
      onProgress: (e) => {
        seen.push(e.done);
        expect(e.total).toBe(21);
        if (e.done === 3) ctl.abort();
      },
    });
    expect(r.partial).toBe(true);
    expect(seen).toEqual([1, 2, 3]);
    expect(Number.isNaN(r.data[5])).toBe(true);
    expect(Number.isFinite(r.data[2])).toBe(true);
  });
});

describe("activationPatching metric named by token strings", () => {
  test("settings carry the answer and wrong tokens as strings, ids and a readable label; strings equal ids", async () => {
    const model = createModel({ arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dVocab: 1000, nCtx: 32 }, { seed: 5, initStd: 0.2, tokenizer: tinyTokenizer() });
    try {
      const ids = model.toTokens(" the cat sat on the mat").ids;
      const clean = Array.from(ids);
      const corrupted = [...clean];
      corrupted[1] = (corrupted[1] + 1) % 1000;
      // Two ids whose display strings encode back to one token each.
      const pick = [...Array(1000).keys()].filter((i) => {
        const t = model.toStrTokens([i])[0];
        return /^ [a-z]+$/.test(t) && model.tokenizer!.encode(t, { addSpecialTokens: false }).ids.length === 1;
      });
      const [a, w] = [pick[0], pick[1]];
      const [sa, sw] = [model.toStrTokens([a])[0], model.toStrTokens([w])[0]];
      const byStr = await patchResidByPos(model, clean, corrupted, { metric: { answer: sa, wrong: sw } });
      const byId = await patchResidByPos(model, clean, corrupted, { metric: { answer: a, wrong: w } });
      expect(byStr.settings).toMatchObject({ answer: sa, wrong: sw, answerId: a, wrongId: w, metricPos: -1 });
      expect(byId.settings).toMatchObject({ answer: sa, wrong: sw, answerId: a, wrongId: w });
      expect(byStr.settings.metric).toBe(`logit diff ${JSON.stringify(sa)} − ${JSON.stringify(sw)}`);
      expect(Array.from(byStr.raw)).toEqual(Array.from(byId.raw));
      await expect(patchResidByPos(model, clean, corrupted, { metric: { answer: " the cat sat", wrong: w } })).rejects.toThrow(/opts.metric.answer .* tokens; it must be exactly one/);
      const custom = await patchResidByPos(model, clean, corrupted, { metric: (lg) => logitDiff(lg, a, w) });
      expect(custom.settings.metric).toBe("custom");
      expect(custom.settings.answer).toBeUndefined();
    } finally {
      model.dispose();
    }
  });
});

describe("activationPatching engine \"cached\" equals the plain hooked runs", () => {
  const clean = [3, 14, 15, 9, 26, 5, 35];
  const corrupted = [3, 14, 42, 9, 20, 5, 35];
  // Cells at the first, a middle and the last layer, at the first, a middle and the last position, and every position.
  const spots = [0, 1, 2].flatMap((layer) => [0, 3, 6, null].map((pos) => ({ layer, pos })));
  const sites = ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out", "z", "q", "k", "v", "result"] as const;
  const models: [string, () => ReturnType<typeof randomGpt2>][] = [
    ["GPT-2", () => randomGpt2(13)],
    ["Llama (GQA, rotary)", () => createModel({ arch: "llama", nLayers: 3, dModel: 32, nHeads: 4, nKVHeads: 2, dMlp: 48, dVocab: 50, nCtx: 32, rotaryBase: 50 }, { seed: 8, initStd: 0.3 })],
  ];
  describe.each(models)("%s", (_name, make) => {
    let model: ReturnType<typeof randomGpt2>;
    beforeAll(() => {
      model = make();
    });
    afterAll(() => model.dispose());

    test.each(sites)("site %s: logit difference at the last position, at position 4, and a function of every position's logits", async (site) => {
      const head = ["k", "v"].includes(site) ? 1 : 3;
      const cells = ["z", "q", "k", "v", "result"].includes(site) ? spots.map((c) => ({ ...c, head })) : spots;
      const metrics = [
        { answer: 7, wrong: 11 },
        { answer: 7, wrong: 11, pos: 4 },
        (lg: tf.Tensor3D) => tf.tidy(() => lg.slice([0, 0, 3], [-1, -1, 1]).mean([1, 2]).dataSync() as Float32Array),
      ];
      for (const metric of metrics) {
        const fast = await activationPatching(model, clean, corrupted, site, cells, { metric });
        const ref = await activationPatching(model, clean, corrupted, site, cells, { metric, engine: "hooked" });
        expect(fast.settings.engine).toBe("cached");
        expect(ref.settings.engine).toBe("hooked");
        expect(fast.cleanMetric).toBeCloseTo(ref.cleanMetric, 4);
        expect(fast.corruptedMetric).toBeCloseTo(ref.corruptedMetric, 4);
        expect(maxAbsDiff(fast.raw, ref.raw)).toBeLessThan(1e-4);
      }
    });
  });

  test("a budget of one row per pass gives the same grid; no tensors leak", async () => {
    const model = randomGpt2(14);
    try {
      const metric = { answer: 2, wrong: 5 };
      const before = tf.memory().numTensors;
      const one = await patchHeadOut(model, clean, corrupted, { metric, memoryBudgetBytes: 1 });
      const all = await patchHeadOut(model, clean, corrupted, { metric });
      expect(tf.memory().numTensors).toBe(before);
      expect(one.settings.forwardPasses).toBe(12 + 2);
      expect(all.settings.forwardPasses).toBe(3);
      expect(maxAbsDiff(one.raw, all.raw)).toBeLessThan(1e-5);
    } finally {
      model.dispose();
    }
  });

  test("errors: engine", async () => {
    const model = randomGpt2(15);
    try {
      await expect(activationPatching(model, clean, corrupted, "resid_pre", [{ layer: 0, pos: 0 }], { metric: { answer: 1, wrong: 2 }, engine: "fast" as never })).rejects.toThrow(/opts.engine must be "cached" or "hooked"; got "fast"/);
      await expect(activationPatching(model, clean, corrupted, "resid_pre", [{ layer: 0, pos: 0 }], { metric: { answer: 1, wrong: 2, pos: 7 } })).rejects.toThrow(/opts.metric.pos must be in \[-7, 6\]/);
    } finally {
      model.dispose();
    }
  });
});

describe("vocabView", () => {
  test.each([true, false])("the architecture's unembed through it gives the chosen columns of the full logits (tied %s)", (tied) => {
    const model = createModel({ arch: "gpt2", nLayers: 1, dModel: 8, nHeads: 2, dVocab: 12, nCtx: 8, tiedUnembed: tied }, { seed: 3, initStd: 0.5 });
    try {
      const arch = architecture(model.config);
      const names = new Set<string>(model.hookNames());
      const x = tf.randomNormal([2, 3, 8], 0, 1, "float32", 4) as tf.Tensor3D;
      const full = arch.unembed(model, x, new HookState(names)).arraySync() as number[][][];
      const v = vocabView(model, [5, 2, 5]);
      const part = arch.unembed(v.view, x, new HookState(names)).arraySync() as number[][][];
      for (let b = 0; b < 2; b++) for (let p = 0; p < 3; p++) {
        expect(part[b][p].length).toBe(3);
        [5, 2, 5].forEach((id, i) => expect(part[b][p][i]).toBeCloseTo(full[b][p][id], 5));
      }
      v.dispose();
      x.dispose();
    } finally {
      model.dispose();
    }
  });
});
