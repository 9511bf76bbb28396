/**
 * Every method family on SmolLM2-135M itself (loadModel("smollm2-135m"), loaded once), briefly, on
 * short prompts, each checked on something that could fail: causal tracing's fast path (RoPE
 * positions in the suffix recompute, GQA key/value heads shared by three query heads) against the
 * hooked procedure and restoring the clean output at the last layer's last token; activation
 * patching restoring 1 from the clean residual; the logit lens ending at the model's logits;
 * direct logit attribution summing to the logit difference; ablating the induction head 18.6
 * raising the loss on repeated tokens; gradient attributions, attribution patching and probes; and
 * their figures rendering to SVG.
 */
import * as tf from "@tensorflow/tfjs";
import { figure } from "../../lib/figures";
import { ablate } from "../../lib/methods/ablation";
import { attributions } from "../../lib/methods/attribution";
import { attributionPatching } from "../../lib/methods/attribution_patching";
import { repeatedRandomTokens } from "../../lib/methods/induction";
import { logitLens } from "../../lib/methods/lens";
import { logitAttribution } from "../../lib/methods/logit_attribution";
import { patchResidByPos } from "../../lib/methods/patching";
import { attentionPattern } from "../../lib/methods/patterns";
import { probe } from "../../lib/methods/probing";
import { causalTrace } from "../../lib/methods/tracing";
import { causalTraceNaive } from "../../lib/methods/tracing_naive";
import type { HookedTransformer } from "../../lib/model/model";
import { loadModel } from "../../lib/zoo";

let model: HookedTransformer;
beforeAll(async () => {
  model = (await loadModel("smollm2-135m")) as HookedTransformer;
}, 180000);
afterAll(() => model?.dispose());

const CLEAN = "<|endoftext|>The capital of France is";
const CORRUPTED = "<|endoftext|>The capital of Italy is";
const finite = (a: ArrayLike<number>) => Array.from(a).every(Number.isFinite);
const id = (s: string) => model.tokenizer!.encode(s).ids[0];
const svgOf = (r: unknown) => figure(r).toSVG();

