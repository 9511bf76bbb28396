/**
 * Heatmap bench, two parts in one run:
 *
 * 1. Long context, end to end (HEATMAP_LAB_N = 4,096 tokens): a real JupyterLab with the
 *    attnlab kernel and headless Chromium. The kernel holds a seeded causal pattern of 4 heads
 *    (4 × 4,096² float32 = 268 MB, over HeatmapFigure's 16 MB limit), so only the shown head
 *    is seen through its overview: the kernel sends the head max-pooled to the plot's 560 × 560
 *    pixels (1.2 MB, widgets/src/tiles.ts), another head's overview when picked and the exact
 *    weights of a zoomed window (request_tile custom message, one float32 buffer back).
 *    Measured in the page:
 *    - first draw: "run cell" (`new HeatmapFigure(...).display()`) until the live view's canvas
 *      is painted and the next frame produced: the kernel's figure and static SVG, the comm
 *      with the overview's buffer through the Jupyter server's websocket, and the view's draw;
 *    - head switch: Head menu change until the fetched head's overview is painted;
 *    - hover: a mousemove on the plot until the next frame (crosshair and tooltip);
 *    - zoom: the "zoom in" button until the next frame (a stand-in cut from the overview) and
 *      until the exact tile from the kernel is painted.
 *    Targets (issue #18): first draw < 1 s, hover < 50 ms.
 * 2. In the page only (HEATMAP_N = 1,024 tokens): attnlab's canvas path against its peer, the
 *    usual d3 heatmap with one SVG <rect> per cell (the same renderer with canvasThreshold = ∞).
 *
 *   bash bench/heatmap.sh            (both parts; --lab or --page for one)
 *   HEATMAP_PROFILE=dir              also writes the page's CPU profile of the last first draw
 *
 * Frames: a draw counts as done at the next requestAnimationFrame plus a task (layout and
 * paint included).
 */
import * as fs from "fs";
import * as path from "path";
import * as os from "os";
import { chromium, type Page } from "playwright-core";
import { notebook, openNotebook, startLab, type Lab } from "../test/e2e/lab";

// The project root, from the source (bench/) or from a compiled copy (.cache/bench/bench/).
const ROOT = (() => {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) if (fs.existsSync(path.join(d, "widgets", "package.json"))) return d;
  throw new Error("bench/heatmap: cannot find the project root above " + __dirname);
})();
const N = Number(process.env.HEATMAP_N ?? 1024);
const DRAWS = Number(process.env.HEATMAP_DRAWS ?? 5);
const HOVERS = Number(process.env.HEATMAP_HOVERS ?? 60);
const CHROMIUM = process.env.ATTNLAB_CHROMIUM ?? "/usr/bin/chromium";
const LAB_N = Number(process.env.HEATMAP_LAB_N ?? 4096);
const LAB_HEADS = 4;
const LAB_SWITCHES = Number(process.env.HEATMAP_LAB_SWITCHES ?? 6);
const LAB_FIRST = Number(process.env.HEATMAP_LAB_FIRST ?? 3);
/** A directory: the page's CPU profile of the last first draw is written there (Chrome DevTools' .cpuprofile). */
const LAB_PROFILE = process.env.HEATMAP_PROFILE;

/** The compiled renderer modules, wrapped in a tiny CommonJS loader for the page. */
function pageScript(): string {
  const lib = path.join(ROOT, "widgets", "lib");
  // Each module under the name the compiled views require it by (all from views/, so "../protocol" is unique).
  const mod = (name: string, file: string) => {
    const full = path.join(lib, file);
    if (!fs.existsSync(full)) throw new Error(`${full} is missing: build the widgets first (bash bench/heatmap.sh does)`);
    return `${JSON.stringify(name)}: function (module, exports, require) {\n${fs.readFileSync(full, "utf8")}\n}`;
  };
  // Every view module as "./name" and the shared contract modules as "../name"; only what heatmap requires runs.
  const views = fs.readdirSync(path.join(lib, "views")).filter((f) => f.endsWith(".js"));
  const mods = views.map((f) => mod(`./${f.slice(0, -3)}`, `views/${f}`));
  for (const n of ["protocol", "tiles"]) mods.push(mod(`../${n}`, `${n}.js`));
  return `
(function () {
  var defs = { ${mods.join(",\n")} };
  var cache = { d3: window.d3 };
  function req(name) {
    if (cache[name]) return cache[name];
    if (!defs[name]) throw new Error("bench page: no module " + name);
    var module = { exports: {} };
    cache[name] = module.exports;
    defs[name](module, module.exports, req);
    cache[name] = module.exports;
    return module.exports;
  }
  window.attnlabHeatmap = req("./heatmap");
})();`;
}

