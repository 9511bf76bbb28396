import * as tf from "@tensorflow/tfjs";
import { actName } from "../../../lib/hooks/names";
import {
  attentionPattern,
  detectHead,
  duplicateTokenDetection,
  headScores,
  inductionDetection,
  previousTokenDetection,
  readPatterns,
  scoreHeadPattern,
} from "../../../lib/methods/patterns";
import { IND, inductionModel, initBackend, randomGpt2 } from "./helpers";

beforeAll(initBackend);

describe("detection patterns", () => {
  test("previous-token, duplicate and induction patterns", () => {
    expect(Array.from(previousTokenDetection(3))).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0]);
    const ids = [5, 7, 5, 7];
    expect(Array.from(duplicateTokenDetection(ids))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]);
    // induction: query 2 (token 5, seen at 0) -> key 1; query 3 (token 7, seen at 1) -> key 2.
    expect(Array.from(inductionDetection(ids))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]);
  });

  test("mul and abs error measures with excludeBos / excludeCurrentToken, on a copy", () => {
    const A = new Float32Array([1, 0, 0, 0.5, 0.5, 0, 0.2, 0.6, 0.2]);
    const keep = A.slice();
    const P = previousTokenDetection(3);
    expect(scoreHeadPattern(A, P, 3, { errorMeasure: "mul" })).toBeCloseTo((0.5 + 0.6) / 3, 6);
    // Key 0 zeroed: numerator keeps 0.6 (key 1), denominator loses 1 + 0.5 + 0.2.
    expect(scoreHeadPattern(A, P, 3, { errorMeasure: "mul", excludeBos: true })).toBeCloseTo(0.6 / (0.5 + 0.6 + 0.2), 6);
    expect(scoreHeadPattern(A, P, 3, { errorMeasure: "mul", excludeCurrentToken: true })).toBeCloseTo((0.5 + 0.6) / (0.5 + 0.2 + 0.6), 6);
    // abs: Σ|A−P| = 1 + 0.5+0.5 + 0.2+0.4+0.2 = 2.8 -> 1 − round(2.8/3, 3)
    expect(scoreHeadPattern(A, P, 3, { errorMeasure: "abs" })).toBeCloseTo(1 - 0.933, 6);
    expect(scoreHeadPattern(A, P, 3, { errorMeasure: "abs", excludeBos: true, excludeCurrentToken: true })).toBeCloseTo(1 - 0.133, 6); // only query 2 -> key 1 remains: |0.6 − 1| = 0.4
    expect(Array.from(A)).toEqual(Array.from(keep));
    expect(() => scoreHeadPattern(A, P, 3, { errorMeasure: "sq" as never })).toThrow(/errorMeasure/);
    expect(() => scoreHeadPattern(A, new Float32Array([0, 1, 0, 0, 0, 0, 0, 0, 0]), 3)).toThrow(/lower-triangular/);
  });
});

describe("hand-built induction model", () => {
  let model: ReturnType<typeof inductionModel>;
  beforeAll(() => {
    model = inductionModel();
  });
  const half = [3, 8, 1, 10, 6, 2, 9, 4];
  const ids = [0, ...half, ...half];

  test("detector finds the previous-token head in layer 0 and the induction head in layer 1", () => {
    const prev = detectHead(model, ids, "previous_token");
    expect(prev.kind).toBe("head-detection");
    expect(prev.shape).toEqual([2, 2]);
    expect(prev.scores[0]).toBeGreaterThan(0.9); // L0H0
    expect(prev.scores[1]).toBeLessThan(0.3); // L0H1, uniform
    const ind = detectHead(model, ids, "induction", { errorMeasure: "mul" });
    expect(ind.scores[2]).toBeGreaterThan(0.4); // L1H0 (first half has nothing to induct from)
    expect(ind.scores[2]).toBeGreaterThan(3 * Math.max(ind.scores[0], ind.scores[1], ind.scores[3]));
    const all = headScores(model, ids, { excludeBos: true });
    expect(all.kind).toBe("head-scores");
    const i = all.scores.induction;
    expect(i.indexOf(Math.max(...i))).toBe(2);
    const p = all.scores.previous_token;
    expect(p.indexOf(Math.max(...p))).toBe(0);
    expect(all.settings.excludeBos).toBe(true);
  });

  test("attention pattern of one head, and errors for out-of-range layer/head", () => {
    const r = attentionPattern(model, ids, { layer: 0, head: 0 });
    const n = ids.length;
    expect(r.shape).toEqual([n, n]);
    expect(r.data[5 * n + 4]).toBeGreaterThan(0.95);
    expect(r.tokens.length).toBe(n);
    expect(() => attentionPattern(model, ids, { layer: 2 })).toThrow(/layer must be an integer in \[0, 1\]; got 2/);
    expect(() => attentionPattern(model, ids, { layer: 0, head: 5 })).toThrow(/head must be an integer in \[0, 1\]/);
    expect(IND.V).toBe(30);
  });

  test("attentionPattern over layers: [layer, head, query, key], each layer as attentionPattern gives it alone", () => {
    const n = ids.length;
    const all = attentionPattern(model, ids, { layers: "all" });
    expect(all.shape).toEqual([2, 2, n, n]);
    expect(all.settings).toEqual({ layer: 0, head: null, layers: [0, 1] });
    for (const l of [0, 1]) expect(Array.from(all.data.subarray(l * 2 * n * n, (l + 1) * 2 * n * n))).toEqual(Array.from(attentionPattern(model, ids, { layer: l }).data));
    const one = attentionPattern(model, ids, { layers: [1] });
    expect(one.shape).toEqual([1, 2, n, n]);
    expect(one.settings.layers).toEqual([1]);
    expect(() => attentionPattern(model, ids, { layers: [0, 2] })).toThrow(/layers\[\] must be an integer in \[0, 1\]; got 2/);
    expect(() => attentionPattern(model, ids, { layers: [] })).toThrow(/opts.layers must be "all" or a non-empty array/);
    expect(() => attentionPattern(model, ids, { layers: [0], layer: 0 } as never)).toThrow(/not both/);
  });
});

describe("random model", () => {
  test("sink and self scores match the pattern, and the cache is not mutated", () => {
    const model = randomGpt2(3);
    const ids = [1, 4, 9, 4, 9, 16, 25, 1];
    const n = ids.length;
    const { logits, cache } = model.runWithCache([ids], { names: [actName("pattern", 1)] });
    const before = (cache.get(actName("pattern", 1)).dataSync() as Float32Array).slice();
    const [pat] = readPatterns(cache, [1], "t");
    pat.fill(0);
    const s = scoreHeadPattern(before.subarray(0, n * n), previousTokenDetection(n), n, { excludeBos: true, excludeCurrentToken: true });
    expect(s).toBeGreaterThan(0);
    expect(Array.from(cache.get(actName("pattern", 1)).dataSync())).toEqual(Array.from(before));
    const scores = headScores(model, ids, { syntactic: undefined });
    let sink = 0;
    let self = 0;
    for (let q = 0; q < n; q++) {
      sink += before[q * n];
      self += before[q * n + q];
    }
    expect(scores.scores.sink[1 * 4 + 0]).toBeCloseTo(sink / n, 5);
    expect(scores.scores.self[1 * 4 + 0]).toBeCloseTo(self / n, 5);
    logits.dispose();
    cache.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
