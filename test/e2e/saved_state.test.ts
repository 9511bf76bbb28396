// End to end: views come back from the widget state saved in the notebook, without the model.
// With the widget manager's saveState on, a notebook that builds a tiny model and shows an
// attention heatmap and a head-score grid is run and saved; the kernel is shut down, the
// page is thrown away, and the notebook is opened again in a fresh page with a new kernel
// that runs no cell (and never defines the model). The views must draw again from the saved state:
// the tensors come back from the base64 buffers in the notebook metadata.
// ATTNLAB_E2E=0 skips it; missing prerequisites fail it.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser, Page } from "playwright-core";
import { ARTIFACTS, enableWidgetSaveState, notebook, openNotebook, requirePrerequisites, runAllCells, startLab, type Lab } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";
const NB = "saved.ipynb";
const TOKENS = ["<s>", "The", " cat", " sat", " on", " the", " mat", "."];
const WIDGET_STATE = "application/vnd.jupyter.widget-state+json";

const CELLS = [
  `import { createModel, ready, attentionPattern, detectHead, figure } from "attnlab";
await ready();
const model = createModel({ arch: "gpt2", nLayers: 2, dModel: 16, nHeads: 2, dVocab: 40, nCtx: 16 }, { seed: 3, initStd: 0.2 });
const ids = [1, 5, 9, 2, 5, 9, 2, 7];
console.log("model ready");`,
  `const pat = attentionPattern(model, ids, { layer: 1 });
figure({ ...pat, tokens: ${JSON.stringify(TOKENS)} }).display();`,
  `detectHead(model, ids, "previous_token")`,
];

type Shell = { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } | null } | null } } };
type App = {
  jupyterapp: {
    shell: Shell;
    commands: { execute(id: string, args?: unknown): Promise<unknown> };
  };
};
type SavedNb = {
  cells: { execution_count: number | null; outputs: { data?: Record<string, { model_id?: string }> }[] }[];
  metadata: { widgets?: Record<string, { state: Record<string, { model_name: string; state: Record<string, unknown>; buffers?: { path: string[]; encoding: string; data: string }[] }> }> };
};

