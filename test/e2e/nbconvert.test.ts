// Static figures: a notebook run by nbconvert with the attnlab kernel, exported to HTML,
// shows every figure as inline SVG (no extension, no JavaScript, no network). nbconvert
// picks the widget view only for models whose state was saved; state-less notebooks
// (JupyterLab's default) fall back to our image/svg+xml, as checked here.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ARTIFACTS, ROOT, VENV, notebook } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";

(SKIP ? describe.skip : describe)("nbconvert HTML without the extension", () => {
  it("carries each figure's static SVG and text", () => {
    for (const need of [path.join(VENV, "bin", "jupyter-nbconvert"), path.join(ROOT, "dist", "lib", "figures", "index.js")]) {
      if (!fs.existsSync(need)) throw new Error(`missing ${need}: run scripts/setup.sh (or ATTNLAB_E2E=0 to skip)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-nbconvert-"));
    try {
      fs.writeFileSync(
        path.join(dir, "static.ipynb"),
        notebook([
          `import { figure } from "attnlab";
const n = 6;
const data = new Float32Array(n * n);
for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = 1 / (i + 1);
figure({ data: data, shape: [n, n] }, ["a", "b", "c", "d", "e", "f"]).display();`,
          `const g = (s: number) => ({ data: Float32Array.from({ length: 12 }, (_, i) => 0.05 + ((i * s) % 7) / 10), shape: [3, 4] });
figure({ view: "restoration", tokens: ["Paris", " is", " in"], subject: [0, 1], hidden: g(3), mlp: g(5), attn: g(2),
  pClean: 0.8, pCorrupted: 0.05, answer: " France" }).display();`,
        ]),
      );
      const r = spawnSync(
        path.join(VENV, "bin", "jupyter-nbconvert"),
        ["--to", "html", "--execute", "--ExecutePreprocessor.store_widget_state=False", "--ExecutePreprocessor.timeout=120", "static.ipynb"],
        { cwd: dir, encoding: "utf8", env: { ...process.env, JUPYTER_PATH: path.join(VENV, "share", "jupyter") }, timeout: 180_000 },
      );
      if (r.status !== 0) throw new Error(`nbconvert failed (${r.status}):\n${r.stderr}`);
      const page = fs.readFileSync(path.join(dir, "static.html"), "utf8");
      expect(page).not.toContain('<script type="application/vnd.jupyter.widget-view+json">');
      // The lab template embeds SVG outputs as <img src="data:image/svg+xml;base64,...">.
      const imgs = [...page.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
      expect(imgs.length).toBe(2);
      const html = imgs.join("\n");
      expect(html).toContain('aria-label="Attention pattern: layer 0, head 0"');
      expect((html.match(/class="cell"/g) ?? []).length).toBe(21 + 3 * 12);
      expect(html).toContain("Restoring attention outputs");
      expect(html).toContain("Paris*");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

// A tutorial as a lecturer exports it: executed (nbconvert saves widget state by default, or
// not), then `jupyter nbconvert --to html` with no extra option, and the page opened in
// Chromium with the network off. Every figure, every quiz question and the formula show.
const FIGURE_MIME = "application/vnd.attnlab.widget-view+json";
for (const storeState of [true, false]) {
  (SKIP ? describe.skip : describe)(`nbconvert HTML of an executed tutorial read offline (${storeState ? "with" : "without"} widget state)`, () => {
    it("shows every figure, every quiz question and the formulas with no network", async () => {
      const { chromium } = await import("playwright-core");
      const { CHROMIUM, CHROMIUM_ARGS } = await import("./lab");
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-export-"));
      const env = { ...process.env, JUPYTER_PATH: path.join(VENV, "share", "jupyter") };
      try {
        fs.copyFileSync(path.join(ROOT, "notebooks", "03-induction-heads.ipynb"), path.join(dir, "03.ipynb"));
        const run = (args: string[]) => {
          const r = spawnSync(path.join(VENV, "bin", "jupyter-nbconvert"), args, { cwd: dir, encoding: "utf8", env, timeout: 400_000 });
          if (r.status !== 0) throw new Error(`nbconvert ${args.join(" ")} failed (${r.status}):\n${r.stderr}`);
        };
        run(["--to", "notebook", "--execute", `--ExecutePreprocessor.store_widget_state=${storeState ? "True" : "False"}`, "--ExecutePreprocessor.timeout=300", "--output", "executed.ipynb", "03.ipynb"]);
        const nb = JSON.parse(fs.readFileSync(path.join(dir, "executed.ipynb"), "utf8"));
        expect(!!nb.metadata.widgets).toBe(storeState);
        const refs = nb.cells.flatMap((c: { outputs?: { data?: Record<string, { view: string; data?: { questions: unknown[] } }> }[] }) => (c.outputs ?? []).map((o) => o.data?.[FIGURE_MIME]).filter(Boolean));
        const figures = refs.filter((r: { view: string }) => r.view !== "quiz").length;
        const questions = refs.filter((r: { view: string }) => r.view === "quiz").reduce((n: number, r: { data?: { questions: unknown[] } }) => n + (r.data?.questions.length ?? 0), 0);
        // 03 on SmolLM2: the playground, the head-score grid and two layers' heatmaps.
        expect(figures).toBeGreaterThanOrEqual(4);
        expect(questions).toBeGreaterThanOrEqual(3);
        run(["--to", "html", "executed.ipynb"]);
        const html = fs.readFileSync(path.join(dir, "executed.html"), "utf8");
        expect(html).not.toContain("QuizModel(");
        const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        try {
          const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
          const page = await context.newPage();
          const remote: string[] = [];
          await page.route(/^https?:/, (route) => {
            remote.push(route.request().url());
            return route.abort();
          });
          await page.goto(`file://${path.join(dir, "executed.html")}`);
          await page.waitForLoadState("load");
          // Every figure: an SVG image that decoded to a real size.
          const imgs = await page.locator('img[src^="data:image/svg+xml"]').evaluateAll((els) => (els as HTMLImageElement[]).map((e) => ({ ok: e.complete && e.naturalWidth > 50 && e.naturalHeight > 50 })));
          expect(imgs.length).toBe(figures);
          expect(imgs.every((i) => i.ok)).toBe(true);
          // Every quiz question, as text on the page.
          const prompts = page.locator(".attnlab-quiz-static .quiz-prompt");
          expect(await prompts.count()).toBe(questions);
          for (let i = 0; i < questions; i++) expect(await prompts.nth(i).isVisible()).toBe(true);
          // The formula: rendered MathML with a real box, no raw TeX left.
          const maths = page.locator("math");
          expect(await maths.count()).toBeGreaterThanOrEqual(1);
          const box = await maths.first().boundingBox();
          expect(box && box.width > 40 && box.height > 20).toBe(true);
          expect(await page.locator("body").innerText()).not.toMatch(/\$\$\\frac|\\lVert/);
          fs.mkdirSync(ARTIFACTS, { recursive: true });
          await page.screenshot({ path: path.join(ARTIFACTS, `e2e-nbconvert-offline-${storeState ? "state" : "nostate"}.png`), fullPage: true });
        } finally {
          await browser.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 600_000);
  });
}
