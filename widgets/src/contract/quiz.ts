// The quiz's data (views/quiz.ts ↔ lib/quiz), free of tensors: every trait is small JSON.
// Answer keys never leave the kernel; the front end only sees the questions, and each
// question's feedback once it has been answered. Traits of QuizModel: data = QuizData,
// options = {}. Custom messages, view → kernel: {event: "answer", id, value} and
// {event: "reveal", id} (AnswerMessage).

export type QuestionKind = "choice" | "short" | "showme";

/** What the view needs to draw one question. */
export interface QuestionView {
  id: string;
  kind: QuestionKind;
  prompt: string;
  /** choice: the options, in display order. */
  choices?: string[];
  /** short / showme: a hint of the expected format, e.g. "layer.head". */
  placeholder?: string;
  /** Which notebook answers it (checklist), e.g. "03-induction-heads.ipynb". */
  source?: string;
}

/** One labelled number or string shown under the feedback (e.g. the loss before and after). */
export interface QuizDetail {
  label: string;
  value: string | number;
}

export interface QuizFeedback {
  correct: boolean;
  /** One sentence: right or wrong, and for a wrong choice why that option is wrong. */
  message: string;
  /** The full explanation: after a right answer or a reveal, else "" (it would give the answer away). */
  explanation: string;
  /** The answer as given (choice index or text). */
  answer: string | number;
  attempts: number;
  /** show-me questions: what the kernel computed to check the answer. */
  details?: QuizDetail[];
  /** True when the answer could not be checked (bad format, computation failed). */
  invalid?: boolean;
  /** The student asked to see the explanation (view → kernel {event: "reveal", id}). */
  revealed?: boolean;
  /** The result of the latest answer that could be checked (null: none yet); progress counts this. */
  scored: boolean | null;
}

export interface QuizProgress {
  answered: number;
  correct: number;
  total: number;
}

export interface QuizData {
  title: string;
  intro?: string;
  questions: QuestionView[];
  /** question id -> feedback on the latest answer. */
  feedback: { [id: string]: QuizFeedback };
  /** ids whose answer is being checked by the kernel right now. */
  pending: string[];
  progress: QuizProgress;
}

/** View → kernel: an answer, or a request to reveal a question's explanation (no value). */
export interface AnswerMessage {
  event: "answer" | "reveal";
  id: string;
  value?: string | number;
}

export function checkQuiz(data: unknown): void {
  const d = data as QuizData;
  if (!d || typeof d !== "object") throw new Error("quiz: expected data {title, questions, feedback, pending, progress}");
  if (!Array.isArray(d.questions) || d.questions.length === 0) throw new Error("quiz: questions must be a non-empty array");
  d.questions.forEach((q, i) => {
    if (!q || typeof q.id !== "string" || typeof q.prompt !== "string") throw new Error(`quiz: questions[${i}] needs a string id and prompt`);
    if (q.kind === "choice" && (!Array.isArray(q.choices) || q.choices.length < 2)) throw new Error(`quiz: questions[${i}] ("${q.id}") is a choice question without choices`);
    if (!["choice", "short", "showme"].includes(q.kind)) throw new Error(`quiz: questions[${i}].kind must be choice, short or showme; got ${JSON.stringify(q.kind)}`);
  });
}