interface Stats {
  median: number;
  p95: number;
  min: number;
}

function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))], min: s[0] };
}

async function inPage(): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (ATTNLAB_SETUP_TEST=1 bash scripts/setup.sh installs it)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    await page.setContent("<!doctype html><html><body style='margin:0'><div id='host'></div></body></html>");
    await page.addScriptTag({ path: path.join(ROOT, "node_modules", "d3", "dist", "d3.min.js") });
    await page.addScriptTag({ content: pageScript() });
    const run = async (threshold: number, draws: number, hovers: number) =>
      page.evaluate(
        async ({ n, threshold, draws, hovers }) => {
          const w = window as unknown as { attnlabHeatmap: { render: (el: HTMLElement, d: unknown, o: unknown) => () => void } };
          // Seeded causal softmax rows, made here so 4 MB need not cross the protocol.
          let a = 12345;
          const r = () => {
            a = (a + 0x6d2b79f5) >>> 0;
            let t = a;
            t = Math.imul(t ^ (t >>> 15), t | 1);
            t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
            return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
          };
          const data = new Float32Array(n * n);
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let j = 0; j <= i; j++) s += data[i * n + j] = Math.exp(3 * r());
            for (let j = 0; j <= i; j++) data[i * n + j] /= s;
          }
          const tokens = Array.from({ length: n }, (_, i) => `tok${i}`);
          const frame = () => new Promise<void>((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          const host = document.getElementById("host")!;
          const first: number[] = [];
          const call: number[] = [];
          let cleanup = () => undefined as void;
          for (let k = 0; k < draws; k++) {
            cleanup();
            await frame();
            const t0 = performance.now();
            cleanup = w.attnlabHeatmap.render(host, { pattern: { data, shape: [n, n] }, tokens }, { canvasThreshold: threshold, size: 1024 });
            call.push(performance.now() - t0);
            await frame();
            first.push(performance.now() - t0);
          }
          const hit = host.querySelector("rect.hit")!;
          const box = hit.getBoundingClientRect();
          const hover: number[] = [];
          const handler: number[] = [];
          for (let k = 0; k < hovers; k++) {
            const x = box.left + ((k * 7919) % 1000) / 1000 * box.width;
            const y = box.top + ((k * 104729) % 1000) / 1000 * box.height;
            const t0 = performance.now();
            hit.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: x, clientY: y }));
            handler.push(performance.now() - t0);
            await frame();
            hover.push(performance.now() - t0);
          }
          const tip = host.querySelector(".attnlab-tooltip")!.textContent;
          const cells = host.querySelectorAll("rect.cell").length;
          const canvas = host.querySelectorAll("canvas").length;
          cleanup();
          return { first, call, hover, handler, tip, cells, canvas };
        },
        { n: N, threshold, draws, hovers },
      );
    const canvas = await run(128, DRAWS, HOVERS);
    const svg = await run(Number.POSITIVE_INFINITY, Math.max(2, Math.ceil(DRAWS / 2)), Math.max(10, Math.ceil(HOVERS / 3)));
    if (!canvas.tip?.includes("query") || !svg.tip?.includes("query")) throw new Error("hover did not update the tooltip");
    const row = (name: string, r: typeof canvas) => {
      const f = stats(r.first);
      const h = stats(r.hover);
      const hh = stats(r.handler);
      return `${name.padEnd(26)} ${f.median.toFixed(1).padStart(9)} ${f.min.toFixed(1).padStart(8)} ${h.median.toFixed(2).padStart(10)} ${h.p95.toFixed(2).padStart(8)} ${hh.median.toFixed(3).padStart(10)}`;
    };
    const version = browser.version();
    console.log(`heatmap bench: ${N} × ${N} tokens (causal, ${(N * (N + 1)) / 2} cells drawn), Chromium ${version} headless, ${DRAWS} draws / ${HOVERS} hovers`);
    console.log(`${"renderer".padEnd(26)} ${"first ms".padStart(9)} ${"min ms".padStart(8)} ${"hover ms".padStart(10)} ${"p95 ms".padStart(8)} ${"handler ms".padStart(10)}`);
    console.log(row(`attnlab canvas (${canvas.canvas} canvas)`, canvas));
    console.log(row(`peer: SVG rects (${svg.cells})`, svg));
    const fr = stats(svg.first).median / stats(canvas.first).median;
    const hr = stats(svg.hover).median / stats(canvas.hover).median;
    console.log(`ratio peer/attnlab: first draw ${fr.toFixed(1)}×, hover redraw ${hr.toFixed(1)}×`);
  } finally {
    await browser.close();
  }
}

