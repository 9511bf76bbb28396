/** generate(): KV-cached decoding through the architecture's own blocks equals repeated full forward passes. */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { createModel } from "../../../lib/model";
import { generate, sampleToken } from "../../../lib/model/generate";
import type { HookedTransformer } from "../../../lib/model/model";
import { TINY_BERT } from "./tiny";

beforeAll(async () => {
  await ready();
});

/** Greedy continuation by running the whole sequence again for every new token. */
function greedyByFullForward(m: HookedTransformer, ids: number[], n: number): number[] {
  const seq = [...ids];
  for (let i = 0; i < n; i++) {
    const lg = m.run([seq]);
    const top = tf.tidy(() => tf.argMax(lg.slice([0, seq.length - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[0]);
    lg.dispose();
    seq.push(top);
  }
  return seq.slice(ids.length);
}

const SPECS = [
  ["gpt2", { arch: "gpt2", nLayers: 3, dModel: 32, nHeads: 4, dVocab: 50, nCtx: 24 }],
  ["llama (GQA)", { arch: "llama", nLayers: 3, dModel: 32, nHeads: 4, nKVHeads: 2, dVocab: 50, nCtx: 24, dMlp: 48, rotaryBase: 100 }],
] as const;

describe.each(SPECS)("generate (%s)", (_name, spec) => {
  let m: HookedTransformer;
  beforeAll(() => {
    m = createModel(spec, { seed: 7, initStd: 1 });
  });
  afterAll(() => m.dispose());

  test("greedy decoding with the KV cache equals the argmax of repeated full forward passes", () => {
    const prompt = [3, 14, 15, 9, 26];
    const g = generate(m, prompt, { maxNewTokens: 12 });
    expect(g.newIds).toEqual(greedyByFullForward(m, prompt, 12));
    expect(g.ids).toEqual([...prompt, ...g.newIds]);
    expect(g.settings).toEqual({ maxNewTokens: 12, temperature: 0, topK: null, seed: 0 });
  });

  test("sampling: a seed gives the same tokens, topK 1 is greedy, different seeds differ", () => {
    const prompt = [1, 2, 3];
    const a = generate(m, prompt, { maxNewTokens: 15, temperature: 2, seed: 1 });
    const b = generate(m, prompt, { maxNewTokens: 15, temperature: 2, seed: 1 });
    const c = generate(m, prompt, { maxNewTokens: 15, temperature: 2, seed: 2 });
    expect(a.newIds).toEqual(b.newIds);
    expect(a.newIds).not.toEqual(c.newIds);
    expect(generate(m, prompt, { maxNewTokens: 6, temperature: 1, topK: 1, seed: 5 }).newIds).toEqual(generate(m, prompt, { maxNewTokens: 6 }).newIds);
  });

  test("no tensors leak", () => {
    generate(m, [4, 5], { maxNewTokens: 3 });
    const before = tf.memory().numTensors;
    generate(m, [4, 5], { maxNewTokens: 5, temperature: 1 });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("generate: bad input", () => {
  test("errors name the argument", () => {
    const m = createModel(SPECS[0][1], { seed: 1 });
    expect(() => generate(m, [1, 2], { maxNewTokens: 30 })).toThrow(/2 prompt tokens \+ maxNewTokens 30 exceed the model's context of 24/);
    expect(() => generate(m, [1, 2], { temperature: -1 })).toThrow(/opts.temperature must be a number ≥ 0/);
    expect(() => generate(m, [1, 2], { topK: 0 })).toThrow(/opts.topK must be a positive integer/);
    expect(() => generate(m, [], {})).toThrow(/prompt must be a string or a non-empty array/);
    m.dispose();
    const bert = createModel(TINY_BERT, { seed: 1 });
    expect(() => generate(bert, [1, 2])).toThrow(/generation needs a causal \(decoder\) model/);
    bert.dispose();
  });

  test("sampleToken: temperature 0 is argmax; topK keeps only the k best", () => {
    const lg = Float32Array.from([0, 3, 1, 2]);
    expect(sampleToken(lg, 0, null, () => 0.5)).toBe(1);
    for (let i = 0; i < 20; i++) expect([1, 3]).toContain(sampleToken(lg, 5, 2, () => i / 20));
  });
});
