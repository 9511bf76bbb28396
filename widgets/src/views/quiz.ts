// The quiz: questions (multiple choice, short answer, show-me), a progress bar, and the
// kernel's feedback under each answered question. Pure render(el, data, options): the
// answer goes to the kernel through options.onAnswer; feedback comes back in new data.
// Text typed into unanswered fields survives a redraw (kept per host element).
import { THEME, createFrame, type Cleanup } from "./common";
import { checkQuiz, type QuizData, type QuizFeedback } from "../contract";

export type { QuizData, QuizFeedback };

export interface QuizOptions {
  /** Sends an answer to the kernel: a choice index or the typed text. */
  onAnswer?: (id: string, value: string | number) => void;
  /** Asks the kernel for a question's explanation (the student gives up). */
  onReveal?: (id: string) => void;
}

const STYLE = `
.attnlab-quiz .quiz-q { border: 1px solid ${THEME.border}; border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
.attnlab-quiz .quiz-prompt { font-weight: 600; margin-bottom: 6px; font-size: 14px; }
.attnlab-quiz { font-size: 14px; }
.attnlab-quiz .quiz-source { color: ${THEME.fg2}; font-size: 13px; margin-left: 6px; font-weight: 400; }
.attnlab-quiz .quiz-choice { display: block; margin: 3px 0; cursor: pointer; line-height: 1.35; }
.attnlab-quiz .quiz-choice input { margin-right: 6px; }
.attnlab-quiz .quiz-text { font: inherit; font-size: 14px; color: var(--jp-ui-font-color0, #000); background: var(--jp-input-background, var(--jp-layout-color0, #fff)); border: 1px solid var(--jp-input-border-color, #767676); border-radius: 3px; padding: 4px 6px; min-width: 300px; box-shadow: inset 0 1px 2px rgba(0,0,0,0.15); }
.attnlab-quiz .quiz-text:focus { outline: 2px solid ${THEME.accent}; outline-offset: 0; border-color: ${THEME.accent}; }
.attnlab-quiz .quiz-text:disabled { opacity: 0.6; }
.attnlab-quiz .quiz-retry { margin-top: 4px; font-style: italic; }
.attnlab-quiz button.quiz-reveal { font-size: 13px; }
.attnlab-quiz button { font: inherit; margin: 6px 6px 0 0; cursor: pointer; }
.attnlab-quiz .quiz-feedback { margin-top: 6px; padding: 6px 8px; border-left: 4px solid ${THEME.border}; }
.attnlab-quiz .quiz-feedback.correct { border-color: #009E73; }
.attnlab-quiz .quiz-feedback.wrong { border-color: #D55E00; }
.attnlab-quiz .quiz-feedback.invalid { border-color: ${THEME.warn}; }
.attnlab-quiz .quiz-verdict { font-weight: 600; }
.attnlab-quiz .quiz-explanation { margin-top: 4px; color: ${THEME.fg2}; }
.attnlab-quiz .quiz-details { border-collapse: collapse; margin-top: 4px; font-family: ${THEME.mono}; font-size: 13px; }
.attnlab-quiz .quiz-details td { padding: 1px 8px 1px 0; vertical-align: top; }
.attnlab-quiz .quiz-progress { display: flex; align-items: center; gap: 8px; margin: 4px 0; }
.attnlab-quiz .quiz-bar { width: 200px; height: 8px; background: ${THEME.bg2}; border: 1px solid ${THEME.border}; }
.attnlab-quiz .quiz-bar-fill { height: 100%; background: #009E73; }
`;

// Drafts (typed text, picked option) by host element, so a redraw triggered by another
// question's feedback keeps what the student had entered.
const drafts = new WeakMap<HTMLElement, Map<string, string>>();

