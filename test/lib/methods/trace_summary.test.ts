import { summariseTraces, tokenClasses } from "../../../lib/methods/trace_summary";
import type { CausalTraceResult } from "../../../lib/methods/tracing";

function fake(P: number, subject: [number, number], L: number, f: (t: number, l: number) => number, total: number): CausalTraceResult {
  const indirect = new Float32Array(P * L);
  for (let t = 0; t < P; t++) for (let l = 0; l < L; l++) indirect[t * L + l] = f(t, l);
  return {
    kind: "causal-trace", tokens: [], subjectRange: subject, answer: { id: 0, token: "" }, pClean: total, pCorrupted: 0, totalEffect: total,
    grids: { hidden: { scores: indirect, indirect } }, shape: [P, L], dims: ["pos", "layer"], partial: false, settings: {} as CausalTraceResult["settings"],
  };
}

test("token classes", () => {
  expect(tokenClasses(8, 1, 4)).toEqual([[1], [2], [3], [4], [5, 6], [7]]);
  expect(tokenClasses(5, 2, 3)).toEqual([[2], [], [2], [3], [], [4]]);
  expect(tokenClasses(4, 1, 4)).toEqual([[1], [2], [3], [], [], [3]]);
});

test("class means over prompts with a 1.96·std/√n interval", () => {
  const a = fake(8, [1, 4], 2, (t, l) => t + 10 * l, 0.5);
  const b = fake(6, [2, 3], 2, (t, l) => 2 * t + 10 * l, 0.3);
  const s = summariseTraces([a, b]);
  expect(s.kind).toBe("causal-trace-summary");
  const h = s.effects.hidden!;
  // first subject token, layer 0: a -> 1, b -> 4
  expect(h.mean[0]).toBeCloseTo(2.5, 6);
  expect(h.ci[0]).toBeCloseTo((1.96 * Math.sqrt(4.5)) / Math.sqrt(2), 6);
  // middle subject tokens: only a has one (token 2)
  expect(h.n[1]).toBe(1);
  expect(h.mean[1 * 2 + 1]).toBeCloseTo(12, 6);
  // further tokens, layer 1: a -> mean(15, 16), b -> mean(2·4) + 10
  expect(h.mean[4 * 2 + 1]).toBeCloseTo((15.5 + 18) / 2, 6);
  expect(s.totalEffect.mean).toBeCloseTo(0.4, 6);
  expect(() => summariseTraces([])).toThrow(/non-empty/);
  expect(() => summariseTraces([a, fake(6, [2, 3], 3, () => 0, 0)])).toThrow(/2 layers/);
});

test("summariseTraces leaves out cells a trace did not restore (NaN)", () => {
  const a = fake(8, [1, 4], 2, (t, l) => t + 10 * l, 0.5);
  const b = fake(6, [2, 3], 2, (t, l) => (t === 3 || l === 1 ? NaN : 2 * t), 0.3);
  const h = summariseTraces([a, b]).effects.hidden!;
  // first subject token, layer 0: a -> 1, b -> 4 (restored); layer 1: only a (11)
  expect(h.mean[0]).toBeCloseTo(2.5, 6);
  expect(h.mean[1]).toBeCloseTo(11, 6);
  expect(h.n[0]).toBe(2);
  // first subsequent token (a: 4, b: 3 not restored): only a counts
  expect(h.mean[3 * 2]).toBeCloseTo(4, 6);
});
