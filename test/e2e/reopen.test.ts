// End to end: what a lecturer prepares at home survives to the classroom. Tutorial 05
// (causal tracing: two restoration maps and a quiz the solution cell answers) is run in
// JupyterLab + Chromium and saved, the page is closed and every kernel shut down, and the
// notebook is opened again (1) in the same lab, which starts a fresh kernel that runs no
// cell, and (2) in a lab that has no attnlab kernel at all ("No Kernel"). Every figure and
// the quiz must be visible and nothing may read "Error displaying widget". Once without
// saved widget state (JupyterLab's default: static figures come back) and once with it
// (the views are drawn from the saved state, the quiz with its progress).
// ATTNLAB_E2E=0 skips it; missing prerequisites fail it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { chromium } from "playwright-core";
import { ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, ROOT, enableWidgetSaveState, openNotebook, requirePrerequisites, runAllCells, saveAndShutDown, startLab, waitForRunAll, type Lab } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";
const NB = "05-causal-tracing.ipynb";
const FIGURES = 3; // explore(model) (the playground), figure(trace), figure(narrow)

interface Seen {
  figures: number;
  sources: string[];
  questions: number;
  progress: string;
}

/** What the reopened page shows: every attnlab output visible, its source, the quiz. */
async function inspect(page: Page): Promise<Seen> {
  const outs = page.locator(".attnlab-figure");
  const n = await outs.count();
  const sources: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = outs.nth(i);
    await o.scrollIntoViewIfNeeded();
    const box = await o.boundingBox();
    expect(box && box.height > 60 && box.width > 100).toBe(true);
    // A drawn view, or a static image that actually decoded.
    const drawn = await o.evaluate((el) => {
      const img = el.querySelector("img.attnlab-static") as HTMLImageElement | null;
      if (img) return img.complete && img.naturalWidth > 0;
      return !!el.querySelector(".attnlab-view") && !el.querySelector(".attnlab-error");
    });
    expect(drawn).toBe(true);
    sources.push((await o.getAttribute("data-source")) ?? "");
  }
  const quiz = page.locator(".attnlab-quiz");
  return {
    figures: n,
    sources,
    questions: await quiz.locator(".quiz-prompt").count(),
    progress: (await quiz.locator(".quiz-progress-text").first().textContent()) ?? "",
  };
}

async function noErrors(page: Page): Promise<void> {
  expect(await page.getByText("Error displaying widget").count()).toBe(0);
  expect(await page.getByText("model not found").count()).toBe(0);
  expect(await page.locator(".attnlab-error").count()).toBe(0);
}

for (const saveState of [false, true]) {
  (SKIP ? describe.skip : describe)(`reopening a saved tutorial ${saveState ? "with" : "without"} saved widget state`, () => {
    let lab: Lab | undefined;
    let browser: Browser | undefined;
    let page: Page | undefined;
    let dir: string;
    let questions = 0;
    const tag = saveState ? "state" : "nostate";

    beforeAll(async () => {
      requirePrerequisites();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `attnlab-reopen-${tag}-`));
      fs.copyFileSync(path.join(ROOT, "notebooks", NB), path.join(dir, NB));
      lab = await startLab(dir);
      if (saveState) await enableWidgetSaveState(lab);
      ({ browser, page } = await openNotebook(lab, NB));
      await runAllCells(page);
      await waitForRunAll(page, 300_000);
      await page.locator(".attnlab-figure[data-source=live]").nth(FIGURES).waitFor({ timeout: 60_000 });
      questions = await page.locator(".attnlab-quiz .quiz-prompt").count();
      await saveAndShutDown(lab, page, path.join(dir, NB), (nb) => !saveState || !!nb.metadata.widgets);
      await page.close();
      page = undefined;
    }, 420_000);

    afterAll(async () => {
      await browser?.close();
      await lab?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it("the run drew both restoration maps and the quiz live (the MLP-only trace included)", () => {
      expect(questions).toBe(3);
    });

    it("a fresh page with a fresh kernel that runs no cell shows every figure and the quiz", async () => {
      page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
      await page.goto(`${lab!.url}/lab/tree/${NB}?token=${lab!.token}`);
      await page.locator(".attnlab-figure").nth(FIGURES).waitFor({ timeout: 120_000 });
      await page.waitForFunction(
        () => (window as unknown as { jupyterapp: { shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } } } }).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle",
        undefined,
        { timeout: 120_000 },
      );
      // Give the widget manager time to restore (or fail to find) the models.
      await page.waitForTimeout(4000);
      const seen = await inspect(page);
      await noErrors(page);
      expect(seen.figures).toBe(FIGURES + 1);
      expect(seen.questions).toBe(questions);
      if (saveState) {
        // The widget manager restored the saved models (live) or the renderer drew them from the metadata (saved).
        for (const s of seen.sources) expect(["live", "saved"]).toContain(s);
        expect(seen.progress).toBe(`${questions} of ${questions} correct, ${questions} answered`);
      } else {
        expect(seen.sources).toEqual(Array(FIGURES + 1).fill("static"));
      }
      await page.screenshot({ path: path.join(ARTIFACTS, `e2e-reopen-${tag}-kernel.png`), fullPage: true });
      await page.close();
      page = undefined;
    }, 240_000);

    it("a lab without the attnlab kernel (No Kernel) shows every figure and the quiz", async () => {
      await lab!.stop();
      // Only a kernel that does not exist is allowed: the notebook opens with no kernel.
      lab = await startLab(dir, ["--KernelSpecManager.allowed_kernelspecs=no-such-kernel"]);
      const b = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      try {
        page = await b.newPage({ viewport: { width: 1400, height: 1000 } });
        await page.goto(`${lab.url}/lab/tree/${NB}?token=${lab.token}`);
        await page.locator(".attnlab-figure").nth(FIGURES).waitFor({ timeout: 120_000 });
        // JupyterLab asks which kernel to use; the lecturer's answer here is "No Kernel".
        const noKernel = page.locator(".jp-Dialog button", { hasText: /No Kernel|Cancel/ });
        if (await noKernel.count()) await noKernel.first().click();
        await page.waitForTimeout(3000);
        const seen = await inspect(page);
        await noErrors(page);
        expect(seen.figures).toBe(FIGURES + 1);
        expect(seen.questions).toBe(questions);
        if (saveState) {
          expect(seen.sources).toEqual(Array(FIGURES + 1).fill("saved"));
          expect(seen.progress).toBe(`${questions} of ${questions} correct, ${questions} answered`);
          // Drawn from the saved tensors: the restoration maps' cells are there to hover.
          expect(await page.locator(".attnlab-restoration rect.cell").count()).toBeGreaterThan(0);
        } else {
          expect(seen.sources).toEqual(Array(FIGURES + 1).fill("static"));
        }
        await page.screenshot({ path: path.join(ARTIFACTS, `e2e-reopen-${tag}-nokernel.png`), fullPage: true });
      } finally {
        await b.close();
      }
    }, 240_000);
  });
}
