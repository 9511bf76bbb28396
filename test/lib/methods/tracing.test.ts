import * as tf from "@tensorflow/tfjs";
import { createModel } from "../../../lib/model";
import { actName } from "../../../lib/hooks/names";
import { causalTrace } from "../../../lib/methods/tracing";
import { causalTraceNaive } from "../../../lib/methods/tracing_naive";
import { initBackend, maxAbsDiff, tinyTokenizer } from "./helpers";

beforeAll(initBackend);

describe("causal tracing", () => {
  let model: ReturnType<typeof createModel>;
  const ids = [5, 17, 230, 48, 9, 77, 301, 12];
  const opts = { subject: [2, 4] as [number, number], samples: 3, window: 4, seed: 4 };
  beforeAll(() => {
    model = createModel({ arch: "gpt2", nLayers: 6, dModel: 32, nHeads: 4, dVocab: 1000, nCtx: 32 }, { seed: 21, initStd: 0.3, tokenizer: tinyTokenizer() });
  });
  afterAll(() => model.dispose());

  test("fast path equals ROME's procedure run with hooks, for every kind and cell", async () => {
    let announced = 0;
    const fast = await causalTrace(model, ids, { ...opts, workers: 0, onPlan: (p) => (announced = p.forwardPasses) });
    const naive = await causalTraceNaive(model, ids, opts);
    expect(fast.kind).toBe("causal-trace");
    expect(announced).toBe(1 + 6);
    expect(fast.answer.id).toBe(naive.answer.id);
    expect(fast.pClean).toBeCloseTo(naive.pClean, 5);
    expect(fast.pCorrupted).toBeCloseTo(naive.pCorrupted, 5);
    expect(Math.abs(fast.pClean - fast.pCorrupted)).toBeGreaterThan(1e-3);
    for (const k of ["hidden", "mlp", "attn"] as const) {
      expect(maxAbsDiff(fast.grids[k]!.scores, naive.grids[k]!.scores)).toBeLessThan(2e-5);
      expect(fast.grids[k]!.indirect[0]).toBeCloseTo(0, 6); // before the subject: exactly p_corrupted
    }
    // Restoring the last position's output of the last block is the clean run there.
    expect(fast.grids.hidden!.scores[7 * 6 + 5]).toBeCloseTo(fast.pClean, 5);
    expect(fast.settings.seed).toBe(4);
    expect(fast.settings.samples).toBe(3);
  });

  test("a worker thread, and a tiny memory budget, give the same grid as one thread", async () => {
    const a = await causalTrace(model, ids, { ...opts, workers: 0 });
    const b = await causalTrace(model, ids, { ...opts, workers: 1 });
    expect(b.settings.workers).toBe(1);
    for (const k of ["hidden", "mlp", "attn"] as const) expect(maxAbsDiff(a.grids[k]!.scores, b.grids[k]!.scores)).toBeLessThan(1e-6);
    // A tiny memory budget: one cell per sweep, more passes, same numbers.
    let passes = 0;
    const c = await causalTrace(model, ids, { ...opts, workers: 0, memoryBudgetBytes: 1, onPlan: (p) => (passes = p.forwardPasses) });
    expect(passes).toBe(1 + 6 * 18);
    for (const k of ["hidden", "mlp", "attn"] as const) expect(maxAbsDiff(a.grids[k]!.scores, c.grids[k]!.scores)).toBeLessThan(1e-6);
  });

  test("causalTrace positions and layers: the restored cells equal the full grid's, the others are NaN", async () => {
    const full = await causalTrace(model, ids, { ...opts, workers: 0 });
    let passes = 0;
    const part = await causalTrace(model, ids, { ...opts, workers: 0, positions: [7, 3, 1], layers: [4, 0], onPlan: (p) => (passes = p.forwardPasses) });
    expect(passes).toBe(1 + 2); // positions 3 and 7 are restored; position 1 is before the subject (p_corrupted)
    for (const k of ["hidden", "mlp", "attn"] as const) {
      for (let p = 0; p < 8; p++) for (let l = 0; l < 6; l++) {
        const v = part.grids[k]!.scores[p * 6 + l];
        if ([1, 3, 7].includes(p) && [0, 4].includes(l)) expect(Math.abs(v - full.grids[k]!.scores[p * 6 + l])).toBeLessThan(1e-6);
        else expect(v).toBeNaN();
      }
    }
    const naive = await causalTraceNaive(model, ids, { ...opts, positions: [7], layers: [4] });
    expect(naive.grids.mlp!.scores[7 * 6 + 4]).toBeCloseTo(full.grids.mlp!.scores[7 * 6 + 4], 5);
    expect(naive.grids.mlp!.scores[7 * 6 + 3]).toBeNaN();
    await expect(causalTrace(model, ids, { ...opts, positions: [8] })).rejects.toThrow(/positions must be a non-empty array of token positions from 0 to 7/);
    await expect(causalTrace(model, ids, { ...opts, layers: [] })).rejects.toThrow(/layers must be a non-empty array/);
  });

  test("fast path: when only the last token is noised, restoring it at any layer gives back p_clean", async () => {
    // Every position that differs from the clean run is restored, so each cell must equal p_clean.
    const r = await causalTrace(model, ids, { subject: [7, 8], samples: 3, workers: 0, kinds: ["hidden"], seed: 9 });
    expect(Math.abs(r.pClean - r.pCorrupted)).toBeGreaterThan(1e-4);
    for (let l = 0; l < 6; l++) expect(r.grids.hidden!.scores[7 * 6 + l]).toBeCloseTo(r.pClean, 6);
    for (let l = 0; l < 6; l++) expect(r.grids.hidden!.scores[0 * 6 + l]).toBeCloseTo(r.pCorrupted, 7); // float32 grid
  });

  test("restoring p at layer l leaves earlier positions unchanged; restoring every position gives back the clean run", () => {
    const S = 2;
    const P = ids.length;
    const noise = tf.tidy(() => tf.pad(tf.randomNormal([S, 2, 32], 0, 1, "float32", 3), [[1, 0], [2, P - 4], [0, 0]]));
    const rows = Array.from({ length: 1 + S }, () => ids);
    const names = Array.from({ length: 6 }, (_, l) => actName("resid_post", l));
    const restore = (pos: number | null) => (x: tf.Tensor) => {
      const m = new Uint8Array((1 + S) * P);
      for (let r = 1; r <= S; r++) for (let p = 0; p < P; p++) if (pos === null || p === pos) m[r * P + p] = 1;
      return tf.where(tf.tensor3d(m, [1 + S, P, 1], "bool"), tf.broadcastTo(x.slice([0, 0, 0], [1, -1, -1]), x.shape), x);
    };
    const embed = { name: "hook_embed" as const, fn: (x: tf.Tensor) => tf.add(x, noise) };
    const corr = model.runWithHooks(rows, [embed], { names });
    const rest = model.runWithHooks(rows, [embed, { name: actName("resid_post", 2), fn: restore(5) }], { names });
    for (let l = 3; l < 6; l++) {
      const a = corr.cache!.get(names[l]).slice([0, 0, 0], [-1, 5, -1]).dataSync();
      const b = rest.cache!.get(names[l]).slice([0, 0, 0], [-1, 5, -1]).dataSync();
      expect(maxAbsDiff(a, b)).toBe(0);
      expect(maxAbsDiff(corr.cache!.get(names[l]).dataSync(), rest.cache!.get(names[l]).dataSync())).toBeGreaterThan(0);
    }
    for (let l = 0; l < 6; l++) {
      const all = model.runWithHooks(rows, [embed, { name: actName("resid_post", l), fn: restore(null) }]);
      const last = tf.softmax(all.logits.slice([0, P - 1, 0], [-1, 1, -1]).reshape([1 + S, -1])).dataSync();
      expect(maxAbsDiff(last.slice(1000, 2000), last.slice(0, 1000))).toBeLessThan(1e-6);
      all.logits.dispose();
    }
    [corr, rest].forEach((r) => (r.logits.dispose(), r.cache!.dispose()));
    noise.dispose();
  });

  test("subject as text, errors, and cancellation", async () => {
    const prompt = "The Eiffel Tower is in the city of";
    const r = await causalTrace(model, prompt, { subject: "Eiffel Tower", samples: 2, kinds: ["hidden"], workers: 0 });
    const toks = model.toStrTokens(prompt);
    expect(toks.slice(r.subjectRange[0], r.subjectRange[1]).join("")).toContain("Eiffel");
    expect(r.settings.noiseStdOver).toMatch(/subject/);
    expect(r.settings.noise).toBeCloseTo(3 * r.settings.embeddingStd!, 6);
    expect(Object.keys(r.grids)).toEqual(["hidden"]);
    await expect(causalTrace(model, prompt, { subject: "Louvre" })).rejects.toThrow(/subject "Louvre" is not in the prompt/);
    await expect(causalTrace(model, ids, { subject: [3, 9] })).rejects.toThrow(/subject range must be \[start, end\) with 0 ≤ start < end ≤ 8; got \[3, 9\]/);
    await expect(causalTrace(model, ids, { subject: "Tower" })).rejects.toThrow(/needs a text prompt/);
    await expect(causalTrace(model, ids, { ...opts, noiseDraws: new Float32Array(5) })).rejects.toThrow(/noiseDraws must hold/);
    const ctl = new AbortController();
    const part = await causalTrace(model, ids, { ...opts, workers: 0, signal: ctl.signal, onProgress: (e) => e.done >= 3 * 6 * 4 && ctl.abort() });
    expect(part.partial).toBe(true);
    expect(Number.isNaN(part.grids.hidden!.scores[7 * 6])).toBe(true);
  });
});
