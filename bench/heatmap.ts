/**
 * Heatmap bench: time to first draw and to redraw on hover for a 1,024-token attention
 * heatmap in headless Chromium, for attnlab's canvas path against its peer, the usual d3
 * heatmap with one SVG <rect> per cell (the same renderer with canvasThreshold = ∞),
 * measured in the same run.
 *
 *   bash bench/heatmap.sh            (N=1024 tokens; HEATMAP_N to change)
 *
 * First draw = render() call until the next animation frame has been produced (layout and
 * paint included). Hover = a mousemove dispatched on the plot until the next frame.
 */
import * as fs from "fs";
import * as path from "path";
import { chromium } from "playwright-core";

// The project root, from the source (bench/) or from a compiled copy (.cache/bench/bench/).
const ROOT = (() => {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) if (fs.existsSync(path.join(d, "widgets", "package.json"))) return d;
  throw new Error("bench/heatmap: cannot find the project root above " + __dirname);
})();
const N = Number(process.env.HEATMAP_N ?? 1024);
const DRAWS = Number(process.env.HEATMAP_DRAWS ?? 5);
const HOVERS = Number(process.env.HEATMAP_HOVERS ?? 60);
const CHROMIUM = process.env.ATTNLAB_CHROMIUM ?? "/usr/bin/chromium";

/** The compiled renderer modules, wrapped in a tiny CommonJS loader for the page. */
function pageScript(): string {
  const lib = path.join(ROOT, "widgets", "lib", "views");
  const mod = (name: string) => {
    const file = path.join(lib, `${name}.js`);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: build the widgets first (bash bench/heatmap.sh does)`);
    return `"./${name}": function (module, exports, require) {\n${fs.readFileSync(file, "utf8")}\n}`;
  };
  return `
(function () {
  var defs = { ${mod("common")}, ${mod("heatmap")} };
  var cache = { d3: window.d3 };
  function req(name) {
    if (cache[name]) return cache[name];
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

async function main(): Promise<void> {
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

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
