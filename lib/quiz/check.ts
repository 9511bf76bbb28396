/**
 * Kernel-side question definitions and their pure checks. Choice and short-answer
 * questions are checked against an answer key; show-me questions run a computation.
 */
import type { QuizDetail, QuestionView } from "./types";

interface Base {
  id: string;
  prompt: string;
  /** Shown after a right answer, or when the student asks to reveal it: why the right answer is right. */
  explanation: string;
  source?: string;
}

export interface ChoiceQuestion extends Base {
  kind: "choice";
  choices: string[];
  /** Index of the correct choice. */
  answer: number;
  /** Per choice: why it is wrong (shown when picked); entries for the right one are ignored. */
  why?: (string | undefined)[];
}

export interface ShortQuestion extends Base {
  kind: "short";
  placeholder?: string;
  /** Accepted answers: strings compared after normalisation, or patterns. */
  accept?: (string | RegExp)[];
  /** Keyword groups: correct when every group has one of its words in the answer. */
  keywords?: string[][];
  /** A number within ± tolerance (absolute). */
  numeric?: { value: number; tolerance: number };
  /** Known wrong answers and what to say about them. */
  misconceptions?: { match: string | RegExp; message: string }[];
}

/** What a show-me check returns. */
export interface CheckResult {
  correct: boolean;
  message: string;
  details?: QuizDetail[];
  /** The answer could not be checked (e.g. bad format): not counted as an attempt. */
  invalid?: boolean;
}

export interface ShowMeQuestion extends Base {
  kind: "showme";
  placeholder?: string;
  /** Runs the computation that decides; may be async (model runs). */
  check: (answer: string) => CheckResult | Promise<CheckResult>;
}

export type Question = ChoiceQuestion | ShortQuestion | ShowMeQuestion;

const KINDS = ["choice", "short", "showme"];

function nonEmpty(v: unknown, what: string): void {
  if (typeof v !== "string" || v.trim().length === 0) throw new Error(`${what} must be a non-empty string; got ${JSON.stringify(v)}`);
}

/** Throws a clear error naming the question and field when a definition is malformed. */
export function validateQuestions(questions: Question[], fn = "quiz"): void {
  if (!Array.isArray(questions) || questions.length === 0) throw new Error(`${fn}: questions must be a non-empty array`);
  const seen = new Set<string>();
  questions.forEach((q, i) => {
    const at = `${fn}: questions[${i}]`;
    if (q === null || typeof q !== "object") throw new Error(`${at} must be an object`);
    nonEmpty(q.id, `${at}.id`);
    if (seen.has(q.id)) throw new Error(`${at}.id "${q.id}" is used twice; ids must be unique`);
    seen.add(q.id);
    if (!KINDS.includes(q.kind)) throw new Error(`${at}.kind must be one of ${KINDS.join(", ")}; got ${JSON.stringify((q as { kind: unknown }).kind)}`);
    nonEmpty(q.prompt, `${at}.prompt`);
    nonEmpty(q.explanation, `${at}.explanation`);
    if (q.kind === "choice") {
      if (!Array.isArray(q.choices) || q.choices.length < 2) throw new Error(`${at}.choices must hold at least 2 options`);
      q.choices.forEach((c, j) => nonEmpty(c, `${at}.choices[${j}]`));
      if (!Number.isInteger(q.answer) || q.answer < 0 || q.answer >= q.choices.length) {
        throw new Error(`${at}.answer must be a choice index in [0, ${q.choices.length - 1}]; got ${q.answer}`);
      }
      if (q.why !== undefined && (!Array.isArray(q.why) || q.why.length !== q.choices.length)) {
        throw new Error(`${at}.why must have one entry per choice (${q.choices.length})`);
      }
    } else if (q.kind === "short") {
      if (!q.accept?.length && !q.keywords?.length && !q.numeric) throw new Error(`${at} needs accept, keywords or numeric to check answers against`);
      if (q.numeric && !(Number.isFinite(q.numeric.value) && q.numeric.tolerance >= 0)) {
        throw new Error(`${at}.numeric must be {value: finite number, tolerance: ≥ 0}`);
      }
      q.keywords?.forEach((g, j) => {
        if (!Array.isArray(g) || g.length === 0) throw new Error(`${at}.keywords[${j}] must be a non-empty array of alternatives`);
      });
    } else if (typeof q.check !== "function") {
      throw new Error(`${at}.check must be a function (answer: string) => {correct, message}`);
    }
  });
}

/** What the front end may see: no answer keys. */
export function publicQuestion(q: Question): QuestionView {
  const v: QuestionView = { id: q.id, kind: q.kind, prompt: q.prompt };
  if (q.kind === "choice") v.choices = [...q.choices];
  if (q.kind !== "choice" && q.placeholder) v.placeholder = q.placeholder;
  if (q.source) v.source = q.source;
  return v;
}

/** Lower case, curly quotes and dashes made plain, punctuation at the ends and repeated spaces dropped. */
export function normaliseAnswer(s: string): string {
  return s
    .normalize("NFKC")
    .toLowerCase()
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—−]/g, "-")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/^[\s.,;:!?"']+|[\s.,;:!?"']+$/g, "");
}

function matches(text: string, m: string | RegExp): boolean {
  return typeof m === "string" ? normaliseAnswer(text) === normaliseAnswer(m) : m.test(text);
}

/** Whole-word (or whole-phrase) containment, so "head" does not match "ahead". */
function containsWord(text: string, word: string): boolean {
  const w = normaliseAnswer(word).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}])${w}($|[^\\p{L}\\p{N}])`, "u").test(normaliseAnswer(text));
}

export function checkChoice(q: ChoiceQuestion, value: unknown): CheckResult {
  const i = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof i !== "number" || !Number.isInteger(i) || i < 0 || i >= q.choices.length) {
    return { correct: false, invalid: true, message: `Pick one of the ${q.choices.length} options (an index from 0 to ${q.choices.length - 1}); got ${JSON.stringify(value)}.` };
  }
  if (i === q.answer) return { correct: true, message: "Correct." };
  const why = q.why?.[i];
  return { correct: false, message: why ? `Not quite: ${why}` : "Not quite. Try again." };
}

export function checkShort(q: ShortQuestion, value: unknown): CheckResult {
  if (typeof value !== "string" && typeof value !== "number") {
    return { correct: false, invalid: true, message: `Type an answer (text); got ${value === null ? "null" : typeof value}.` };
  }
  const text = String(value);
  if (normaliseAnswer(text).length === 0) return { correct: false, invalid: true, message: "The answer is empty: type something first." };
  if (q.numeric) {
    const x = Number(text.trim().replace(/,/g, ""));
    if (!Number.isFinite(x)) return { correct: false, invalid: true, message: `Expected a number; got "${text}".` };
    const ok = Math.abs(x - q.numeric.value) <= q.numeric.tolerance;
    return { correct: ok, message: ok ? "Correct." : `Not quite: ${x} is off by more than ${q.numeric.tolerance}.` };
  }
  for (const m of q.misconceptions ?? []) {
    if (matches(text, m.match) || (typeof m.match === "string" && containsWord(text, m.match))) return { correct: false, message: `Not quite: ${m.message}` };
  }
  if (q.accept?.some((a) => matches(text, a))) return { correct: true, message: "Correct." };
  if (q.keywords?.length && q.keywords.every((group) => group.some((w) => containsWord(text, w)))) return { correct: true, message: "Correct." };
  return { correct: false, message: "Not quite. Try again." };
}