export function render(el: HTMLElement, data: QuizData, options: QuizOptions = {}): Cleanup {
  checkQuiz(data);
  const doc = el.ownerDocument;
  const feedback = data.feedback ?? {};
  const pending = new Set(data.pending ?? []);
  const saved = drafts.get(el) ?? new Map<string, string>();
  drafts.set(el, saved);
  const frame = createFrame(el, "quiz", data.title || "Quiz", data.intro);
  frame.root.classList.add("attnlab-quiz");
  const style = doc.createElement("style");
  style.textContent = STYLE;
  frame.root.insertBefore(style, frame.root.firstChild);

  const { answered, correct, total } = data.progress ?? { answered: 0, correct: 0, total: data.questions.length };
  const prog = doc.createElement("div");
  prog.className = "quiz-progress";
  const bar = doc.createElement("div");
  bar.className = "quiz-bar";
  bar.setAttribute("role", "progressbar");
  bar.setAttribute("aria-valuemin", "0");
  bar.setAttribute("aria-valuemax", String(total));
  bar.setAttribute("aria-valuenow", String(correct));
  const fill = doc.createElement("div");
  fill.className = "quiz-bar-fill";
  fill.style.width = `${total > 0 ? (100 * correct) / total : 0}%`;
  bar.appendChild(fill);
  const label = doc.createElement("span");
  label.className = "quiz-progress-text";
  label.textContent = `${correct} of ${total} correct, ${answered} answered`;
  prog.append(bar, label);
  frame.controls.insertBefore(prog, frame.status);

  const collectors: (() => void)[] = [];
  for (const q of data.questions) {
    const box = doc.createElement("div");
    box.className = `quiz-q quiz-kind-${q.kind}`;
    box.dataset.id = q.id;
    const p = doc.createElement("div");
    p.className = "quiz-prompt";
    p.textContent = q.prompt;
    if (q.source) {
      const s = doc.createElement("span");
      s.className = "quiz-source";
      s.textContent = `(${q.source})`;
      p.appendChild(s);
    }
    box.appendChild(p);
    const fb = feedback[q.id];
    const busy = pending.has(q.id);
    let read: () => string | number | null;
    if (q.kind === "choice") {
      const name = `quiz-${q.id}-${Math.random().toString(36).slice(2)}`;
      const inputs: HTMLInputElement[] = [];
      const picked = saved.get(q.id) ?? (fb && !fb.invalid ? String(fb.answer) : "");
      q.choices!.forEach((c, i) => {
        const lab = doc.createElement("label");
        lab.className = "quiz-choice";
        const r = doc.createElement("input");
        r.type = "radio";
        r.name = name;
        r.value = String(i);
        r.checked = picked === String(i);
        r.disabled = busy;
        lab.append(r, doc.createTextNode(c));
        box.appendChild(lab);
        inputs.push(r);
      });
      read = () => {
        const r = inputs.find((x) => x.checked);
        return r ? Number(r.value) : null;
      };
      collectors.push(() => {
        const v = read();
        if (v !== null) saved.set(q.id, String(v));
      });
    } else {
      const input = doc.createElement("input");
      input.type = "text";
      input.className = "quiz-text";
      input.placeholder = q.placeholder ?? (q.kind === "showme" ? "your answer; the kernel will test it" : "your answer");
      input.setAttribute("aria-label", q.prompt);
      input.value = saved.get(q.id) ?? (fb ? String(fb.answer) : "");
      input.disabled = busy;
      input.addEventListener("keydown", (e) => {
        if (e.key === "Enter") submit();
      });
      box.appendChild(input);
      read = () => input.value;
      collectors.push(() => saved.set(q.id, input.value));
    }
    const btn = doc.createElement("button");
    btn.type = "button";
    btn.className = "quiz-submit";
    btn.textContent = busy ? "Checking…" : q.kind === "showme" ? "Test it" : fb ? "Check again" : "Check";
    btn.disabled = busy;
    const status = doc.createElement("div");
    status.className = "quiz-status";
    const submit = () => {
      const v = read();
      if (v === null || (typeof v === "string" && v.trim() === "")) {
        status.textContent = q.kind === "choice" ? "Pick an option first." : "Type an answer first.";
        return;
      }
      if (!options.onAnswer) {
        status.textContent = "Not connected to a kernel: run the cell to check answers.";
        return;
      }
      saved.set(q.id, String(v));
      btn.disabled = true;
      btn.textContent = "Checking…";
      status.textContent = "";
      options.onAnswer(q.id, v);
    };
    btn.addEventListener("click", submit);
    box.append(btn, status);
    if (fb) {
      const reveal = () => {
        if (!options.onReveal) {
          status.textContent = "Not connected to a kernel: run the cell to reveal the answer.";
          return;
        }
        options.onReveal(q.id);
      };
      box.appendChild(feedbackBox(doc, fb, reveal));
    }
    frame.body.appendChild(box);
  }
  return () => {
    for (const c of collectors) c();
    frame.dispose();
  };
}

function feedbackBox(doc: Document, fb: QuizFeedback, reveal: () => void): HTMLElement {
  const box = doc.createElement("div");
  box.className = `quiz-feedback ${fb.invalid ? "invalid" : fb.correct ? "correct" : "wrong"}`;
  box.setAttribute("role", "status");
  const verdict = doc.createElement("div");
  verdict.className = "quiz-verdict";
  verdict.textContent = `${fb.invalid ? "⚠" : fb.correct ? "✓" : "✗"} ${fb.message}`;
  box.appendChild(verdict);
  if (fb.details?.length) {
    const table = doc.createElement("table");
    table.className = "quiz-details";
    for (const d of fb.details) {
      const tr = doc.createElement("tr");
      const a = doc.createElement("td");
      a.textContent = d.label;
      const b = doc.createElement("td");
      b.textContent = String(d.value);
      tr.append(a, b);
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
  // The kernel sends the explanation only after a right answer or a reveal: it gives the answer away.
  if (fb.explanation) {
    const ex = doc.createElement("div");
    ex.className = "quiz-explanation";
    ex.textContent = fb.explanation;
    box.appendChild(ex);
  } else if (!fb.correct && !fb.invalid) {
    const retry = doc.createElement("div");
    retry.className = "quiz-retry";
    retry.textContent = "Try again: change your answer and check it.";
    const btn = doc.createElement("button");
    btn.type = "button";
    btn.className = "quiz-reveal";
    btn.textContent = "Reveal the answer";
    btn.addEventListener("click", reveal);
    box.append(retry, btn);
  }
  if (fb.attempts > 1) {
    const at = doc.createElement("div");
    at.className = "quiz-attempts";
    at.style.color = THEME.fg2;
    at.textContent = `attempt ${fb.attempts}`;
    box.appendChild(at);
  }
  return box;
}
