/**
 * Smoke tests of the training harness on tiny configurations: gradients of the custom ops, loss going
 * down, determinism, worker-thread data parallelism, and HF checkpoints that attnlab's loader reads
 * back with the same loss.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../lib/model/types";
import { loadPretrained } from "../../lib/pretrained";
import { saveHF, loadHFParams } from "../../scripts/train/checkpoint";
import { gatherRows, gptLogits, mm, tokenLosses, type Batch } from "../../scripts/train/forward";
import { repeatedRow } from "../../scripts/data/lm";
import { computeLoss, useBackend } from "../../scripts/train/grads";
import { initParams, paramSpecs, sinusoidalPositions } from "../../scripts/train/params";
import { Rng } from "../../scripts/train/rng";
import { learningRate, train } from "../../scripts/train/trainer";

const gpt: ModelConfig = {
  arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dHead: 8, dMlp: 64, nCtx: 24, dVocab: 40,
  lnEps: 1e-5, act: "gelu_new", attnOnly: false, tiedUnembed: true, name: "tiny-gpt",
};
const attnOnly: ModelConfig = { ...gpt, dMlp: 0, attnOnly: true, name: "tiny-attn-only" };
const bert: ModelConfig = { ...gpt, arch: "bert", lnEps: 1e-12, typeVocabSize: 2, mlmHead: true, name: "tiny-bert" };

/** Repeated random segments: learnable only by copying from context. */
function repeatBatch(step: number, B = 8, T = 23, V = 40): Batch {
  const r = Rng.derive(7, step);
  const b: Batch = { input: new Int32Array(B * T), target: new Int32Array(B * T), weight: new Float32Array(B * T), shape: [B, T] };
  for (let i = 0; i < B; i++) {
    const seg = Array.from({ length: 12 }, () => 1 + r.int(V - 1));
    const seq = [0, ...seg, ...seg];
    for (let t = 0; t < T; t++) {
      b.input[i * T + t] = seq[t];
      b.target[i * T + t] = seq[t + 1];
      b.weight[i * T + t] = 1;
    }
  }
  return b;
}

beforeAll(async () => {
  await useBackend();
});

describe("custom gradients", () => {
  test("gatherRows' scatter-add gradient equals the one-hot matmul gradient", () => {
    const w = tf.randomNormal([7, 5], 0, 1, "float32", 1);
    const ids = Int32Array.from([3, 1, 3, 6, 0, 3]);
    const up = tf.randomNormal([6, 5], 0, 1, "float32", 2);
    const g1 = tf.grad((x: tf.Tensor) => gatherRows(x, ids).mul(up).sum())(w);
    const g2 = tf.grad((x: tf.Tensor) => tf.matMul(tf.oneHot(tf.tensor1d(ids, "int32"), 7).toFloat(), x).mul(up).sum())(w);
    expect(Array.from(g1.dataSync())).toEqual(Array.from(g2.dataSync()).map((v) => expect.closeTo(v, 5)));
  });

  test("mm's gradients equal tf.matMul's, for 2-D and batched operands", () => {
    for (const [sa, sb] of [[[6, 4], [4, 3]], [[2, 3, 6, 4], [2, 3, 4, 5]]] as [number[], number[]][]) {
      const a = tf.randomNormal(sa, 0, 1, "float32", 3);
      const b = tf.randomNormal(sb, 0, 1, "float32", 4);
      const f = (op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => op(x, y).square().sum())([a, b]);
      const mine = f(mm);
      const ref = f((x, y) => tf.matMul(x, y));
      for (let i = 0; i < 2; i++) {
        const r = ref[i].dataSync();
        mine[i].dataSync().forEach((v, j) => expect(v).toBeCloseTo(r[j], 3));
      }
    }
  });
});

describe("repeatedRow", () => {
  test("with gaps, every scored target repeats the token after an earlier occurrence, at varying distances", () => {
    const rng = new Rng(9);
    const distances = new Set<number>();
    for (let r = 0; r < 20; r++) {
      const { seq, weight } = repeatedRow(96, rng, 500, 0, 4, 12, 6);
      expect(seq).toHaveLength(97);
      expect(weight).toHaveLength(96);
      weight.forEach((w, t) => {
        if (!w) return;
        // Position t predicts seq[t+1]: the pair (seq[t], seq[t+1]) occurred before.
        let found = -1;
        for (let j = t - 1; j >= 1 && found < 0; j--) if (seq[j] === seq[t] && seq[j + 1] === seq[t + 1]) found = j;
        expect(found).toBeGreaterThan(0);
        distances.add(t - found);
      });
    }
    expect(distances.size).toBeGreaterThan(10);
  });

  test("without gaps the segment's repeat follows it directly, as before", () => {
    const { seq, weight } = repeatedRow(40, new Rng(2), 500, 0, 20, 20);
    expect(seq.slice(21, 41)).toEqual(seq.slice(1, 21));
    expect(weight.slice(0, 21).every((w) => w === 0)).toBe(true);
    expect(weight.slice(21, 40).every((w) => w === 1)).toBe(true);
  });
});

