// End to end: a tutorial as a student meets it. The student version of the checklist
// (scripts/make_student.py) is opened in a real JupyterLab with the attnlab kernel in
// headless Chromium, every cell is run, and quiz questions are answered by clicking and
// typing; the feedback the kernel computes must appear under the question.
// ATTNLAB_E2E=0 skips it; missing prerequisites fail it.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Locator, Page } from "playwright-core";
import { ARTIFACTS, ROOT, enableWidgetSaveState, openNotebook, requirePrerequisites, runAllCells, startLab, type Lab } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";
const NOTEBOOK = "07-checklist.ipynb";

type App = { jupyterapp: { shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } }; commands: { execute(id: string): Promise<unknown> } } };

(SKIP ? describe.skip : describe)("tutorial end to end: run a student notebook and answer its quiz in JupyterLab", () => {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    requirePrerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-tutorial-e2e-"));
    execFileSync("python3", [path.join(ROOT, "scripts", "make_student.py"), "--out", dir]);
    lab = await startLab(dir);
    // Save widget state with the notebook, so progress is kept.
    await enableWidgetSaveState(lab);
    ({ browser, page } = await openNotebook(lab, NOTEBOOK));
    await runAllCells(page);
    // The last code cell prints the progress summary: every cell before it has run.
    await page.locator(".jp-OutputArea-output", { hasText: "0 of 12 correct (0 answered)" }).first().waitFor({ timeout: 180_000 });
  }, 300_000);

  afterAll(async () => {
    if (page && !SKIP) await page.screenshot({ path: path.join(ARTIFACTS, "e2e-tutorial.png"), fullPage: true }).catch(() => undefined);
    await browser?.close();
    if (lab) {
      if (process.env.ATTNLAB_E2E_LOG) fs.writeFileSync(path.join(ARTIFACTS, "e2e-tutorial-lab.log"), lab.log());
      await lab.stop();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const question = (id: string): Locator => page.locator(`.attnlab-quiz .quiz-q[data-id="${id}"]`);

  it("shows the six quizzes without widget errors", async () => {
    // The summary lists each quiz by its title, which carries its own number ("1. Why…", not "1. 1. Why…").
    const summary = (await page.locator(".jp-OutputArea-output", { hasText: "0 of 12 correct (0 answered)" }).first().textContent()) ?? "";
    expect(summary).toContain("1. Why does a first-token sink appear");
    expect(summary).not.toMatch(/\d\. \d\. /);
    expect(await page.locator(".attnlab-quiz").count()).toBe(6);
    expect(await page.locator(".attnlab-quiz .quiz-q").count()).toBe(12);
    expect(await page.getByText("Error displaying widget").count()).toBe(0);
    expect(await page.locator(".attnlab-error").count()).toBe(0);
  }, 60_000);

  it("a wrong choice gets the kernel's reason and a try-again, no solution text; the right one is accepted, counted and explained", async () => {
    const q = question("sink");
    await q.scrollIntoViewIfNeeded();
    await q.locator(".quiz-choice input").nth(0).check();
    await q.locator("button.quiz-submit").click();
    const fb = q.locator(".quiz-feedback");
    await fb.waitFor({ timeout: 30_000 });
    expect(await fb.getAttribute("class")).toBe("quiz-feedback wrong");
    expect(await fb.locator(".quiz-verdict").textContent()).toMatch(/^✗ Not quite: the sink appears even when position 0 holds a meaningless token/);
    // No solution text after a wrong answer: neither the explanation nor the right option's wording.
    expect(await fb.locator(".quiz-explanation").count()).toBe(0);
    expect(await q.textContent()).not.toContain("Xiao et al. 2023");
    expect(await fb.locator(".quiz-retry").textContent()).toMatch(/^Try again/);
    await q.locator(".quiz-choice input").nth(1).check();
    await q.locator("button.quiz-submit").click();
    // Each update redraws the view, so wait through the locator (not an element handle).
    await q.locator(".quiz-feedback.correct").waitFor({ timeout: 30_000 });
    expect(await q.locator(".quiz-verdict").textContent()).toBe("✓ Correct.");
    expect(await q.locator(".quiz-explanation").textContent()).toContain("Xiao et al. 2023");
    expect(await q.locator(".quiz-attempts").textContent()).toBe("attempt 2");
    const quiz = page.locator(".attnlab-quiz").first();
    expect(await quiz.locator(".quiz-progress-text").textContent()).toBe("1 of 2 correct, 1 answered");
    await quiz.screenshot({ path: path.join(ARTIFACTS, "e2e-tutorial-quiz.png") });
  }, 60_000);

  it("a short answer typed and submitted with Enter is checked by the kernel", async () => {
    const q = question("induction-composition");
    await q.scrollIntoViewIfNeeded();
    const input = q.locator("input.quiz-text");
    await input.fill("V-composition");
    await input.press("Enter");
    await q.locator(".quiz-feedback.wrong").waitFor({ timeout: 30_000 });
    expect(await q.locator(".quiz-verdict").textContent()).toContain("the values copy the attended token");
    await input.fill("K-composition");
    await q.locator("button.quiz-submit").click();
    await q.locator(".quiz-feedback.correct").waitFor({ timeout: 30_000 });
    // The text stays in the field after the redraw that brought the feedback.
    expect(await input.inputValue()).toBe("K-composition");
  }, 60_000);

  it("saving the notebook keeps the quiz progress in its widget state", async () => {
    await page.evaluate(() => (window as unknown as App).jupyterapp.commands.execute("docmanager:save"));
    const file = path.join(dir, NOTEBOOK);
    let saved: { metadata?: { widgets?: Record<string, { state: Record<string, { model_name: string; state: { data: { feedback: Record<string, { correct: boolean }>; progress: unknown } } }> }> } } = {};
    for (let i = 0; i < 50; i++) {
      saved = JSON.parse(fs.readFileSync(file, "utf8"));
      if (saved.metadata?.widgets) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const states = Object.values(saved.metadata?.widgets?.["application/vnd.jupyter.widget-state+json"]?.state ?? {}).filter((s) => s.model_name === "QuizModel");
    expect(states.length).toBe(6);
    const first = states.find((s) => s.state.data.feedback.sink)!;
    expect(first.state.data.feedback.sink.correct).toBe(true);
    expect(first.state.data.progress).toEqual({ answered: 1, correct: 1, total: 2 });
    const third = states.find((s) => s.state.data.feedback["induction-composition"])!;
    expect(third.state.data.feedback["induction-composition"].correct).toBe(true);
  }, 60_000);
});

// A show-me question: the student names the induction head and the kernel checks it by ablation.
const SHOWME = "03-induction-heads.ipynb";
// Notebook 3 runs on SmolLM2-135M; its card names the induction head attnlab's methods find.
const cardInductionHead = (): string | null => {
  const f = path.join(ROOT, "models", "smollm2-135m", "README.md");
  if (!fs.existsSync(f)) return null;
  const m = /head (\d+\.\d+) has the highest\s+prefix-matching\s+score/.exec(fs.readFileSync(f, "utf8"));
  return m ? m[1] : null;
};

(SKIP || cardInductionHead() === null ? describe.skip : describe)("tutorial end to end: a show-me question checked by the kernel", () => {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-tutorial-e2e-"));
    execFileSync("python3", [path.join(ROOT, "scripts", "make_student.py"), "--out", dir]);
    lab = await startLab(dir);
    ({ browser, page } = await openNotebook(lab, SHOWME));
    await runAllCells(page);
    await page.locator('.attnlab-quiz .quiz-q[data-id="induction-head"]').waitFor({ timeout: 180_000 });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("naming the model card's induction head is confirmed with the ablation numbers; another head is not", async () => {
    const q = page.locator('.attnlab-quiz .quiz-q[data-id="induction-head"]');
    await q.scrollIntoViewIfNeeded();
    const input = q.locator("input.quiz-text");
    await input.fill(cardInductionHead()!);
    await q.locator("button.quiz-submit").click();
    await q.locator(".quiz-feedback.correct").waitFor({ timeout: 60_000 });
    expect(await q.locator(".quiz-verdict").textContent()).toMatch(/^✓ Yes: \d+\.\d+ shows the induction pattern/);
    const rows = await q.locator(".quiz-details tr").allTextContents();
    expect(rows.some((r) => /^loss change \(nats\)\d+\.\d{3}$/.test(r))).toBe(true);
    await q.screenshot({ path: path.join(ARTIFACTS, "e2e-tutorial-showme.png") });
    const other = cardInductionHead() === "1.1" ? "1.2" : "1.1";
    await input.fill(other);
    await input.press("Enter");
    await q.locator(".quiz-feedback.wrong").waitFor({ timeout: 60_000 });
    expect(await q.locator(".quiz-verdict").textContent()).toContain(other);
  }, 120_000);
});

