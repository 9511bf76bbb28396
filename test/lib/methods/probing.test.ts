import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../lib/model";
import { probe, type ProbeExample } from "../../../lib/methods/probing";
import { wilsonInterval } from "../../../lib/methods/probe_train";
import { Rng } from "../../../lib/methods/rng";
import { alignWords } from "../../../lib/methods/align";
import { initBackend, tinyTokenizer } from "./helpers";

beforeAll(initBackend);

const LEX: Record<string, string> = { red: "ADJ", blue: "ADJ", green: "ADJ", dog: "NOUN", cat: "NOUN", bird: "NOUN", the: "DET", a: "DET", runs: "VERB", sleeps: "VERB" };

function sentences(n: number, seed: number): ProbeExample[] {
  const rng = new Rng(seed);
  const vocab = Object.keys(LEX);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 6 }, () => vocab[rng.int(vocab.length)]);
    return { words, labels: words.map((w) => LEX[w]) };
  });
}

test("Wilson interval", () => {
  const [lo, hi] = wilsonInterval(8, 10);
  expect(lo).toBeCloseTo(0.4902, 3);
  expect(hi).toBeCloseTo(0.9433, 3);
});

describe("probing", () => {
  let model: ReturnType<typeof createModel>;
  beforeAll(() => {
    model = createModel({ arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dVocab: 1000, nCtx: 32 }, { seed: 3, tokenizer: tinyTokenizer() });
  });
  afterAll(() => model.dispose());

  test("word-type labels are decodable from layer activations; control, selectivity, baseline, CI", async () => {
    let ticks = 0;
    const tensorsBefore = tf.memory().numTensors;
    // Mean pooling: several of these words share their first sub-word token in the 1000-id vocabulary (" b" in blue/bird).
    const r = await probe(model, sentences(40, 1), { sites: ["resid_post", "attn_out"], subword: "mean", seed: 2, maxEpochs: 150, onProgress: () => ticks++ });
    expect(r.kind).toBe("probe-results");
    expect(r.shape).toEqual([2, 2]);
    expect(ticks).toBe(2 + 4); // 40 sentences = 2 forward passes of 32, then 4 probes
    expect(r.labels).toEqual(["ADJ", "DET", "NOUN", "VERB"]);
    expect(r.counts.sentences).toEqual([28, 6, 6]);
    expect(r.counts.test).toBe(36);
    for (let i = 0; i < 2; i++) expect(r.accuracy[i]).toBeGreaterThan(0.9); // resid_post, both layers
    expect(r.majorityBaseline).toBeLessThan(0.6);
    for (let i = 0; i < 4; i++) {
      expect(r.ciLow[i]).toBeLessThanOrEqual(r.accuracy[i]);
      expect(r.ciHigh[i]).toBeGreaterThanOrEqual(r.accuracy[i]);
      expect(r.selectivity[i]).toBeCloseTo(r.accuracy[i] - r.controlAccuracy[i], 6);
      expect(Number.isFinite(r.controlAccuracy[i])).toBe(true);
    }
    expect(r.settings.ci).toMatch(/Wilson/);
    // Every probe trained (4 here, with controls) leaves no tensor behind (the label tensors fed to
    // oneHot once did: 2 per probe).
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    const again = await probe(model, sentences(40, 1), { sites: ["resid_post"], subword: "mean", seed: 2, maxEpochs: 150 });
    expect(Array.from(again.accuracy)).toEqual(Array.from(r.accuracy.subarray(0, 2)));
  });

  test("first sub-word token and an MLP probe run", async () => {
    const tensorsBefore = tf.memory().numTensors;
    const r = await probe(model, sentences(20, 4), { sites: ["resid_pre"], subword: "first", probe: "mlp", hidden: 16, control: false, maxEpochs: 50 });
    expect(r.settings.probe).toBe("mlp");
    expect(Number.isNaN(r.controlAccuracy[0])).toBe(true);
    expect(r.accuracy[0]).toBeGreaterThan(0.5);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });

  test("batched forward passes give the single-sentence features (right padding), layers picks columns", async () => {
    // Sentences of 3 to 8 words, so most rows of a batch are padded.
    const rng = new Rng(7);
    const ex = sentences(30, 5).map((e) => {
      const n = 3 + rng.int(6);
      return { words: e.words.concat(e.words).slice(0, n), labels: e.labels.concat(e.labels).slice(0, n) };
    });
    const o = { sites: ["resid_pre" as const], subword: "mean" as const, seed: 1, maxEpochs: 60 };
    const one = await probe(model, ex, { ...o, batchSize: 1 });
    const many = await probe(model, ex, { ...o, batchSize: 8 });
    expect(Array.from(many.accuracy)).toEqual(Array.from(one.accuracy));
    expect(Array.from(many.controlAccuracy)).toEqual(Array.from(one.controlAccuracy));
    expect(one.layers).toEqual([0, 1]);
    // resid_pre 2 (= nLayers) is the final stream, blocks.1.hook_resid_post.
    const sub = await probe(model, ex, { ...o, layers: [2, 0] });
    const post = await probe(model, ex, { ...o, sites: ["resid_post"], layers: [1] });
    expect(sub.shape).toEqual([1, 2]);
    expect(sub.layers).toEqual([2, 0]);
    expect(sub.accuracy[1]).toBe(one.accuracy[0]);
    expect(sub.accuracy[0]).toBe(post.accuracy[0]);
    await expect(probe(model, ex, { ...o, sites: ["resid_post"], layers: [2] })).rejects.toThrow(/layers must be distinct integers in 0..1/);
    await expect(probe(model, ex, { ...o, layers: [0, 0] })).rejects.toThrow(/layers must be distinct/);
    await expect(probe(model, ex, { ...o, batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
  });

  test("alignWords with prependBos: the BOS belongs to no word", () => {
    const plain = alignWords(model, ["the", "red", "dog"], "t");
    const bos = alignWords(model, ["the", "red", "dog"], "t", { prependBos: true });
    expect(bos.ids).toEqual([model.tokenizer!.specialIds.bos, ...plain.ids]);
    expect(bos.wordTokens).toEqual(plain.wordTokens.map((ts) => ts.map((t) => t + 1)));
  });

  test("errors: misaligned labels, too few examples, bad site", async () => {
    await expect(probe(model, [{ words: ["the", "dog"], labels: ["DET"] }])).rejects.toThrow(/2 words but 1 labels/);
    await expect(probe(model, sentences(2, 1))).rejects.toThrow(/too few examples to split: 2 sentences/);
    await expect(probe(model, sentences(10, 1), { sites: ["pattern" as never] })).rejects.toThrow(/sites must be/);
    await expect(probe(model, [{ words: ["the", ""], labels: ["DET", "X"] }, ...sentences(9, 1)])).rejects.toThrow(/word 1 must be a non-empty string/);
  });
});
