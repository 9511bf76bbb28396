/** The quiz widget detached from a kernel: checks, feedback, progress and definition errors. */
import { Quiz, checklist, checklistQuestion, CHECKLIST, checkShort, normaliseAnswer, type Question } from "../../../lib/quiz";

const questions: Question[] = [
  { kind: "choice", id: "c", prompt: "2 + 2?", choices: ["3", "4", "5"], answer: 1, why: ["too small", undefined, "too big"], explanation: "Counting." },
  { kind: "short", id: "s", prompt: "Name the score on key 0.", accept: ["sink", /first[- ]token sink/i], misconceptions: [{ match: "bos", message: "BOS is a token, not the score." }], explanation: "The sink score." },
  { kind: "short", id: "k", prompt: "What does a probe test?", keywords: [["decode", "decodable", "decoded"], ["information", "property"]], explanation: "Decodability." },
  { kind: "short", id: "n", prompt: "ln 2 to two decimals?", numeric: { value: 0.69, tolerance: 0.005 }, explanation: "JSD's maximum." },
  { kind: "showme", id: "m", prompt: "Name an even number.", placeholder: "a number", check: async (a) => ({ correct: Number(a) % 2 === 0, message: `${a} checked`, details: [{ label: "a mod 2", value: Number(a) % 2 }] }), explanation: "Parity." },
];

describe("Quiz", () => {
  it("keeps answer keys out of the widget state", () => {
    const q = new Quiz({ title: "T", questions });
    const state = JSON.stringify(q.getState());
    expect(state).not.toContain("too small");
    expect(state).not.toContain("Counting");
    expect(state).not.toContain('"answer"');
    expect(q.getState()).toMatchObject({ _model_name: "QuizModel", _view_name: "QuizView", _model_module: "attnlab-widgets" });
    expect(q.get("data").questions.map((x) => x.kind)).toEqual(["choice", "short", "short", "short", "showme"]);
    expect(q.get("data").questions[0].choices).toEqual(["3", "4", "5"]);
    expect(q.get("data").questions[4].placeholder).toBe("a number");
  });

  it("checks a choice, explains a wrong pick and records attempts and progress", async () => {
    const q = new Quiz({ questions });
    const changes: unknown[] = [];
    q.on("change:data", (d) => changes.push(d.progress));
    const wrong = await q.answer("c", 2);
    // The misconception hint, not the explanation (it would give the answer away).
    expect(wrong).toMatchObject({ correct: false, attempts: 1, answer: 2, explanation: "" });
    expect(wrong.message).toContain("too big");
    expect(q.progress).toEqual({ answered: 1, correct: 0, total: 5 });
    const right = await q.answer("c", 1);
    expect(right).toMatchObject({ correct: true, attempts: 2, explanation: "Counting." });
    expect(q.progress).toEqual({ answered: 1, correct: 1, total: 5 });
    expect(q.get("data").pending).toEqual([]);
    expect(changes.length).toBeGreaterThanOrEqual(4); // pending on, result, pending on, result
  });

  it("reveal gives the explanation on request without counting it as right, and keeps it on the next answer", async () => {
    const q = new Quiz({ questions });
    await q.answer("c", 0);
    const shown = q.reveal("c");
    expect(shown).toMatchObject({ correct: false, explanation: "Counting.", revealed: true, attempts: 1 });
    expect(q.progress).toEqual({ answered: 1, correct: 0, total: 5 });
    expect((await q.answer("c", 2)).explanation).toBe("Counting.");
    expect(q.reveal("s")).toMatchObject({ explanation: "The sink score.", attempts: 0, scored: null });
    expect(q.progress.answered).toBe(1);
    expect(() => q.reveal("nope")).toThrow(/quiz.reveal: no question with id "nope"/);
  });

  it("checks short answers by normalised match, pattern, keywords, numbers and misconceptions", async () => {
    const q = new Quiz({ questions });
    expect((await q.answer("s", "  SINK. ")).correct).toBe(true);
    expect((await q.answer("s", "the First token sink")).correct).toBe(true);
    const mis = await q.answer("s", "the bos");
    expect(mis.correct).toBe(false);
    expect(mis.message).toContain("BOS is a token");
    expect((await q.answer("k", "whether the property can be decoded")).correct).toBe(true);
    expect((await q.answer("k", "whether the model uses the property")).correct).toBe(false);
    expect((await q.answer("n", "0.693")).correct).toBe(true);
    expect((await q.answer("n", "0.7")).correct).toBe(false);
    const bad = await q.answer("n", "about half");
    // Not counted: the earlier (wrong) answer to "n" still stands in the progress.
    expect(bad).toMatchObject({ correct: false, invalid: true, attempts: 2, explanation: "", scored: false });
    expect(q.progress).toEqual({ answered: 3, correct: 0, total: 5 }); // the latest answer to s, k and n was wrong
  });

  it("runs show-me checks and keeps their details", async () => {
    const q = new Quiz({ questions });
    const fb = await q.answer("m", "4");
    expect(fb).toMatchObject({ correct: true, message: "4 checked", details: [{ label: "a mod 2", value: 0 }] });
    expect(q.feedback.m.correct).toBe(true);
    const empty = await q.answer("m", "  ");
    expect(empty.invalid).toBe(true);
    expect(empty.message).toContain('like "a number"');
  });

  it("reports a failing check as feedback, not as a crash", async () => {
    const q = new Quiz({ questions: [{ kind: "showme", id: "x", prompt: "p", explanation: "e", check: () => { throw new Error("model not loaded"); } }] });
    const fb = await q.answer("x", "1.1");
    expect(fb).toMatchObject({ correct: false, invalid: true });
    expect(fb.message).toContain("model not loaded");
  });

  it("runs checks one at a time in arrival order", async () => {
    const order: string[] = [];
    const slow = (name: string, ms: number) => async () => {
      await new Promise((r) => setTimeout(r, ms));
      order.push(name);
      return { correct: true, message: name };
    };
    const q = new Quiz({ questions: [
      { kind: "showme", id: "a", prompt: "a", explanation: "e", check: slow("a", 40) },
      { kind: "showme", id: "b", prompt: "b", explanation: "e", check: slow("b", 1) },
    ] });
    await Promise.all([q.answer("a", "x"), q.answer("b", "y")]);
    expect(order).toEqual(["a", "b"]);
    q.reset();
    expect(q.progress).toEqual({ answered: 0, correct: 0, total: 2 });
    expect(q.feedback).toEqual({});
  });

  it("rejects malformed definitions and unknown ids with clear errors", async () => {
    expect(() => new Quiz({ questions: [] })).toThrow(/questions must be a non-empty array/);
    expect(() => new Quiz({ questions: [questions[0], questions[0]] })).toThrow(/"c" is used twice/);
    expect(() => new Quiz({ questions: [{ ...questions[0], answer: 3 } as Question] })).toThrow(/questions\[0\]\.answer must be a choice index in \[0, 2\]/);
    expect(() => new Quiz({ questions: [{ kind: "short", id: "z", prompt: "p", explanation: "e" }] })).toThrow(/needs accept, keywords or numeric/);
    expect(() => new Quiz({ questions: [{ kind: "essay", id: "z", prompt: "p", explanation: "e" } as never] })).toThrow(/kind must be one of choice, short, showme/);
    expect(() => new Quiz({ questions: [{ ...questions[0], prompt: "" }] })).toThrow(/questions\[0\]\.prompt must be a non-empty string/);
    await expect(new Quiz({ questions }).answer("nope", 1)).rejects.toThrow(/no question with id "nope"; ids are c, s, k, n, m/);
    expect((await new Quiz({ questions }).answer("c", 7)).message).toMatch(/index from 0 to 2/);
  });
});

