/** Parity with Hugging Face transformers on tiny random checkpoints (scripts/make_model_fixtures.py). */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { actName } from "../../../lib/hooks/names";
import { configFromHF, modelFromHF, type HFTensor } from "../../../lib/model/hf";
import { fixtureIndex, loadCheckpoint, loadReference, maskedMaxDiff } from "./fixtures";
import { DEFAULT_BACKEND, onBackend, PARITY_BACKENDS } from "../helpers/backends";
import * as fs from "fs";
import * as path from "path";
import { openGguf } from "../../../lib/io/gguf";
import { modelFromGguf } from "../../../lib/model/llama_load";
import type { TransformerModel } from "../../../lib/model/types";
import { loadPretrained } from "../../../lib/pretrained";
import { FIX } from "./fixtures";

beforeAll(async () => {
  await ready();
});

const index = fixtureIndex();
const TOL = index.tolerance;

describe.each(PARITY_BACKENDS)("on %s", (backend) => {
  onBackend(backend);
  describe.each(index.models.map((m) => [m.name, m] as const))("HF parity: %s", (name, fx) => {
    test.each(fx.cases)("case %s: logits, every hidden state and every attention pattern within 1e-4", (caseName) => {
      expect(tf.getBackend()).toBe(backend);
      const { config, tensors } = loadCheckpoint(name);
      const model = modelFromHF(config, tensors);
      const ref = loadReference(name, fx.arch, caseName);
      const n = model.config.nLayers;
      const names = [
        ...Array.from({ length: n }, (_, l) => actName("resid_pre", l)),
        ...Array.from({ length: n }, (_, l) => actName("pattern", l)),
        actName("resid_post", n - 1),
        ...(fx.arch === "gpt2" ? [actName("ln_final_normalized")] : []),
      ];
      const { logits, cache } = model.runWithCache(ref.batch, { names });
      const mask = ref.batch.attentionMask;
      const dl = maskedMaxDiff(logits, ref.logits, mask);
      if (process.env.ATTNLAB_SHOW_DIFFS) console.log(name, caseName, "logits max diff", dl, "max |logit|", tf.max(tf.abs(ref.logits)).dataSync()[0]);
      expect(dl).toBeLessThanOrEqual(TOL);
      for (let l = 0; l < n; l++) {
        const h = tf.squeeze(tf.slice(ref.hidden, [l], [1]), [0]);
        expect(maskedMaxDiff(cache.get(actName("resid_pre", l)), h, mask)).toBeLessThanOrEqual(TOL);
        const a = tf.squeeze(tf.slice(ref.attn, [l], [1]), [0]);
        expect(maskedMaxDiff(cache.get(actName("pattern", l)), a, mask, 2)).toBeLessThanOrEqual(TOL);
      }
      // HF's last hidden state: GPT-2 applies ln_f to it; BERT's is the last block's output.
      const last = tf.squeeze(tf.slice(ref.hidden, [n], [1]), [0]);
      const ours =
        fx.arch === "gpt2"
          ? tf.add(tf.mul(cache.get(actName("ln_final_normalized")), model.weights.ln_final_w!), model.weights.ln_final_b!)
          : cache.get(actName("resid_post", n - 1));
      expect(maskedMaxDiff(ours, last, mask)).toBeLessThanOrEqual(TOL);
      // Padded keys get exactly zero attention.
      if (mask.includes(0)) {
        const pat = cache.get(actName("pattern", 0)).arraySync() as number[][][][];
        const p = ref.batch.shape[1];
        for (let b = 0; b < ref.batch.shape[0]; b++) {
          for (let k = 0; k < p; k++) if (mask[b * p + k] === 0) expect(pat[b][0][0][k]).toBe(0);
        }
      }
      cache.dispose();
      logits.dispose();
      model.dispose();
    });
  });
});

