/**
 * The shipped teaching models: each loads by name from models/ with no network, and still shows the
 * finding its card reports (quick versions of scripts/train/measure-*.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { listModels, loadModel, modelPath, packageRoot, SHIPPED_MODELS } from "../../lib/zoo";
import { measureAttnOnly } from "../../scripts/train/measure-attn-only";
import type { TransformerModel } from "../../lib/model/types";

beforeAll(() => {
  // Any attempt to reach a hub would fail loudly rather than silently download.
  process.env.HF_HUB_OFFLINE = "1";
});

function greedy(model: TransformerModel, prompt: number[], n: number): number[] {
  const ids = [...prompt];
  for (let i = 0; i < n; i++) {
    const logits = model.run([ids]);
    const next = tf.tidy(() => logits.slice([0, ids.length - 1, 0], [1, 1, -1]).argMax(-1).dataSync()[0]);
    logits.dispose();
    ids.push(next);
  }
  return ids.slice(prompt.length);
}

describe("zoo", () => {
  test("every shipped model is present in models/", () => {
    expect(listModels().map((m) => m.name)).toEqual(SHIPPED_MODELS.map((m) => m.name));
    expect(modelPath("attn-only-2l")).toBe(require("path").join(packageRoot(), "models", "attn-only-2l"));
  });

  test("an unknown name is refused with the list of known models", async () => {
    await expect(loadModel("gpt2")).rejects.toThrow(/loadModel: name must be one of "attn-only-2l"/);
    await expect(loadModel(undefined as unknown as string)).rejects.toThrow(/got undefined/);
  });

  test.each(SHIPPED_MODELS.map((m) => [m.name, m.arch]))("%s loads by name with its tokenizer", async (name, arch) => {
    const model = await loadModel(name);
    try {
      expect(model.config.arch).toBe(arch);
      expect(model.tokenizer).toBeDefined();
      const logits = model.run("The jury said");
      expect(logits.shape[2]).toBe(model.config.dVocab);
      expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
      logits.dispose();
    } finally {
      model.dispose();
    }
  });

  test("attn-only-2l: a previous-token head in layer 0 and an induction head in layer 1", async () => {
    const model = await loadModel("attn-only-2l");
    try {
      const m = await measureAttnOnly(model, 4, 50, 1);
      expect(m.bestPrev.score).toBeGreaterThanOrEqual(0.6);
      // Prefix matching of the layer-1 head that detect_head ranks first (detect_head's own score tops out near 0.5 here).
      expect(m.prefixMatching[1][m.bestInduction.head]).toBeGreaterThanOrEqual(0.6);
      expect(m.bestInduction.score).toBeGreaterThanOrEqual(0.3);
      // The repeat is predictable only through the induction head.
      expect(m.loss.repeat).toBeLessThan(m.loss.firstBlock - 2);
      expect(m.loss.repeatAblated - m.loss.repeat).toBeGreaterThan(2);
      // ...and leaves the first block, where nothing repeats, nearly alone (the card's target: within 0.2).
      expect(Math.abs(m.loss.firstBlockAblated - m.loss.firstBlock)).toBeLessThan(0.2);
    } finally {
      model.dispose();
    }
  });

  test("facts-gpt recalls a trained fact", async () => {
    const model = await loadModel("facts-gpt");
    try {
      const tok = model.tokenizer!;
      const prompt = [0, ...tok.encode("The capital of France is").ids];
      const want = tok.encode(" Paris").ids;
      expect(greedy(model, prompt, want.length)).toEqual(want);
    } finally {
      model.dispose();
    }
  });
});
