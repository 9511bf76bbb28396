/**
 * Show-me checks on the hand-built induction model (test/lib/methods/helpers): L0H0 is the
 * previous-token head, L1H0 the induction head, L0H1 and L1H1 have zero weights.
 */
import { headAblationLosses, headRoleCheck, parseHead, positionOf, Quiz, tokenAblation, tokenInfluenceCheck } from "../../../lib/quiz";
import { IND, inductionModel, initBackend } from "../methods/helpers";
import type { TransformerModel } from "../../../lib/model/types";

let model: TransformerModel;
beforeAll(async () => {
  await initBackend();
  model = inductionModel();
});

test("parseHead reads the usual ways of naming a head", () => {
  for (const s of ["1.4", " 1,4 ", "L1H4", "l1 h4", "layer 1 head 4", "1 4", "1:4"]) expect(parseHead(s)).toEqual({ layer: 1, head: 4 });
  for (const s of ["", "1", "head 4", "1.4.2", "a.b"]) expect(parseHead(s)).toBeNull();
});

test("head ablation: only the circuit's heads raise the in-context loss; patterns identify their roles", () => {
  const seqLen = (IND.N - 1) >> 1;
  const r = headAblationLosses(model, { seqLen, batch: 3, seed: 5 });
  expect(r.shape).toEqual([2, 2]);
  const rise = Array.from(r.ablated, (x) => x - r.base);
  // The hand-built circuit predicts the repeat almost perfectly.
  expect(r.base).toBeLessThan(Math.log(IND.V) - 1); // well under chance (the unembedding scale caps the logits)
  expect(rise[0]).toBeGreaterThan(1); // L0H0, previous-token head
  expect(rise[2]).toBeGreaterThan(1); // L1H0, induction head
  expect(Math.abs(rise[1])).toBeLessThan(1e-4); // zero-weight heads: ablating changes nothing
  expect(Math.abs(rise[3])).toBeLessThan(1e-4);
  expect(r.prefixMatching[2]).toBeGreaterThan(0.5); // with 30 tokens, repeats inside a block split the stripe
  expect(r.previousToken[0]).toBeGreaterThan(0.9);
  expect(r.prefixMatching[0]).toBeLessThan(0.3);
  expect(r.previousToken[2]).toBeLessThan(0.3);
  // Mean-ablation of a zero-weight head is a no-op too; of the induction head it hurts.
  const m = headAblationLosses(model, { seqLen, batch: 3, seed: 5, mode: "mean" });
  expect(m.base).toBeCloseTo(r.base, 5);
  expect(m.ablated[3] - m.base).toBeCloseTo(0, 4);
  expect(m.ablated[2] - m.base).toBeGreaterThan(1);
  expect(() => headAblationLosses(model, { seqLen: 40 })).toThrow(/exceed the model's context of 24/);
  expect(() => headAblationLosses(model, { mode: "half" as never })).toThrow(/mode must be "zero" or "mean"/);
});

test("headAblationLosses with groups: each group ablated at once equals the grid's rows; the first block is near chance", () => {
  const seqLen = (IND.N - 1) >> 1;
  const all = headAblationLosses(model, { seqLen, batch: 3, seed: 5 });
  const g = headAblationLosses(model, { seqLen, batch: 3, seed: 5, groups: [["1.0"], [{ layer: 0, head: 1 }], ["0.0", "1.0"]] });
  expect(g.ablated.length).toBe(3);
  expect(g.groups).toEqual([[{ layer: 1, head: 0 }], [{ layer: 0, head: 1 }], [{ layer: 0, head: 0 }, { layer: 1, head: 0 }]]);
  expect(g.base).toBeCloseTo(all.base, 5);
  expect(g.ablated[0]).toBeCloseTo(all.ablated[2], 4);
  expect(g.ablated[1]).toBeCloseTo(all.ablated[1], 4);
  expect(g.ablated[2] - g.base).toBeGreaterThan(1);
  expect(Array.from(g.prefixMatching)).toEqual(Array.from(all.prefixMatching));
  // The random first block cannot be predicted; the repeat can.
  expect(g.lossFirstBlock).toBeGreaterThan(g.base + 1);
  expect(g.lossByPosition.length).toBe(2 * seqLen - 1);
  expect(() => headAblationLosses(model, { seqLen, groups: [["5.0"]] })).toThrow(/groups: This model has layers 0 to 1/);
  expect(() => headAblationLosses(model, { seqLen, groups: [[]] })).toThrow(/each group must be a non-empty list/);
  const clean = headAblationLosses(model, { seqLen, batch: 3, seed: 5, groups: [] });
  expect(clean.ablated.length).toBe(0);
  expect(clean.base).toBeCloseTo(all.base, 5);
});

test("headRoleCheck compare 'alone': only the named head is ablated, judged by an absolute loss rise", async () => {
  const check = headRoleCheck(model, { seqLen: 11, batch: 2, compare: "alone", minIncrease: 0.5 });
  const right = check("1.0");
  expect(right.correct).toBe(true);
  expect(right.details!.some((d) => d.label === "criterion")).toBe(true);
  const idle = check("1.1");
  expect(idle.correct).toBe(false);
  expect(() => headRoleCheck(model, { compare: "some" as never })).toThrow(/compare must be "all-heads" or "alone"/);
});

test("the induction-head question: the kernel decides by ablation, with the numbers shown", async () => {
  const q = new Quiz({
    questions: [
      { kind: "showme", id: "ind", prompt: "Which head is the induction head?", placeholder: "layer.head", explanation: "L1H0.", check: headRoleCheck(model, { seqLen: 11, batch: 2 }) },
      { kind: "showme", id: "prev", prompt: "Which head is the previous-token head?", placeholder: "layer.head", explanation: "L0H0.", check: headRoleCheck(model, { role: "previous-token", seqLen: 11, batch: 2 }) },
    ],
  });
  const right = await q.answer("ind", "1.0");
  expect(right.correct).toBe(true);
  expect(right.message).toMatch(/^Yes: 1\.0 shows the induction pattern/);
  const change = right.details!.find((d) => d.label === "loss change (nats)")!;
  expect(Number(change.value)).toBeGreaterThan(1);
  // The previous-token head is needed too, but its pattern is not the induction stripe.
  const prev = await q.answer("ind", "0.0");
  expect(prev.correct).toBe(false);
  expect(prev.message).toMatch(/needs 0\.0 .* not the induction pattern/);
  const idle = await q.answer("ind", "1.1");
  expect(idle.correct).toBe(false);
  expect(idle.message).toMatch(/neither shows the induction pattern/);
  const out = await q.answer("ind", "2.0");
  expect(out).toMatchObject({ invalid: true, scored: false });
  expect(out.message).toContain("layers 0 to 1");
  expect((await q.answer("ind", "first one")).message).toContain('"layer.head"');
  expect((await q.answer("prev", "0.0")).correct).toBe(true);
  expect((await q.answer("prev", "1.0")).correct).toBe(false);
  expect(q.progress).toEqual({ answered: 2, correct: 0, total: 2 });
});

test("token influence: removing the token to be copied kills the prediction; an unrelated token does not", async () => {
  // a b c d e f | a b c d: the induction circuit predicts "e" from the token after the earlier "d".
  const ids = [3, 7, 11, 15, 19, 23, 3, 7, 11, 15];
  const r = tokenAblation(model, ids);
  expect(r.answer.id).toBe(19);
  expect(r.answer.prob).toBeGreaterThan(0.5);
  expect(r.ablatedProb.length).toBe(ids.length);
  expect(r.answer.prob - r.ablatedProb[4]).toBeGreaterThan(0.4); // "e" itself
  expect(Math.abs(r.answer.prob - r.ablatedProb[5])).toBeLessThan(0.05); // "f" plays no part
  expect(positionOf(r.tokens, "-1")).toBe(9);
  expect(positionOf(r.tokens, "12")).toMatch(/Positions run from 0 to 9/);
  const q = new Quiz({ questions: [{ kind: "showme", id: "tok", prompt: "Which token?", explanation: "e.", check: tokenInfluenceCheck(model, ids) }] });
  const yes = await q.answer("tok", "4");
  expect(yes.correct).toBe(true);
  expect(yes.message).toMatch(/^Yes: removing .* \(position 4\)/);
  expect(yes.details!.find((d) => d.label === "drop")!.value).toBe((r.answer.prob - r.ablatedProb[4]).toFixed(3));
  const no = await q.answer("tok", "5");
  expect(no.correct).toBe(false);
  expect(no.message).toMatch(/another token matters more/);
  expect(() => tokenAblation(model, ids, { mode: "half" as never })).toThrow(/mode must be "zero" or "mean"/);
  expect(() => tokenAblation(model, ids, { answer: 99 })).toThrow(/answer must be a token id in \[0, 29\]/);
});