describe("sinusoidalPositions", () => {
  test("has the requested RMS, and each sin/cos pair has the same norm at every position", () => {
    const T = 128;
    const d = 32;
    const p = sinusoidalPositions(T, d, 0.19);
    const rms = Math.sqrt(p.reduce((a, x) => a + x * x, 0) / p.length);
    expect(rms).toBeCloseTo(0.19, 2);
    const pairNorm = (t: number, i: number) => Math.hypot(p[t * d + 2 * i], p[t * d + 2 * i + 1]);
    for (const t of [0, 5, 127]) for (const i of [0, 7, 15]) expect(pairNorm(t, i)).toBeCloseTo(0.19 * Math.SQRT2, 5);
    expect(p[0]).toBe(0); // sin(0)
    expect(p[1 * d]).not.toBe(p[2 * d]); // positions differ
  });
});

describe("training", () => {
  test("learning rate warms up linearly and decays to minLrFrac by cosine", () => {
    const o = { lr: 1, warmup: 10, minLrFrac: 0.1, steps: 110 };
    expect(learningRate(0, o)).toBeCloseTo(0.1);
    expect(learningRate(9, o)).toBeCloseTo(1);
    expect(learningRate(60, o)).toBeCloseTo(0.55);
    expect(learningRate(110, o)).toBeCloseTo(0.1);
  });

  test.each([attnOnly, gpt, bert])("loss goes down on a tiny $name", async (cfg) => {
    const lines: string[] = [];
    // A fixed successor rule (next = 3·cur + 1 mod 40) from a random start: learnable in a few steps.
    const batch = (s: number): Batch => {
      const r = Rng.derive(11, s);
      const B = 8;
      const T = 23;
      const b: Batch = { input: new Int32Array(B * T), target: new Int32Array(B * T), weight: new Float32Array(B * T), shape: [B, T] };
      for (let i = 0; i < B; i++) {
        let cur = r.int(40);
        for (let t = 0; t < T; t++) {
          const next = (3 * cur + 1) % 40;
          b.input[i * T + t] = cur;
          b.target[i * T + t] = cfg.arch === "bert" ? cur : next;
          b.weight[i * T + t] = cfg.arch === "bert" ? (t % 4 === 2 ? 1 : 0) : 1;
          cur = next;
        }
        // Masked LM: the scored positions are hidden; their neighbours tell the answer.
        if (cfg.arch === "bert") for (let t = 2; t < T; t += 4) b.input[i * T + t] = 0;
      }
      return b;
    };
    // Post-LN BERT must learn to read its neighbours through attention first, so it gets more steps.
    const bertRun = cfg.arch === "bert";
    const r = await train({ cfg, seed: 1, steps: bertRun ? 100 : 30, batch, lr: bertRun ? 3e-3 : 1e-2, warmup: 3, workers: 0, log: (l) => lines.push(l), logEvery: 10 });
    const first = r.history.slice(0, 5).reduce((s, h) => s + h.loss, 0) / 5;
    const last = r.history.slice(-5).reduce((s, h) => s + h.loss, 0) / 5;
    expect(last).toBeLessThan(first - (bertRun ? 0.2 : 0.5));
    expect(lines.some((l) => /ETA/.test(l))).toBe(true);
  });

  test("a run is a deterministic function of the seed", async () => {
    const run = () => train({ cfg: attnOnly, seed: 5, steps: 3, batch: repeatBatch, lr: 1e-3, workers: 0, log: () => {} });
    const [a, b] = [await run(), await run()];
    expect(Array.from(a.params["transformer.wte.weight"])).toEqual(Array.from(b.params["transformer.wte.weight"]));
    const c = await train({ cfg: attnOnly, seed: 6, steps: 3, batch: repeatBatch, lr: 1e-3, workers: 0, log: () => {} });
    expect(Array.from(c.params["transformer.wte.weight"])).not.toEqual(Array.from(a.params["transformer.wte.weight"]));
  });

  test("two worker threads give the same update as one thread", async () => {
    const one = await train({ cfg: gpt, seed: 2, steps: 2, batch: repeatBatch, lr: 1e-3, workers: 0, log: () => {} });
    const two = await train({ cfg: gpt, seed: 2, steps: 2, batch: repeatBatch, lr: 1e-3, workers: 2, log: () => {} });
    const a = one.params["transformer.h.1.attn.c_attn.weight"];
    const b = two.params["transformer.h.1.attn.c_attn.weight"];
    let maxDiff = 0;
    a.forEach((v, i) => (maxDiff = Math.max(maxDiff, Math.abs(v - b[i]))));
    expect(maxDiff).toBeLessThan(1e-5);
    expect(two.history[1].loss).toBeCloseTo(one.history[1].loss, 4);
  });

  test("batchLoss on the scored rows only equals the loss over every row", () => {
    const params = initParams(attnOnly, 3);
    const b = repeatBatch(4);
    b.weight.forEach((_, i) => (b.weight[i] = i % 3 === 0 ? 1 : 0)); // a third scored: the gathered path
    const den = 7;
    const gathered = computeLoss(attnOnly, params, b, den);
    const full = tf.tidy(() => {
      const p = Object.fromEntries(paramSpecs(attnOnly).map((sp) => [sp.name, tf.tensor(params[sp.name], sp.shape)]));
      return tokenLosses(gptLogits(p, attnOnly, b.input, 8, 23), b.target).mul(tf.tensor1d(b.weight)).sum().div(den).dataSync()[0];
    });
    expect(gathered).toBeCloseTo(full, 5);
  });

  test("bad arguments are named", async () => {
    await expect(train({ cfg: gpt, seed: 1, steps: 0, batch: repeatBatch, lr: 1e-3 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(train({ cfg: { ...gpt, dHead: 7 }, seed: 1, steps: 1, batch: repeatBatch, lr: 1e-3 })).rejects.toThrow(/dModel \(32\) must equal nHeads\*dHead/);
  });
});

describe("HF checkpoints", () => {
  const tok = (dir: string) => {
    // A byte-level BPE with single characters only is enough for loadPretrained to build a tokenizer.
    const vocab: Record<string, number> = { "<|endoftext|>": 0 };
    "abcdefghijklmnopqrstuvwxyzĠ.,".split("").forEach((c, i) => (vocab[c] = i + 1));
    fs.writeFileSync(path.join(dir, "vocab.json"), JSON.stringify(vocab));
    fs.writeFileSync(path.join(dir, "merges.txt"), "#version: 0.2\n");
    return [path.join(dir, "vocab.json"), path.join(dir, "merges.txt")];
  };

  test.each([attnOnly, gpt, bert])("attnlab's loader reads a saved $name with the training forward's loss", async (cfg) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-ckpt-"));
    try {
      const params = initParams(cfg, 3);
      // Perturb LayerNorms and biases so a swapped or transposed tensor would show.
      for (const [k, v] of Object.entries(params)) if (!/wte|word_embeddings/.test(k)) v.forEach((x, i) => (v[i] = x + 0.05 * Math.sin(i + k.length)));
      const files = cfg.arch === "gpt2" ? tok(dir) : [];
      saveHF(dir, cfg, params, { tokenizerFiles: files.filter((f) => path.dirname(f) !== dir), specialIds: { bos: 0, eos: 0, pad: 0 } });
      expect(Object.keys(loadHFParams(dir, cfg))).toEqual(Object.keys(params));
      const model = await loadPretrained(dir, { bundled: false });
      expect(model.config.attnOnly).toBe(cfg.attnOnly);
      const b = repeatBatch(0, 1, 23, cfg.dVocab);
      const logits = model.run({ ids: b.input, shape: [1, 23], attentionMask: new Int32Array(23).fill(1) });
      const lib = tf.tidy(() => tf.logSoftmax(logits).reshape([23, cfg.dVocab]).mul(tf.oneHot(tf.tensor1d(b.target, "int32"), cfg.dVocab)).sum().neg().div(23).dataSync()[0]);
      const mine = computeLoss(cfg, params, b, 23);
      expect(lib).toBeCloseTo(mine, 4);
      logits.dispose();
      model.dispose();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
