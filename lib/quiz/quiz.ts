/**
 * The quiz widget (kernel side): questions in the front end, answer keys and show-me
 * computations in the kernel. Each answer comes back as feedback in the widget's `data`
 * trait, so progress lives in the widget state and is saved with the notebook.
 *
 *   const q = quiz({ title: "Check yourself", questions: [choice, short, showMe] });
 *   q                                   // show it (last expression of the cell)
 *   await q.answer("induction", "1.4")  // answer from code: the same path as a click
 */
import { Widget, WIDGET_VIEW_MIME, type WidgetSpec } from "../widget/widget";
import { DISPLAY } from "../widget/display";
import type { MimeBundle } from "../widget/transport";
import { quizHTML } from "./html";
import { checkChoice, checkShort, publicQuestion, validateQuestions, type CheckResult, type Question } from "./check";
import type { AnswerMessage, QuizFeedback, QuizProgress, QuizData } from "./types";
import { FIGURE_MIME, MODULE_NAME, MODULE_VERSION, VIEW_NAMES } from "../../widgets/src/protocol";

export const QUIZ_SPEC: WidgetSpec = {
  modelName: `${VIEW_NAMES.quiz}Model`,
  modelModule: MODULE_NAME,
  modelModuleVersion: MODULE_VERSION,
  viewName: `${VIEW_NAMES.quiz}View`,
  viewModule: MODULE_NAME,
  viewModuleVersion: MODULE_VERSION,
};

export interface QuizOptions {
  title?: string;
  /** A sentence above the questions. */
  intro?: string;
  questions: Question[];
}

type QuizState = { data: QuizData; options: Record<string, never>; selected: null };