// ---- Part 1: long context in JupyterLab ----

const LAB_CELLS = (n: number) => [
  // Seeded causal softmax rows for LAB_HEADS heads (a rng of our own: the bench needs no attnlab API but the figure).
  `import { HeatmapFigure } from "attnlab";
function seeded(seed: number) { let a = seed >>> 0; return () => { a = (a + 0x6d2b79f5) >>> 0; let t = a; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }; }
const N = ${n}, H = ${LAB_HEADS};
const r = seeded(7);
const data = new Float32Array(H * N * N);
for (let h = 0; h < H; h++) for (let i = 0; i < N; i++) {
  const o = (h * N + i) * N;
  let s = 0;
  for (let j = 0; j <= i; j++) { const w = Math.exp(4 * r()) * (j === i - 1 - h ? 50 : 1); data[o + j] = w; s += w; }
  for (let j = 0; j <= i; j++) data[o + j] /= s;
}
const pattern = { data: data, shape: [1, H, N, N] };
const tokens = Array.from({ length: N }, (_, i) => " w" + i);
// The kernel loads its static renderer (jsdom, the views) with its first figure: once per session, not timed.
new HeatmapFigure({ data: new Float32Array([1, 0, 0.5, 0.5]), shape: [2, 2] }, ["a", "b"]).toSVG();
console.log("pattern ready");`,
  `const t0 = Date.now();
const hm = new HeatmapFigure(pattern, tokens, { title: "bench" });
hm.display();
console.log("kernel ms " + (Date.now() - t0) + " start " + t0 + " end " + Date.now());`,
];

type LabWindow = { jupyterapp: { shell: { currentWidget: { content: { activeCellIndex: number } } }; commands: { execute(id: string): Promise<unknown> } } };

async function runCell(page: Page, index: number): Promise<void> {
  await page.evaluate((i) => {
    const w = window as unknown as LabWindow;
    w.jupyterapp.shell.currentWidget.content.activeCellIndex = i;
    void w.jupyterapp.commands.execute("notebook:run-cell");
  }, index);
}