describe("checklist", () => {
  it("has the six questions, each with a reason for every wrong choice", () => {
    expect(CHECKLIST.map((q) => q.id)).toEqual(["sink", "jain-wallace", "induction", "probing", "causal-tracing", "causal-method"]);
    for (const q of CHECKLIST) {
      q.why!.forEach((w, i) => expect(i === q.answer ? true : typeof w === "string" && w.length > 20).toBe(true));
      expect(q.source).toMatch(/^0[1-6]-.*\.ipynb$/);
    }
    const c = checklist();
    expect(c.progress.total).toBe(6);
    expect(() => checklistQuestion("nope")).toThrow(/id must be one of sink, jain-wallace/);
  });

  it("checklist answers: the keyed choice is right and every other is wrong", async () => {
    const c = checklist();
    for (const q of CHECKLIST) {
      for (let i = 0; i < q.choices.length; i++) expect((await c.answer(q.id, i)).correct).toBe(i === q.answer);
    }
    expect(c.progress).toEqual({ answered: 6, correct: 0, total: 6 }); // the last pick of each was wrong
  });

  it("normaliseAnswer folds case, quotes, dashes and end punctuation", () => {
    expect(normaliseAnswer("  “K–composition”!  ")).toBe("k-composition");
    expect(checkShort({ kind: "short", id: "a", prompt: "p", explanation: "e", keywords: [["head"]] }, "ahead of time").correct).toBe(false);
  });
});
