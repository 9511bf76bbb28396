// End to end: figures on a projector. A notebook turns on the presentation size for every
// figure (figureDefaults) and draws each kind of view from fixed data in JupyterLab +
// Chromium. Every text of every view must lie inside its box (SVG text inside its SVG, HTML
// text not overflowing its element) at 16 px or more; a screenshot is kept. Then the theme
// is switched to JupyterLab Dark: no view's background and no map's low end stays light.
// ATTNLAB_E2E=0 skips it; missing prerequisites fail it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, notebook, openNotebook, requirePrerequisites, runAllCells, startLab, waitForRunAll, type Lab } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";
const NB = "projector.ipynb";

const CELLS = [
  `import { figure, figureDefaults, mulberry32 } from "attnlab";
figureDefaults({ presentation: true });
const rand = mulberry32(7);
const m = (r: number, c: number, lo = 0, hi = 1) => ({ data: Float32Array.from({ length: r * c }, () => lo + (hi - lo) * rand()), shape: [r, c] });
const toks = ["<|endoftext|>", "The", " Space", " Needle", " is", " in", " downtown", " Seattle"];
console.log("ready");`,
  `const n = 8, pat = new Float32Array(2 * n * n);
for (let h = 0; h < 2; h++) for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j <= i; j++) s += (pat[(h * n + i) * n + j] = rand()); for (let j = 0; j <= i; j++) pat[(h * n + i) * n + j] /= s; }
figure({ data: pat, shape: [2, n, n] }, toks)`,
  `figure({ view: "restoration", tokens: toks, subject: [1, 4], hidden: m(8, 6, 0.05, 0.9), mlp: m(8, 6, 0.05, 0.6), attn: m(8, 6, 0.05, 0.3),
  pClean: 0.92, pCorrupted: 0.05, answer: " Seattle", settings: { samples: 10, window: 2 } })`,
  `figure({ view: "patching", values: m(4, 8, -0.03, 0.03), kind: "position", tokens: toks, metric: "normalised logit diff ␣Seattle − ␣Paris (0 corrupted, 1 clean)", activation: "resid_pre" })`,
  `figure({ view: "headscores", scores: { "prefix matching": m(2, 4), "copying": m(2, 4, -1, 1) }, title: "Induction head scores" })`,
  `figure({ view: "probe", layers: [0, 1, 2, 3], properties: [{ name: "resid_post", accuracy: [0.5, 0.7, 0.8, 0.75], lower: [0.45, 0.65, 0.75, 0.7], upper: [0.55, 0.75, 0.85, 0.8], control: [0.4, 0.45, 0.5, 0.5] }], majority: 0.35 })`,
  `figure({ view: "attribution", tokens: toks.slice(1), attention: { data: m(1, 7).data, shape: [7] },
  measures: [{ name: "gradient × input", values: { data: m(1, 7, -1, 1).data, shape: [7] } }, { name: "integrated gradients (τ 0.2)", values: { data: m(1, 7, -1, 1).data, shape: [7] } }], tau: { "gradient × input": 0.21 } })`,
];

type App = { jupyterapp: { commands: { execute(id: string, args?: unknown): Promise<unknown> } } };

/** Overflowing text in the attnlab views: SVG text outside its SVG, HTML text wider than its box. */
async function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const bad: string[] = [];
    for (const view of Array.from(document.querySelectorAll(".attnlab-view"))) {
      for (const t of Array.from(view.querySelectorAll("svg text")) as SVGTextElement[]) {
        if (!t.textContent?.trim() || t.closest("defs")) continue;
        let svg = t.ownerSVGElement!;
        while (svg.ownerSVGElement) svg = svg.ownerSVGElement;
        const a = t.getBoundingClientRect();
        const b = svg.getBoundingClientRect();
        if (a.width === 0) continue;
        if (a.left < b.left - 1 || a.right > b.right + 1 || a.top < b.top - 1 || a.bottom > b.bottom + 1) bad.push(`svg text "${t.textContent}" [${a.left | 0},${a.top | 0},${a.right | 0},${a.bottom | 0}] outside [${b.left | 0},${b.top | 0},${b.right | 0},${b.bottom | 0}]`);
      }
      for (const e of Array.from(view.querySelectorAll(".attnlab-title, .attnlab-subtitle, .attnlab-controls label")) as HTMLElement[]) {
        if (e.scrollWidth > e.clientWidth + 1) bad.push(`html "${e.textContent}" ${e.scrollWidth} > ${e.clientWidth}`);
      }
    }
    return bad;
  });
}