export class Quiz extends Widget<QuizState> {
  private readonly questions: Map<string, Question>;
  // Checks run one at a time, in the order answers arrive.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(opts: QuizOptions) {
    if (opts === null || typeof opts !== "object") throw new Error("quiz: expected options {title?, intro?, questions}");
    validateQuestions(opts.questions, "quiz");
    if (opts.title !== undefined && typeof opts.title !== "string") throw new Error(`quiz: title must be a string; got ${typeof opts.title}`);
    const data: QuizData = {
      title: opts.title ?? "Check your understanding",
      questions: opts.questions.map(publicQuestion),
      feedback: {},
      pending: [],
      progress: { answered: 0, correct: 0, total: opts.questions.length },
    };
    if (opts.intro) data.intro = opts.intro;
    super(QUIZ_SPEC, { data, options: {}, selected: null });
    this.questions = new Map(opts.questions.map((q) => [q.id, q]));
    if (this.attached) {
      this.onMsg((content) => {
        const m = content as Partial<AnswerMessage>;
        if (m?.event === "reveal") {
          try {
            this.reveal(String(m.id));
          } catch (e) {
            console.error(`quiz: revealing "${m.id}" failed:`, e);
          }
          return;
        }
        if (m?.event !== "answer") return;
        this.answer(String(m.id), m.value as string | number).catch((e) => console.error(`quiz: checking "${m.id}" failed:`, e));
      });
    }
  }

  /** The feedback so far, by question id. */
  get feedback(): { [id: string]: QuizFeedback } {
    return this.get("data").feedback;
  }

  get progress(): QuizProgress {
    return this.get("data").progress;
  }

  /**
   * Checks an answer (a choice index, or text) and records the feedback in the widget
   * state. Resolves to the feedback; rejects only for an unknown question id.
   */
  answer(id: string, value: string | number): Promise<QuizFeedback> {
    const q = this.questions.get(id);
    if (!q) return Promise.reject(new Error(`quiz.answer: no question with id ${JSON.stringify(id)}; ids are ${[...this.questions.keys()].join(", ")}`));
    const run = this.queue.then(() => this.check(q, value));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * attnlab's view type (as figures, lib/figures/widgets.ts) carrying the questions, so a
   * reopened notebook without the model draws them, plus the quiz as static HTML for
   * nbconvert and other front ends, in place of "QuizModel(<id>)".
   */
  [DISPLAY](): MimeBundle {
    const bundle = super[DISPLAY]();
    const ref = bundle[WIDGET_VIEW_MIME] as object;
    delete bundle[WIDGET_VIEW_MIME];
    const data = this.get("data");
    bundle[FIGURE_MIME] = { ...ref, view: "quiz", data: { ...data, pending: [] } };
    bundle["text/html"] = quizHTML(data);
    bundle["text/plain"] = `${data.title}: ${data.questions.length} questions (${data.progress.correct} of ${data.progress.total} correct)`;
    return bundle;
  }

  /**
   * Shows the explanation (and with it the answer) of a question the student gives up on;
   * progress still counts only right answers. The view's "Reveal the answer" button sends this.
   */
  reveal(id: string): QuizFeedback {
    const q = this.questions.get(id);
    if (!q) throw new Error(`quiz.reveal: no question with id ${JSON.stringify(id)}; ids are ${[...this.questions.keys()].join(", ")}`);
    const prev = this.get("data").feedback[id];
    const fb: QuizFeedback = prev
      ? { ...prev, explanation: q.explanation, revealed: true }
      : { correct: false, message: "Revealed without an answer.", explanation: q.explanation, answer: "", attempts: 0, scored: null, revealed: true };
    this.update((d) => ({ ...d, feedback: { ...d.feedback, [id]: fb } }));
    return fb;
  }

  /** Forgets every answer. */
  reset(): void {
    const d = this.get("data");
    this.set("data", { ...d, feedback: {}, pending: [], progress: { answered: 0, correct: 0, total: d.questions.length } });
  }

  private async check(q: Question, value: string | number): Promise<QuizFeedback> {
    this.update((d) => ({ ...d, pending: [...d.pending.filter((p) => p !== q.id), q.id] }));
    // Let the "checking" update leave before a show-me computation blocks the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    let r: CheckResult;
    try {
      if (q.kind === "choice") r = checkChoice(q, value);
      else if (q.kind === "short") r = checkShort(q, value);
      else if (typeof value !== "string" || value.trim() === "") r = { correct: false, invalid: true, message: `Type an answer${q.placeholder ? ` like "${q.placeholder}"` : ""} first.` };
      else r = await q.check(value.trim());
      if (!r || typeof r.correct !== "boolean" || typeof r.message !== "string") {
        throw new Error(`the check of "${q.id}" must return {correct: boolean, message: string}`);
      }
    } catch (e) {
      r = { correct: false, invalid: true, message: `Could not check this answer: ${(e as Error).message ?? e}` };
    }
    const prev = this.get("data").feedback[q.id];
    const fb: QuizFeedback = {
      correct: r.correct,
      message: r.message,
      // The explanation gives the answer away: only after a right answer, or once the
      // student asks for it (reveal). A wrong answer gets the misconception hint only.
      explanation: r.correct || prev?.revealed ? q.explanation : "",
      answer: value,
      attempts: (prev?.attempts ?? 0) + (r.invalid ? 0 : 1),
      scored: r.invalid ? prev?.scored ?? null : r.correct,
    };
    if (r.details?.length) fb.details = r.details.map((x) => ({ label: String(x.label), value: typeof x.value === "number" && !Number.isFinite(x.value) ? String(x.value) : x.value }));
    if (r.invalid) fb.invalid = true;
    if (prev?.revealed) fb.revealed = true;
    this.update((d) => {
      const feedback = { ...d.feedback, [q.id]: fb };
      const done = Object.values(feedback).filter((f) => f.scored !== null);
      return {
        ...d,
        feedback,
        pending: d.pending.filter((p) => p !== q.id),
        progress: { answered: done.length, correct: done.filter((f) => f.scored).length, total: d.questions.length },
      };
    });
    return fb;
  }

  private update(f: (d: QuizData) => QuizData): void {
    this.set("data", f(this.get("data")));
  }
}

export function quiz(opts: QuizOptions): Quiz {
  return new Quiz(opts);
}