async function inLab(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-bench-heatmap-"));
  // The display cell repeated LAB_FIRST times: each is one first draw.
  const cells = LAB_CELLS(LAB_N);
  const all = [cells[0], ...Array.from({ length: LAB_FIRST }, () => cells[1])];
  fs.writeFileSync(path.join(dir, "bench.ipynb"), notebook(all));
  let lab: Lab | undefined;
  let browser: Awaited<ReturnType<typeof openNotebook>>["browser"] | undefined;
  try {
    lab = await startLab(dir);
    const opened = await openNotebook(lab, "bench.ipynb");
    browser = opened.browser;
    const page = opened.page;
    await page.waitForFunction(() => (window as unknown as { jupyterapp?: { shell?: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } } } }).jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === "idle", undefined, { timeout: 120_000 });
    await runCell(page, 0);
    await page.waitForFunction(() => document.body.innerText.includes("pattern ready"), undefined, { timeout: 300_000, polling: 500 });
    const first: number[] = [];
    const kernelMs: number[] = [];
    const beforeCell: number[] = [];
    const afterCell: number[] = [];
    const cdp = LAB_PROFILE ? await page.context().newCDPSession(page) : null;
    for (let k = 0; k < LAB_FIRST; k++) {
      const profiling = cdp && k === LAB_FIRST - 1;
      if (profiling) {
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
        await cdp.send("Profiler.start");
      }
      const ms = await page.evaluate(async (i) => {
        const w = window as unknown as LabWindow;
        const cell = () => document.querySelectorAll(".jp-Notebook .jp-Cell")[i];
        const t0 = performance.now();
        const wall = Date.now();
        w.jupyterapp.shell.currentWidget.content.activeCellIndex = i;
        void w.jupyterapp.commands.execute("notebook:run-cell");
        for (;;) {
          await new Promise<void>((res) => requestAnimationFrame(() => setTimeout(res, 0)));
          const c = cell()?.querySelector(".attnlab-widget-heatmap canvas.cells-canvas");
          if (c && (c as HTMLCanvasElement).width > 0) break;
          if (performance.now() - t0 > 120_000) throw new Error("the heatmap did not draw within 120 s");
        }
        return { ms: performance.now() - t0, wall, painted: Date.now() };
      }, k + 1);
      first.push(ms.ms);
      if (profiling) {
        const { profile } = await cdp.send("Profiler.stop");
        fs.mkdirSync(LAB_PROFILE!, { recursive: true });
        const file = path.join(LAB_PROFILE!, `first-draw-${Date.now()}.cpuprofile`);
        fs.writeFileSync(file, JSON.stringify(profile));
        console.log(`page profile of the last first draw: ${file}`);
      }
      await page.waitForFunction((i) => /kernel ms \d+/.test((document.querySelectorAll(".jp-Notebook .jp-Cell")[i] as HTMLElement)?.innerText ?? ""), k + 1, { timeout: 60_000 });
      const printed = /kernel ms (\d+) start (\d+) end (\d+)/.exec(await page.evaluate((i) => (document.querySelectorAll(".jp-Notebook .jp-Cell")[i] as HTMLElement).innerText, k + 1))!;
      kernelMs.push(Number(printed[1]));
      // Same machine clock on both sides: before the cell's first line (queue, tslab's compile) and after its last (transfer, draw).
      beforeCell.push(Number(printed[2]) - ms.wall);
      afterCell.push(ms.painted - Number(printed[3]));
    }
    // The last figure: head switches (one head fetched each), hovers and zooms.
    const r = await page.evaluate(
      async ({ i, heads, switches, hovers }) => {
        const view = document.querySelectorAll(".jp-Notebook .jp-Cell")[i].querySelector(".attnlab-widget-heatmap") as HTMLElement;
        view.scrollIntoView();
        const frame = () => new Promise<void>((res) => requestAnimationFrame(() => setTimeout(res, 0)));
        const title = () => view.querySelector(".attnlab-title")!.textContent ?? "";
        const status = () => view.querySelector(".attnlab-status")!.textContent ?? "";
        const sel = view.querySelector('select[aria-label="Head"]') as HTMLSelectElement;
        const switchMs: number[] = [];
        for (let k = 0; k < switches; k++) {
          const head = (k % (heads - 1)) + 1 === Number(sel.value) ? 0 : (k % (heads - 1)) + 1;
          const t0 = performance.now();
          sel.value = String(head);
          sel.dispatchEvent(new Event("change", { bubbles: true }));
          for (;;) {
            await frame();
            if (title().endsWith(`head ${head}`) && status() === "") break;
            if (status().startsWith("could not")) throw new Error(status());
            if (performance.now() - t0 > 60_000) throw new Error("head switch did not finish within 60 s");
          }
          switchMs.push(performance.now() - t0);
        }
        const hit = view.querySelector("rect.hit")!;
        const box = hit.getBoundingClientRect();
        const hover: number[] = [];
        for (let k = 0; k < hovers; k++) {
          const x = box.left + (((k * 7919) % 1000) / 1000) * box.width;
          const y = box.top + (((k * 104729) % 1000) / 1000) * box.height;
          const t0 = performance.now();
          hit.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: x, clientY: y }));
          await frame();
          hover.push(performance.now() - t0);
        }
        const tip = view.querySelector(".attnlab-tooltip")!.textContent ?? "";
        const zoom: number[] = [];
        const exact: number[] = [];
        const zin = view.querySelector('button[aria-label="zoom in"]') as HTMLButtonElement;
        for (let k = 0; k < 8; k++) {
          const t0 = performance.now();
          zin.click();
          await frame();
          zoom.push(performance.now() - t0);
          // The exact tile of the new window from the kernel (a long context's weights stay there).
          for (;;) {
            if (status() === "") break;
            if (status().startsWith("could not")) throw new Error(status());
            if (performance.now() - t0 > 60_000) throw new Error("the zoomed tile did not come within 60 s");
            await frame();
          }
          exact.push(performance.now() - t0);
        }
        const labels = Array.from(view.querySelectorAll(".row-label")).map((t) => t.textContent);
        const info = view.querySelector(".attnlab-zoom-info")!.textContent ?? "";
        const zoomedHover: number[] = [];
        for (let k = 0; k < 20; k++) {
          const t0 = performance.now();
          hit.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, clientX: box.left + ((k * 37) % 100) / 100 * box.width, clientY: box.top + ((k * 61) % 100) / 100 * box.height }));
          await frame();
          zoomedHover.push(performance.now() - t0);
        }
        return { switchMs, hover, tip, zoom, exact, labels, info, zoomedHover };
      },
      { i: LAB_FIRST, heads: LAB_HEADS, switches: LAB_SWITCHES, hovers: HOVERS },
    );
    if (!r.tip.includes("query")) throw new Error("hover did not update the tooltip");
    const f = stats(first);
    const sw = stats(r.switchMs);
    const h = stats(r.hover);
    const z = stats(r.zoom);
    const zh = stats(r.zoomedHover);
    const mb = (LAB_N * LAB_N * 4) / 2 ** 20;
    console.log(`heatmap bench, part 1: ${LAB_N} tokens, ${LAB_HEADS} heads held by the kernel (${mb.toFixed(0)} MB float32 each); the view gets each head's 560 × 560 overview (1.2 MB) and the exact tiles of zoomed windows; JupyterLab + attnlab kernel + Chromium ${browser.version()} headless`);
    console.log(`${"step".padEnd(46)} ${"median ms".padStart(10)} ${"min".padStart(8)} ${"p95".padStart(8)}  target`);
    const line = (name: string, s: Stats, target: string) =>
      console.log(`${name.padEnd(46)} ${s.median.toFixed(1).padStart(10)} ${s.min.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)}  ${target}`);
    line(`first draw: run cell → painted (n=${first.length})`, f, `< 1000 ms: ${f.median < 1000 ? "met" : "NOT met"} (${(f.median / 1000).toFixed(2)}× the target)`);
    line(`  run → the cell's first line (queue, compile)`, stats(beforeCell), "");
    line(`  the cell: figure + overview + static SVG`, stats(kernelMs), "");
    line(`  the cell's end → painted (transfer, draw)`, stats(afterCell), "");
    line(`head switch: fetch one head → painted (n=${r.switchMs.length})`, sw, `< 1000 ms: ${sw.median < 1000 ? "met" : "NOT met"} (${(sw.median / 1000).toFixed(2)}× the target)`);
    line(`hover → next frame, whole view (n=${r.hover.length})`, h, `< 50 ms: ${h.median < 50 ? "met" : "NOT met"} (${(h.median / 50).toFixed(2)}× the target)`);
    line(`zoom in (×2) → next frame, stand-in (n=${r.zoom.length})`, z, "");
    line(`zoom in (×2) → exact tile painted (n=${r.exact.length})`, stats(r.exact), "");
    line(`hover → next frame, zoomed in (n=${r.zoomedHover.length})`, zh, `< 50 ms: ${zh.median < 50 ? "met" : "NOT met"}`);
    console.log(`zoomed in: ${r.info}; row labels ${r.labels.length} (${r.labels[0]} … ${r.labels[r.labels.length - 1]})`);
  } finally {
    await browser?.close();
    await lab?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (!args.includes("--page")) await inLab();
  if (!args.includes("--lab")) await inPage();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