describe("HF config and loading errors", () => {
  test("configFromHF maps GPT-2 and BERT configs", () => {
    const g = configFromHF(loadCheckpoint("gpt2-tied").config);
    expect(g).toMatchObject({ arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dHead: 8, dMlp: 128, nCtx: 64, dVocab: 100, act: "gelu_new", tiedUnembed: true, lnEps: 1e-5 });
    expect(configFromHF(loadCheckpoint("gpt2-untied").config).tiedUnembed).toBe(false);
    const b = configFromHF(loadCheckpoint("bert-mlm").config);
    expect(b).toMatchObject({ arch: "bert", act: "gelu", mlmHead: true, typeVocabSize: 2, lnEps: 1e-12, padTokenId: 0 });
    expect(configFromHF(loadCheckpoint("bert-bare").config).mlmHead).toBe(false);
  });

  test("unsupported architectures and options are refused by name", () => {
    expect(() => configFromHF({ model_type: "mistral" })).toThrow(/model_type "mistral" is not supported/);
    expect(() => configFromHF({ ...loadCheckpoint("gpt2-tied").config, architectures: ["GPT2ForSequenceClassification"] })).toThrow(
      /architecture GPT2ForSequenceClassification is not supported/,
    );
    expect(() => configFromHF({ ...loadCheckpoint("bert-mlm").config, position_embedding_type: "relative_key" })).toThrow(/position_embedding_type/);
    expect(() => configFromHF({ ...loadCheckpoint("gpt2-tied").config, n_embd: "big" })).toThrow(/config.n_embd must be a number/);
    expect(() => configFromHF(null)).toThrow(/configJson/);
    expect(() => configFromHF({ ...loadCheckpoint("bert-mlm").config, architectures: ["GPT2LMHeadModel"] })).toThrow(/does not match model_type "bert"/);
  });

  const broken = (name: string, edit: (t: Map<string, HFTensor>) => void) => {
    const { config, tensors } = loadCheckpoint(name);
    const copy = new Map(tensors);
    edit(copy);
    return () => modelFromHF(config, copy);
  };

  test("missing, mis-shaped and non-float tensors are named, and nothing leaks", () => {
    const before = tf.memory().numTensors;
    expect(broken("gpt2-tied", (t) => t.delete("transformer.h.1.mlp.c_proj.bias"))).toThrow(
      /missing tensor "transformer.h.1.mlp.c_proj.bias" \(expected shape \[32\]\)/,
    );
    expect(broken("gpt2-untied", (t) => t.delete("lm_head.weight"))).toThrow(/missing tensor "lm_head.weight"/);
    expect(
      broken("bert-mlm", (t) => t.set("bert.encoder.layer.1.attention.self.key.weight", { dtype: "F32", shape: [32, 16], data: new Float32Array(512) })),
    ).toThrow(/tensor "bert.encoder.layer.1.attention.self.key.weight" has shape \[32, 16\]; expected \[32, 32\]/);
    expect(broken("bert-bare", (t) => t.set("embeddings.word_embeddings.weight", { dtype: "I32", shape: [100, 32], data: new Int32Array(3200) }))).toThrow(
      /tensor "embeddings.word_embeddings.weight" has dtype I32/,
    );
    expect(broken("bert-mlm", (t) => t.delete("cls.predictions.transform.LayerNorm.weight"))).toThrow(/missing tensor "cls.predictions.transform.LayerNorm.weight"/);
    expect(tf.memory().numTensors).toBe(before);
  });

  test("GPT-2 buffers (attn.bias, masked_bias) and BERT's pooler are ignored; LayerNorm gamma/beta names are accepted", () => {
    const g = broken("gpt2-tied", (t) => {
      t.set("transformer.h.0.attn.bias", { dtype: "F32", shape: [1, 1, 64, 64], data: new Float32Array(4096) });
      t.set("transformer.h.0.attn.masked_bias", { dtype: "F32", shape: [], data: new Float32Array(1) });
    })();
    g.dispose();
    const { config, tensors } = loadCheckpoint("bert-bare");
    const renamed = new Map<string, HFTensor>();
    for (const [k, v] of tensors) renamed.set(k.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta"), v);
    const a = modelFromHF(config, tensors);
    const b = modelFromHF(config, renamed);
    const ids = [[5, 6, 7, 8]];
    expect(maskedMaxDiff(a.run(ids), b.run(ids), new Int32Array(4).fill(1))).toBe(0);
    a.dispose();
    b.dispose();
  });
});

// tfjs-node keeps the array given to tf.tensor() until an op first reads the tensor; the loaders
// hand every weight to TensorFlow at once, so no host copy of the checkpoint outlives the load.
(DEFAULT_BACKEND === "tensorflow" ? describe : describe.skip)("loaders on tfjs-node: weights live in TensorFlow only", () => {
  onBackend("tensorflow");
  const hostHeld = (model: TransformerModel): string[] => {
    const backend = tf.backend() as unknown as { tensorMap: { get(id: object): { values: unknown } | undefined } };
    const held: string[] = [];
    const visit = (v: unknown, at: string): void => {
      if (v instanceof tf.Tensor) {
        if (backend.tensorMap.get(v.dataId)?.values != null) held.push(at);
      } else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) visit(x, `${at}.${k}`);
    };
    visit(model.weights, "weights");
    return held;
  };

  test.each(["gpt2-tied", "gpt2-untied", "bert-mlm"])("loadPretrained (%s): no weight holds its host array after loading", async (name) => {
    const model = await loadPretrained(path.join(FIX, name), { tokenizer: false });
    expect(hostHeld(model)).toEqual([]);
    model.dispose();
  });

  test("modelFromGguf (a Llama fixture GGUF): no weight holds its host array after loading", () => {
    const dir = path.join(FIX, "..", "llama");
    const file = fs.readdirSync(dir, { recursive: true }).map(String).find((f) => f.endsWith(".gguf"));
    expect(file).toBeDefined();
    const model = modelFromGguf(openGguf(path.join(dir, file!)));
    expect(hostHeld(model)).toEqual([]);
    model.dispose();
  });
});
