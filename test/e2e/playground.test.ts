// End to end: the playground, explore(model), in a real JupyterLab with the attnlab kernel and
// headless Chromium. A student types a new prompt into the box; the kernel runs the model and
// the heatmap, the predictions and the head grid redraw for it. Picking a head in the menu
// and clicking one in the grid show that head. A too long prompt is an error in the widget.
// ATTNLAB_E2E=0 skips it; missing prerequisites fail it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, notebook, openNotebook, requirePrerequisites, runAllCells, startLab, type Lab } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";
const FIRST = "The cat sat on the mat.";
const TYPED = "When Mary and John went to the store, John gave a drink to";

// A small GPT-2 (2 layers x 4 heads) with its tokenizer, made by the set-up (scripts/make_tokenizer_fixtures.py).
const MODEL = path.resolve(__dirname, "../fixtures/pretrained/tiny-gpt2");

const CELLS = [
  `import { explore, loadPretrained } from "attnlab";
const model = await loadPretrained(${JSON.stringify(MODEL)});
console.log("tokens " + JSON.stringify(model.toStrTokens(${JSON.stringify(TYPED)})));`,
  `explore(model, { prompt: ${JSON.stringify(FIRST)}, maxTokens: 40 })`,
];

(SKIP ? describe.skip : describe)("playground end to end: explore(model) in JupyterLab", () => {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  let typedTokens: string[];

  beforeAll(async () => {
    requirePrerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-playground-e2e-"));
    fs.writeFileSync(path.join(dir, "playground.ipynb"), notebook(CELLS));
    lab = await startLab(dir);
    ({ browser, page } = await openNotebook(lab, "playground.ipynb"));
    await runAllCells(page);
    await page.waitForSelector(".attnlab-explore .explore-heatmap rect.cell", { timeout: 180_000 });
    const printed = (await page.locator(".jp-OutputArea-output", { hasText: "tokens [" }).first().textContent()) ?? "";
    typedTokens = JSON.parse(printed.slice(printed.indexOf("[")).trim());
  }, 300_000);

  afterAll(async () => {
    if (page && !SKIP) await page.screenshot({ path: path.join(ARTIFACTS, "e2e-playground.png"), fullPage: true }).catch(() => undefined);
    await browser?.close();
    if (lab) {
      if (process.env.ATTNLAB_E2E_LOG) fs.writeFileSync(path.join(ARTIFACTS, "e2e-playground-lab.log"), lab.log());
      await lab.stop();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const root = () => page.locator(".attnlab-view.attnlab-explore");
  const heading = () => root().locator(".explore-heatmap .attnlab-title").textContent();

  it("draws the live playground for the cell's prompt, without widget errors", async () => {
    await expect(root().getAttribute("data-prompt")).resolves.toBe(FIRST);
    expect(await root().locator(".explore-heatmap .col-label").count()).toBeGreaterThan(0);
    expect(await root().locator(".explore-predictions g.prediction").count()).toBe(10);
    expect(await root().locator(".explore-grid rect.cell").count()).toBe(2 * 4);
    expect(await root().locator("input.explore-prompt").isEnabled()).toBe(true);
    expect(await page.locator(".attnlab-error").count()).toBe(0);
    expect(await page.getByText("Error displaying widget").count()).toBe(0);
  }, 60_000);

  it("typing a new prompt updates the heatmap, the predictions and the grid", async () => {
    const before = await root().locator(".explore-heatmap rect.cell").count();
    const input = root().locator("input.explore-prompt");
    await input.click();
    await input.fill("");
    await page.keyboard.type(TYPED, { delay: 20 });
    await page.waitForFunction((p) => document.querySelector(".attnlab-view.attnlab-explore")?.getAttribute("data-prompt") === p, TYPED, { timeout: 60_000 });
    const n = typedTokens.length;
    expect(n).toBeGreaterThan(10);
    // A causal model: the lower triangle and the diagonal.
    expect(await root().locator(".explore-heatmap rect.cell").count()).toBe((n * (n + 1)) / 2);
    expect(before).not.toBe((n * (n + 1)) / 2);
    const cols = await root().locator(".explore-heatmap .col-label").allTextContents();
    expect(cols).toContain("␣drink");
    expect(cols[cols.length - 1]).toBe("␣to");
    expect(await root().locator(".explore-predictions .attnlab-subtitle").textContent()).toBe('Next token after " to"');
    expect(await root().locator(".explore-message").textContent()).toBe("");
    await root().scrollIntoViewIfNeeded();
    await root().screenshot({ path: path.join(ARTIFACTS, "e2e-playground-typed.png") });
  }, 90_000);

  it("the Head menu and a click in the grid show that head from the kernel", async () => {
    await root().locator('.explore-heatmap select[aria-label="Head"]').selectOption("3");
    await page.waitForFunction(() => document.querySelector(".attnlab-view.attnlab-explore")?.getAttribute("data-head") === "0.3", undefined, { timeout: 30_000 });
    expect(await heading()).toBe("Attention: layer 0, head 3");
    const hit = root().locator(".explore-grid rect.hit");
    await hit.scrollIntoViewIfNeeded();
    const box = (await hit.boundingBox())!;
    const cell = box.width / 4;
    await page.mouse.click(box.x + 2.5 * cell, box.y + 1.5 * cell); // layer 1, head 2
    await page.waitForFunction(() => document.querySelector(".attnlab-view.attnlab-explore")?.getAttribute("data-head") === "1.2", undefined, { timeout: 30_000 });
    expect(await heading()).toBe("Attention: layer 1, head 2");
    // The prompt stays the typed one.
    expect(await root().getAttribute("data-prompt")).toBe(TYPED);
  }, 90_000);

  it("a prompt over maxTokens is an error in the widget; the figure stays", async () => {
    const input = root().locator("input.explore-prompt");
    // 48 tokens: over maxTokens (40), within the model's context (64).
    await input.fill(Array.from({ length: 12 }, () => "word word").join(" "));
    await root().locator(".explore-message.explore-error").waitFor({ timeout: 30_000 });
    expect(await root().locator(".explore-message").textContent()).toMatch(/^prompt is \d+ tokens long; the playground takes at most 40/);
    expect(await root().getAttribute("data-prompt")).toBe(TYPED);
    expect(await page.locator(".attnlab-error").count()).toBe(0);
  }, 60_000);
});
