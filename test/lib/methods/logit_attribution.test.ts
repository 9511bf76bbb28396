/**
 * logitAttribution against the model's own logits (the decomposition must add up) and against a
 * PyTorch computation from the same weights (scripts/make_attribution_fixture.py).
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import * as path from "path";
import { loadPretrained } from "../../../lib/pretrained";
import { createModel } from "../../../lib/model";
import { accumulatedResid, logitAttribution } from "../../../lib/methods/logit_attribution";
import type { TransformerModel } from "../../../lib/model/types";
import { initBackend, maxAbsDiff, randomGpt2 } from "./helpers";

const DIR = path.join(__dirname, "../../fixtures/attribution");

beforeAll(initBackend);

const sum = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);

describe("logitAttribution on a random model", () => {
  let model: TransformerModel;
  const ids = [3, 14, 15, 9, 26, 5, 35];
  beforeAll(() => {
    model = randomGpt2(7);
  });
  afterAll(() => model.dispose());

  test("contributions plus the frozen bias terms add up to the real logit difference, at any position", () => {
    for (const pos of [-1, 2]) {
      const r = logitAttribution(model, ids, { answer: 7, against: 11, pos });
      expect(r.kind).toBe("logit-attribution");
      expect(r.metric).toBe("logit difference");
      expect(r.centred).toBe(true); // GPT-2's LayerNorm, read off the cached run
      expect(Math.abs(sum(r.components.values) + sum(r.bias.values) - r.value)).toBeLessThan(1e-4);
      expect(Math.abs(r.total - r.value)).toBeLessThan(1e-4);
      // The per-layer view (heads + b_O, MLP) is the same decomposition regrouped.
      const nonAttnBias = r.bias.values.slice(-2);
      expect(Math.abs(sum(r.layers.values) + sum(nonAttnBias) - r.value)).toBeLessThan(1e-4);
      expect(r.components.labels.slice(0, 3)).toEqual(["embed", "pos_embed", "L0H0"]);
      expect(r.heads.length).toBe(3 * 4);
    }
  });

  test("a single logit (no `against`) adds up too; the accumulated residual ends at the answer", () => {
    const r = logitAttribution(model, ids, { answer: 7 });
    expect(r.metric).toBe("logit");
    expect(Math.abs(r.total - r.value)).toBeLessThan(1e-4);
    const acc = accumulatedResid(model, ids, { answer: 7 });
    const n = acc.labels.length;
    expect(n).toBe(4);
    // The lens reading of the final residual is the model's own logit; the frozen reading plus biases too.
    expect(Math.abs(acc.lens[n - 1] - r.value)).toBeLessThan(1e-4);
    expect(Math.abs(acc.frozen[n - 1] + sum(r.bias.values.slice(-2)) - r.value)).toBeLessThan(1e-4);
    // Frozen rows are cumulative sums of the components (embeddings; then each layer).
    expect(Math.abs(acc.frozen[0] - (r.components.values[0] + r.components.values[1]))).toBeLessThan(1e-4);
  });

  test("leaves no tensors behind", () => {
    logitAttribution(model, ids, { answer: 7, against: 11 });
    const before = tf.memory().numTensors;
    logitAttribution(model, ids, { answer: 7, against: 11, pos: 3 });
    accumulatedResid(model, ids, { answer: 7 });
    expect(tf.memory().numTensors).toBe(before);
  });

  test("bad arguments name what was expected", () => {
    expect(() => logitAttribution(model, ids, {} as never)).toThrow(/opts.answer is required/);
    expect(() => logitAttribution(model, ids, { answer: 50 })).toThrow(/answer must be an integer in \[0, 49\]/);
    expect(() => logitAttribution(model, ids, { answer: 1, pos: 7 })).toThrow(/pos must be in \[-7, 6\]/);
    expect(() => logitAttribution(model, ids, { answer: "x" })).toThrow(/no tokenizer/);
  });

  test("a residual stream with a part the hooks do not show is refused, not decomposed wrongly", () => {
    // The same model, but something (here a hook) adds a vector to resid_mid of layer 1 that no
    // embedding, head or MLP hook accounts for.
    const shifted = Object.create(model) as TransformerModel;
    shifted.runWithCache = (input, opts) =>
      model.runWithHooks(input, [{ name: "blocks.1.hook_resid_mid", fn: (x) => x.add(tf.fill([32], 0.5).mul(tf.range(0, 32).div(32))) }], opts) as ReturnType<TransformerModel["runWithCache"]>;
    expect(() => logitAttribution(shifted, ids, { answer: 7, against: 11 })).toThrow(/add up to .* not the model's .*parts these hooks do not show/);
  });

  test("an attention-only model has no MLP components and still adds up", () => {
    const m = randomGpt2(3, { attnOnly: true });
    try {
      const r = logitAttribution(m, ids, { answer: 2, against: 5 });
      expect(r.components.labels.some((l) => l.includes("mlp"))).toBe(false);
      expect(Math.abs(r.total - r.value)).toBeLessThan(1e-4);
    } finally {
      m.dispose();
    }
  });
});

test("a Llama-family model (RMSNorm, no position embedding, grouped-query heads) decomposes and adds up", () => {
  const m = createModel({ arch: "llama", nLayers: 3, dModel: 32, nHeads: 4, nKVHeads: 2, dMlp: 64, dVocab: 60, nCtx: 32 }, { seed: 3, initStd: 0.3 });
  try {
    const ids = [3, 14, 15, 9, 26, 5, 35];
    const r = logitAttribution(m, ids, { answer: 7, against: 11 });
    expect(r.centred).toBe(false); // RMSNorm, read off the cached run
    expect(r.components.labels.slice(0, 2)).toEqual(["embed", "L0H0"]);
    expect(r.heads.length).toBe(3 * 4);
    expect(Math.abs(r.total - r.value)).toBeLessThan(1e-4);
    const n = r.accumulated.lens.length;
    expect(Math.abs(r.accumulated.lens[n - 1] - r.value)).toBeLessThan(1e-4);
  } finally {
    m.dispose();
  }
});

test("per-head DLA equals the PyTorch computation from the same weights", async () => {
  const fx = JSON.parse(fs.readFileSync(path.join(DIR, "reference.json"), "utf8"));
  const d = fx.dla;
  const model = await loadPretrained(path.join(DIR, "tiny-gpt2"), { tokenizer: false });
  try {
    const r = logitAttribution(model, fx.clean[0], { answer: d.answer, against: d.against, pos: d.pos });
    expect(r.scale).toBeCloseTo(d.scale, 5);
    expect(Math.abs(r.value - d.logit_diff)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.heads, (d.heads as number[][]).flat())).toBeLessThan(1e-4);
    const comp = (label: string) => r.components.values[r.components.labels.indexOf(label)];
    expect(Math.abs(comp("embed") - d.embed)).toBeLessThan(1e-4);
    expect(Math.abs(comp("pos_embed") - d.pos_embed)).toBeLessThan(1e-4);
    expect(maxAbsDiff([0, 1, 2].map((l) => comp(`L${l} mlp`)), d.mlp)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.bias.values, [...d.attn_bias, d.ln_bias, d.unembed_bias])).toBeLessThan(1e-4);
    expect(Math.abs(r.total - d.logit_diff)).toBeLessThan(1e-4);
  } finally {
    model.dispose();
  }
});