/** The smallest text in the views as drawn on screen (px), SVG scaling included. */
async function smallestText(page: Page): Promise<number> {
  return page.evaluate(() => {
    let min = Infinity;
    for (const t of Array.from(document.querySelectorAll(".attnlab-view svg text")) as SVGTextElement[]) {
      if (!t.textContent?.trim()) continue;
      const svg = t.ownerSVGElement!;
      const vb = svg.viewBox.baseVal;
      const k = vb && vb.width ? svg.getBoundingClientRect().width / vb.width : 1;
      min = Math.min(min, parseFloat(getComputedStyle(t).fontSize) * k);
    }
    for (const e of Array.from(document.querySelectorAll(".attnlab-view .attnlab-title, .attnlab-view .attnlab-subtitle")) as HTMLElement[]) {
      min = Math.min(min, parseFloat(getComputedStyle(e).fontSize));
    }
    return min;
  });
}

(SKIP ? describe.skip : describe)("figures on a projector: presentation size and the dark theme", () => {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;

  beforeAll(async () => {
    requirePrerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-projector-"));
    fs.writeFileSync(path.join(dir, NB), notebook(CELLS));
    lab = await startLab(dir);
    ({ browser, page } = await openNotebook(lab, NB));
    await runAllCells(page);
    await waitForRunAll(page, 240_000);
    await page.locator(".attnlab-figure[data-source=live] .attnlab-view").nth(CELLS.length - 2).waitFor({ timeout: 60_000 });
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await lab?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("every view is drawn at presentation size with no text under 16 px and none outside its box", async () => {
    const views = page.locator(".attnlab-view");
    expect(await views.count()).toBe(CELLS.length - 1);
    expect(await page.locator(".attnlab-error").count()).toBe(0);
    expect(await page.locator(".attnlab-view.attnlab-presentation").count()).toBe(CELLS.length - 1);
    for (let i = 0; i < CELLS.length - 1; i++) await views.nth(i).scrollIntoViewIfNeeded();
    expect(await overflows(page)).toEqual([]);
    expect(await smallestText(page)).toBeGreaterThanOrEqual(15.9);
    await page.screenshot({ path: path.join(ARTIFACTS, "e2e-presentation.png"), fullPage: true });
    for (let i = 0; i < CELLS.length - 1; i++) await views.nth(i).screenshot({ path: path.join(ARTIFACTS, `e2e-presentation-${i}.png`) });
  }, 120_000);

  it("a view's toggle turns presentation size off and on again", async () => {
    const v = page.locator(".attnlab-restoration").first();
    const width = async () => Number(await v.locator("svg.panel").first().getAttribute("width"));
    const big = await width();
    await v.locator(".attnlab-size-toggle input").uncheck();
    expect(await width()).toBeLessThan(big);
    await page.locator(".attnlab-restoration .attnlab-size-toggle input").first().check();
    expect(await width()).toBe(big);
  }, 60_000);

  it("dark theme: no view's background is light, and the maps' low ends are dark", async () => {
    await page.evaluate(() => (window as unknown as App).jupyterapp.commands.execute("apputils:change-theme", { theme: "JupyterLab Dark" }));
    await page.waitForFunction(() => document.body.getAttribute("data-jp-theme-light") === "false", undefined, { timeout: 60_000 });
    await page.waitForTimeout(1500);
    const seen = await page.evaluate(() => {
      const lum = (css: string) => {
        const m = css.match(/\d+(\.\d+)?/g)!.map(Number);
        if (m.length === 4 && m[3] === 0) return -1; // transparent: shows what is behind
        return (0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]) / 255;
      };
      const views = Array.from(document.querySelectorAll(".attnlab-view")) as HTMLElement[];
      const backgrounds = views.map((v) => lum(getComputedStyle(v).backgroundColor));
      // The lightest of each restoration/patching map's cells at its scale's low end.
      const lowEnds: number[] = [];
      for (const sel of [".attnlab-restoration svg.panel", ".attnlab-patching svg"]) {
        for (const svg of Array.from(document.querySelectorAll(sel))) {
          const fills = Array.from(svg.querySelectorAll("stop")).map((s) => lum(getComputedStyle(s).stopColor));
          if (fills.length) lowEnds.push(sel.includes("patching") ? fills[Math.floor(fills.length / 2)] : fills[0]);
        }
      }
      return { backgrounds, lowEnds };
    });
    await page.screenshot({ path: path.join(ARTIFACTS, "e2e-presentation-dark.png"), fullPage: true });
    expect(seen.backgrounds.length).toBe(CELLS.length - 1);
    for (const b of seen.backgrounds) expect(b).toBeLessThan(0.3);
    expect(seen.lowEnds.length).toBeGreaterThanOrEqual(4);
    for (const l of seen.lowEnds) expect(l).toBeLessThan(0.2);
  }, 120_000);
});
