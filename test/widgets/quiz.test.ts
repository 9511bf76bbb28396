/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render, type QuizData } from "../../widgets/src/views/quiz";

function data(over: Partial<QuizData> = {}): QuizData {
  return {
    title: "Check yourself",
    intro: "Two questions.",
    questions: [
      { id: "c", kind: "choice", prompt: "2 + 2?", choices: ["3", "4"], source: "03-induction-heads.ipynb" },
      { id: "m", kind: "showme", prompt: "Which head is the induction head?", placeholder: "layer.head" },
    ],
    feedback: {},
    pending: [],
    progress: { answered: 0, correct: 0, total: 2 },
    ...over,
  };
}

describe("quiz view", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws the questions, choices, input and progress", () => {
    render(el, data());
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Check yourself");
    expect(el.querySelectorAll(".quiz-q").length).toBe(2);
    expect(Array.from(el.querySelectorAll(".quiz-choice")).map((c) => c.textContent)).toEqual(["3", "4"]);
    expect(el.querySelector(".quiz-source")!.textContent).toBe("(03-induction-heads.ipynb)");
    expect((el.querySelector("input.quiz-text") as HTMLInputElement).placeholder).toBe("layer.head");
    expect(el.querySelector(".quiz-progress-text")!.textContent).toBe("0 of 2 correct, 0 answered");
    expect(Array.from(el.querySelectorAll("button.quiz-submit")).map((b) => b.textContent)).toEqual(["Check", "Test it"]);
  });

  it("sends the picked choice index and the typed text, and shows that it is checking", () => {
    const sent: [string, string | number][] = [];
    render(el, data(), { onAnswer: (id, v) => sent.push([id, v]) });
    const [b1, b2] = Array.from(el.querySelectorAll("button.quiz-submit")) as HTMLButtonElement[];
    b1.click();
    expect(sent).toEqual([]);
    expect(el.querySelector(".quiz-status")!.textContent).toBe("Pick an option first.");
    (el.querySelectorAll(".quiz-choice input")[1] as HTMLInputElement).click();
    b1.click();
    expect(sent).toEqual([["c", 1]]);
    expect(b1.disabled).toBe(true);
    expect(b1.textContent).toBe("Checking…");
    const input = el.querySelector("input.quiz-text") as HTMLInputElement;
    input.value = "1.4";
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter" }));
    expect(sent).toEqual([["c", 1], ["m", "1.4"]]);
    expect(b2.disabled).toBe(true);
  });

  it("shows feedback: verdict, details table, explanation, progress", () => {
    render(el, data({
      feedback: {
        c: { correct: false, message: "Not quite: too small.", explanation: "Counting.", answer: 0, attempts: 2, scored: false },
        m: { correct: true, message: "Yes: 1.4 matters.", explanation: "Ablation.", answer: "1.4", attempts: 1, scored: true, details: [{ label: "loss change (nats)", value: "2.310" }] },
      },
      progress: { answered: 2, correct: 1, total: 2 },
    }));
    const fbs = Array.from(el.querySelectorAll(".quiz-feedback"));
    expect(fbs.map((f) => f.className)).toEqual(["quiz-feedback wrong", "quiz-feedback correct"]);
    expect(fbs[0].querySelector(".quiz-verdict")!.textContent).toBe("✗ Not quite: too small.");
    expect(fbs[0].querySelector(".quiz-attempts")!.textContent).toBe("attempt 2");
    expect(fbs[1].querySelector(".quiz-details td:last-child")!.textContent).toBe("2.310");
    expect(fbs[1].querySelector(".quiz-explanation")!.textContent).toBe("Ablation.");
    // The answers given stay selected / typed.
    expect((el.querySelectorAll(".quiz-choice input")[0] as HTMLInputElement).checked).toBe(true);
    expect((el.querySelector("input.quiz-text") as HTMLInputElement).value).toBe("1.4");
    expect(el.querySelector(".quiz-progress-text")!.textContent).toBe("1 of 2 correct, 2 answered");
    expect((el.querySelector(".quiz-bar-fill") as HTMLElement).style.width).toBe("50%");
  });

  it("a wrong answer shows the hint, a try-again line and a Reveal button that asks the kernel, no explanation", () => {
    const revealed: string[] = [];
    render(el, data({ feedback: { c: { correct: false, message: "Not quite: too small.", explanation: "", answer: 0, attempts: 1, scored: false } } }), { onReveal: (id) => revealed.push(id) });
    const fb = el.querySelector(".quiz-feedback")!;
    expect(fb.querySelector(".quiz-explanation")).toBeNull();
    expect(fb.querySelector(".quiz-retry")!.textContent).toMatch(/^Try again/);
    (fb.querySelector("button.quiz-reveal") as HTMLButtonElement).click();
    expect(revealed).toEqual(["c"]);
  });

  it("text inputs look editable: input background and a visible border, not the grey of disabled fields", () => {
    render(el, data());
    const css = el.querySelector(".attnlab-quiz style")!.textContent!;
    const rule = css.split("\n").find((l) => l.startsWith(".attnlab-quiz .quiz-text {"))!;
    expect(rule).toContain("--jp-input-background");
    expect(rule).not.toContain("--jp-layout-color2");
    expect((el.querySelector("input.quiz-text") as HTMLInputElement).disabled).toBe(false);
  });

  it("keeps text typed into another question across a redraw", () => {
    const cleanup = render(el, data());
    (el.querySelector("input.quiz-text") as HTMLInputElement).value = "0.7";
    cleanup();
    expect(el.querySelector(".quiz-q")).toBeNull();
    render(el, data({ pending: ["c"] }));
    expect((el.querySelector("input.quiz-text") as HTMLInputElement).value).toBe("0.7");
    expect((el.querySelector("button.quiz-submit") as HTMLButtonElement).textContent).toBe("Checking…");
  });

  it("without a kernel says so instead of failing silently", () => {
    render(el, data());
    (el.querySelectorAll(".quiz-choice input")[0] as HTMLInputElement).click();
    (el.querySelector("button.quiz-submit") as HTMLButtonElement).click();
    expect(el.querySelector(".quiz-status")!.textContent).toMatch(/Not connected to a kernel/);
  });

  it("rejects malformed data with a clear error", () => {
    expect(() => render(el, data({ questions: [] }))).toThrow(/questions must be a non-empty array/);
    expect(() => render(el, data({ questions: [{ id: "x", kind: "choice", prompt: "p" }] }))).toThrow(/"x"\) is a choice question without choices/);
  });
});