describe("methods on SmolLM2-135M", () => {
  test("causalTrace: the fast path equals the hooked procedure on sampled cells, and restoring the last layer's output at the last token gives p_clean", async () => {
    const opts = { subject: "France", samples: 3, window: 10, seed: 2, workers: 0 };
    const fast = await causalTrace(model, CLEAN, opts);
    const L = model.config.nLayers;
    const P = fast.tokens.length;
    expect(fast.answer.token).toBe(" Paris");
    expect(fast.pClean - fast.pCorrupted).toBeGreaterThan(0.1);
    expect(fast.grids.hidden!.scores[(P - 1) * L + L - 1]).toBeCloseTo(fast.pClean, 4);
    // Cells that recompute a suffix with rotary positions from pos0 > 0 and late windows.
    const cells = [
      { kind: "hidden" as const, pos: 4, layer: 3 },
      { kind: "mlp" as const, pos: 4, layer: 0 },
      { kind: "attn" as const, pos: P - 1, layer: 18 },
      { kind: "mlp" as const, pos: P - 2, layer: 12 },
    ];
    const naive = await causalTraceNaive(model, CLEAN, { ...opts, cells });
    expect(naive.pCorrupted).toBeCloseTo(fast.pCorrupted, 5);
    for (const c of cells) expect(Math.abs(fast.grids[c.kind]!.scores[c.pos * L + c.layer] - naive.grids[c.kind]!.scores[c.pos * L + c.layer])).toBeLessThan(1e-4);
    expect(svgOf(fast)).toContain("Restoring MLP outputs");
  }, 300000);

  test("patchResidByPos: the clean residual at the changed token (layer 0) restores 1, at the last token before the last layer nearly 1, before the changed token 0", async () => {
    const r = await patchResidByPos(model, CLEAN, CORRUPTED, { metric: { answer: " Paris", wrong: " Rome" } });
    const [L, P] = r.shape;
    expect(r.cleanMetric - r.corruptedMetric).toBeGreaterThan(1);
    const changed = model.tokenizer!.encode(CLEAN).ids.findIndex((t, i) => t !== model.tokenizer!.encode(CORRUPTED).ids[i]);
    expect(r.data[0 * P + changed]).toBeCloseTo(1, 4);
    // The last token's residual before the last layer carries nearly all of it; not all, since the
    // last layer's attention still reads the corrupted keys and values of the changed token.
    expect(r.data[(L - 1) * P + P - 1]).toBeGreaterThan(0.95);
    // Before the changed token both runs are the same: patching there does nothing.
    expect(r.data[5 * P + 1]).toBeCloseTo(0, 4);
    expect(svgOf(r)).toMatch(/^<svg/);
  }, 300000);

  test("logitLens: the last row is the model's output; direct logit attribution sums to the logit difference", () => {
    const lens = logitLens(model, CLEAN, { topK: 1, target: id(" Paris") });
    const ids = model.tokenizer!.encode(CLEAN).ids;
    const P = ids.length;
    const L = model.config.nLayers;
    const probs = tf.tidy(() => tf.softmax(model.run([ids]).slice([0, P - 1, 0], [1, 1, -1]).reshape([-1])).dataSync());
    expect(lens.topTokens[L][P - 1][0]).toBe(" Paris");
    expect(lens.topProbs[(L * P + P - 1) * 1]).toBeCloseTo(probs[id(" Paris")], 4);
    expect(lens.targetRank![L * P + P - 1]).toBe(0);
    expect(svgOf(lens)).toMatch(/^<svg/);
    const dla = logitAttribution(model, CLEAN, { answer: " Paris", against: " Rome" });
    expect(dla.centred).toBe(false); // RMSNorm
    expect(dla.value).toBeGreaterThan(1);
    expect(Math.abs(dla.total - dla.value)).toBeLessThan(1e-3 * Math.max(1, Math.abs(dla.value)));
    expect(svgOf(dla)).toMatch(/^<svg/);
  }, 120000);

  test("ablate: zeroing induction head 18.6 raises the loss on repeated random tokens more than zeroing head 0.0", async () => {
    const rows = repeatedRandomTokens(model.config.dVocab, { seqLen: 20, batch: 1, seed: 3, bos: 0, range: [100, 49152] }).ids;
    const r = await ablate(model, rows[0], [{ type: "head", layer: 18, head: 6 }, { type: "head", layer: 0, head: 0 }], { measure: "loss" });
    expect(r.effects[0]).toBeGreaterThan(0.05);
    expect(r.effects[0]).toBeGreaterThan(r.effects[1]);
  }, 120000);

  test("attributions (gradients), attribution patching and patterns per query head", async () => {
    const at = attributions(model, CLEAN, { layer: 29, head: 0, steps: 2 });
    expect(at.predicted.token).toBe(" Paris");
    expect(finite(at.gradInput) && finite(at.integratedGradients)).toBe(true);
    expect(Array.from(at.gradInput).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(svgOf(at)).toMatch(/^<svg/);
    const ap = await attributionPatching(model, CLEAN, CORRUPTED, { metric: { answer: id(" Paris"), wrong: id(" Rome") }, grids: ["resid"] });
    const g = ap.grids.resid!;
    const [, P] = g.shape;
    expect(finite(g.data)).toBe(true);
    // Positions before the changed token carry the same activation in both runs: the estimate is 0
    // (up to float32 rounding: the two runs are separate forward passes, measured up to 5e-9).
    expect(Math.abs(g.data[10 * P + 1])).toBeLessThan(1e-6);
    const pat = attentionPattern(model, CLEAN, { layer: 16 });
    expect(pat.shape).toEqual([9, P, P]);
    expect(svgOf(pat)).toMatch(/^<svg/);
  }, 180000);

  test("probe: a linear probe on resid_post reads word class from a few sentences", async () => {
    const lex: [string, string][] = [["the", "DET"], ["a", "DET"], ["dog", "N"], ["cat", "N"], ["bird", "N"], ["runs", "V"], ["sleeps", "V"], ["sings", "V"]];
    const ex = Array.from({ length: 16 }, (_, i) => {
      const pick = (k: number) => lex[(i * 7 + k * 3) % lex.length];
      const words = [pick(0), pick(1), pick(2), pick(3), pick(4)];
      return { words: words.map((w) => w[0]), labels: words.map((w) => w[1]) };
    });
    const p = await probe(model, ex, { sites: ["resid_post"], maxEpochs: 10, control: false, seed: 1 });
    expect(p.shape).toEqual([1, 30]);
    expect(Math.max(...Array.from(p.accuracy))).toBeGreaterThan(0.9);
  }, 180000);
});
