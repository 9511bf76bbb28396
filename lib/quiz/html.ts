/**
 * A quiz as static HTML: the text/html entry of its display bundle, for nbconvert HTML,
 * GitHub and any page without the attnlab extension. Questions, options and any feedback
 * so far; no inputs (nothing there can check an answer). Answer keys stay in the kernel,
 * and an explanation shows only after a right answer, as in the live view.
 */
import type { QuizData } from "./types";

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function quizHTML(d: QuizData): string {
  const { answered, correct, total } = d.progress;
  const out: string[] = [`<div class="attnlab-quiz-static" style="font-size:14px;line-height:1.4">`];
  out.push(`<div style="font-weight:600;font-size:16px">${esc(d.title)}</div>`);
  if (d.intro) out.push(`<div>${esc(d.intro)}</div>`);
  out.push(`<div class="quiz-progress-text">${correct} of ${total} correct, ${answered} answered</div>`);
  d.questions.forEach((q, n) => {
    const fb = d.feedback[q.id];
    out.push(`<div class="quiz-q" style="border:1px solid #bbb;border-radius:4px;padding:8px 10px;margin:8px 0">`);
    out.push(`<div class="quiz-prompt" style="font-weight:600">${n + 1}. ${esc(q.prompt)}${q.source ? ` <span style="font-weight:400;color:#555">(${esc(q.source)})</span>` : ""}</div>`);
    if (q.kind === "choice" && q.choices) {
      out.push(`<ol type="A" class="quiz-choices">`);
      q.choices.forEach((c, i) => {
        const picked = fb && !fb.invalid && String(fb.answer) === String(i);
        out.push(`<li${picked ? ' style="font-weight:600"' : ""}>${esc(c)}${picked ? " ← answered" : ""}</li>`);
      });
      out.push(`</ol>`);
    } else {
      const given = fb ? `answered: ${esc(String(fb.answer))}` : `<i>${q.kind === "showme" ? "answer in the notebook; the kernel tests it" : "answer in the notebook"}</i>`;
      out.push(`<div class="quiz-answer">${given}</div>`);
    }
    if (fb) {
      out.push(`<div class="quiz-feedback" style="border-left:4px solid ${fb.correct ? "#009E73" : "#D55E00"};padding:4px 8px">${fb.correct ? "✓" : "✗"} ${esc(fb.message)}`);
      if (fb.correct && fb.explanation) out.push(`<div class="quiz-explanation">${esc(fb.explanation)}</div>`);
      out.push(`</div>`);
    }
    out.push(`</div>`);
  });
  out.push(`</div>`);
  return out.join("\n");
}