(SKIP ? describe.skip : describe)("saved widget state brings the views back without re-running the model", () => {
  let lab: Lab | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let dir: string;
  let saved: SavedNb;
  let cellsBefore = 0;
  let labelsBefore: string[] = [];
  const consoleLines: string[] = [];

  const api = async (p: string, method = "GET") => {
    const r = await fetch(`${lab!.url}${p}`, { method, headers: { Authorization: `token ${lab!.token}` } });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? null : r.json();
  };

  beforeAll(async () => {
    requirePrerequisites();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-saved-e2e-"));
    fs.writeFileSync(path.join(dir, NB), notebook(CELLS));
    lab = await startLab(dir);
    await enableWidgetSaveState(lab);
    ({ browser, page } = await openNotebook(lab, NB));
    await runAllCells(page);
    await page.locator(".attnlab-headscores rect.cell").first().waitFor({ timeout: 180_000 });
    await page.locator(".attnlab-heatmap rect.cell").first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => (window as unknown as App).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", undefined, { timeout: 60_000 });
    cellsBefore = await page.locator(".attnlab-heatmap rect.cell").count();
    labelsBefore = (await page.locator(".attnlab-heatmap .row-label").allTextContents()).map((t) => t.trim());
    await page.evaluate(() => (window as unknown as App).jupyterapp.commands.execute("docmanager:save"));
    for (let i = 0; i < 100; i++) {
      saved = JSON.parse(fs.readFileSync(path.join(dir, NB), "utf8"));
      if (saved.metadata.widgets) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 360_000);

  afterAll(async () => {
    if (page && !SKIP) await page.screenshot({ path: path.join(ARTIFACTS, "e2e-saved-state.png"), fullPage: true }).catch(() => undefined);
    await browser?.close();
    if (lab) {
      if (process.env.ATTNLAB_E2E_LOG) {
        fs.writeFileSync(path.join(ARTIFACTS, "e2e-saved-state-lab.log"), lab.log());
        if (saved) fs.writeFileSync(path.join(ARTIFACTS, "e2e-saved-state.ipynb"), JSON.stringify(saved, null, 1));
        fs.writeFileSync(path.join(ARTIFACTS, "e2e-saved-state-console.log"), consoleLines.join("\n"));
      }
      await lab.stop();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("the saved notebook holds the heatmap's and the head grid's models, tensors as base64 buffers", () => {
    expect(saved.cells.map((c) => c.execution_count)).toEqual([1, 2, 3]);
    const state = saved.metadata.widgets?.[WIDGET_STATE]?.state ?? {};
    const viewIds = saved.cells.flatMap((c) => c.outputs.map((o) => o.data?.["application/vnd.attnlab.widget-view+json"]?.model_id)).filter(Boolean) as string[];
    expect(viewIds.length).toBe(2);
    const [heatmapId, gridId] = viewIds;
    expect(state[heatmapId]?.model_name).toBe("HeatmapModel");
    expect(state[gridId]?.model_name).toBe("HeadScoresModel");
    const hm = state[heatmapId];
    expect((hm.state.data as { tokens: string[] }).tokens).toEqual(TOKENS);
    // The pattern itself: one float32 buffer in base64, 2 heads × 8 × 8.
    const buf = (hm.buffers ?? []).find((b) => b.path.join("/").startsWith("data/pattern"));
    expect(buf?.encoding).toBe("base64");
    expect(Buffer.from(buf!.data, "base64").byteLength).toBe(2 * 8 * 8 * 4);
    expect(cellsBefore).toBe((8 * 9) / 2);
  });

  it("after the kernel is shut down, a fresh page and a fresh kernel that never ran a cell draw the views again from the saved state", async () => {
    const before = (await api("/api/kernels")) as { id: string }[];
    expect(before.length).toBe(1);
    for (const s of (await api("/api/sessions")) as { id: string }[]) await api(`/api/sessions/${s.id}`, "DELETE");
    for (const k of (await api("/api/kernels")) as { id: string }[]) await api(`/api/kernels/${k.id}`, "DELETE");
    expect(await api("/api/kernels")).toEqual([]);
    await page.close();
    page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
    const errors: string[] = [];
    page.on("console", (m) => {
      consoleLines.push(`${m.type()}: ${m.text()}`);
      if (m.type() === "error") errors.push(m.text());
    });
    // jupyterlab_widgets 5.0 restores saved state only once a kernel is there (with "No
    // Kernel" its restoreWidgets stops at "Kernel not set" and views stay "Loading widget..."),
    // so the notebook gets a new kernel; no cell is run in it.
    await page.goto(`${lab!.url}/lab/tree/${NB}?token=${lab!.token}`);
    const hm = page.locator(".attnlab-heatmap");
    await hm.locator("rect.cell").first().waitFor({ timeout: 120_000 });
    await page.locator(".attnlab-headscores rect.cell").first().waitFor({ timeout: 60_000 });
    await page.waitForFunction(() => (window as unknown as App).jupyterapp.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", undefined, { timeout: 120_000 });

    // A new kernel, and no cell ran: the prompts are those of the first run, and the new
    // kernel has never defined the model the views were computed from.
    const after = (await api("/api/kernels")) as { id: string }[];
    expect(after.length).toBe(1);
    expect(after[0].id).not.toBe(before[0].id);
    const prompts = await page.locator(".jp-CodeCell .jp-InputPrompt").allTextContents();
    expect(prompts.map((p) => p.replace(/\s/g, ""))).toEqual(["[1]:", "[2]:", "[3]:"]);
    const seen = await page.evaluate(async () => {
      const kernel = (window as unknown as App).jupyterapp.shell.currentWidget!.sessionContext!.session!.kernel as unknown as {
        requestExecute(c: { code: string; silent: boolean; store_history: boolean }): {
          onIOPub: (m: { header: { msg_type: string }; content: { text?: string; ename?: string; evalue?: string } }) => void;
          done: Promise<unknown>;
        };
      };
      let out = "";
      const f = kernel.requestExecute({ code: 'console.log("model is " + typeof model)', silent: false, store_history: false });
      f.onIOPub = (m) => {
        if (m.header.msg_type === "stream") out += m.content.text ?? "";
        if (m.header.msg_type === "error") out += `${m.content.ename}: ${m.content.evalue}`;
      };
      await f.done;
      return out;
    });
    // tslab type-checks each request: an undeclared name is a compile error.
    expect(seen.trim()).toMatch(/Cannot find name 'model'/);
    expect(await page.locator(".jp-CodeCell .jp-InputPrompt").allTextContents()).toEqual(prompts);

    // The marks and labels of the first run, drawn from the saved buffers.
    expect(await hm.count()).toBe(1);
    expect(await hm.locator("rect.cell").count()).toBe(cellsBefore);
    const rowLabels = (await hm.locator(".row-label").allTextContents()).map((t) => t.trim());
    // Leading spaces are drawn as "␣".
    expect(rowLabels).toEqual(TOKENS.map((t) => t.replace(/^ /, "␣")));
    expect(rowLabels).toEqual(labelsBefore);
    const fills = await hm.locator("rect.cell").evaluateAll((els) => new Set(els.map((e) => getComputedStyle(e).fill || e.getAttribute("fill"))).size);
    expect(fills).toBeGreaterThan(1);
    expect(await page.locator(".attnlab-headscores rect.cell").count()).toBe(4);
    expect(await page.locator(".attnlab-error").count()).toBe(0);
    expect(await page.getByText("Error displaying widget").count()).toBe(0);
    expect(await page.getByText("model not found").count()).toBe(0);
    expect(errors.filter((e) => /widget|model not found|attnlab/i.test(e))).toEqual([]);
    await hm.scrollIntoViewIfNeeded();
    await hm.screenshot({ path: path.join(ARTIFACTS, "e2e-saved-state-heatmap.png") });
  }, 240_000);
});
