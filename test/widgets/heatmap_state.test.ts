/** @jest-environment jsdom */
/// <reference lib="dom" />
// New data from the kernel must not undo what the user did in a heatmap: the live view
// (widgets/src/models.ts) redraws through ViewHost, run here with the real renderer.
import { render } from "../../widgets/src/views/heatmap";
import { ViewHost, type Renderer } from "../../widgets/src/views/host";
import type { Tensor } from "../../widgets/src/views/common";
import { TOKENS, causalPatterns, change, mouse } from "./fixtures";

const N = TOKENS.length;

function controls(el: HTMLElement) {
  const selects = Array.from(el.querySelectorAll("select"));
  const colour = selects.find((s) => s.getAttribute("aria-label") === "Colour")!;
  const layer = selects.find((s) => s.getAttribute("aria-label") === "Layer");
  const head = selects.find((s) => s.getAttribute("aria-label") === "Head");
  const mask = el.querySelector('input[type="checkbox"]') as HTMLInputElement;
  return { colour, layer, head, mask };
}

const title = (el: HTMLElement) => el.querySelector(".attnlab-title")!.textContent;
const highlighted = (el: HTMLElement) => {
  const row = el.querySelector("rect.highlight-row")!;
  return row.getAttribute("display") === "none" ? null : Array.from(el.querySelectorAll(".row-label.active")).map((t) => t.getAttribute("data-index"));
};
const fills = (el: HTMLElement) => Array.from(el.querySelectorAll("rect.cell")).map((r) => r.getAttribute("fill"));

describe("heatmap state across kernel updates", () => {
  let el: HTMLDivElement;
  let host: ViewHost;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
    host = new ViewHost(el, "heatmap", render as Renderer);
  });
  afterEach(() => {
    host.dispose();
    el.remove();
  });

  it("a bare re-render resets everything (what the live view did before)", () => {
    const data = { pattern: causalPatterns(2, 2, N, 1), tokens: TOKENS };
    const cleanup = render(el, data);
    change(controls(el).mask, false);
    cleanup();
    render(el, data);
    expect(controls(el).mask.checked).toBe(true);
  });

  it("mask, colour mode, highlight and the picked head survive new data", () => {
    const seen: number[][] = [];
    host.draw({ pattern: causalPatterns(2, 2, N, 1), tokens: TOKENS }, {}, { onSelect: (l: number, h: number) => seen.push([l, h]) });
    let c = controls(el);
    expect(c.mask.checked).toBe(true); // causal: masked by default
    change(c.mask, false);
    change(c.colour, "row");
    change(c.layer!, "1");
    change(c.head!, "1");
    mouse(el.querySelector('.row-label[data-index="5"]')!, "click");
    expect(seen).toEqual([[1, 0], [1, 1]]);
    expect(host.viewState).toEqual({ layer: 1, head: 1, maskUpper: false, normalise: "row", highlight: { row: 5, col: 5 }, from: {} });

    // The kernel pushes a new pattern (same layer/head fields): nothing the user set is lost.
    const next = causalPatterns(2, 2, N, 9);
    host.draw({ pattern: next, tokens: TOKENS }, {}, { onSelect: (l: number, h: number) => seen.push([l, h]) });
    c = controls(el);
    expect(c.mask.checked).toBe(false);
    expect(c.colour.value).toBe("row");
    expect([c.layer!.value, c.head!.value]).toEqual(["1", "1"]);
    expect(title(el)).toBe("Attention pattern: layer 1, head 1");
    expect(highlighted(el)).toEqual(["5"]);
    expect(el.querySelector('.col-label[data-index="5"]')!.classList.contains("active")).toBe(true);
    // Unmasked: every cell drawn, coloured from the new head (1, 1) row-normalised.
    expect(el.querySelectorAll("rect.cell").length).toBe(N * N);
    const hit = el.querySelector("rect.hit")!;
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(hit, "mousemove", 2.5 * cell, 6.5 * cell);
    const off = (1 * 2 + 1) * N * N + 6 * N;
    const rowMax = Math.max(...Array.from(next.data.subarray(off, off + N)));
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${next.data[off + 2].toFixed(3)}`);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`÷ row max ${(next.data[off + 2] / rowMax).toFixed(3)}`);
    expect(seen).toHaveLength(2); // restoring the head is not a new pick
  });

  it("a head the kernel asks for (HeatmapFigure.show) wins over the user's, the rest stays", () => {
    const pattern = causalPatterns(2, 2, N, 1);
    host.draw({ pattern, tokens: TOKENS, layer: 0, head: 0 }, {});
    change(controls(el).head!, "1");
    change(controls(el).colour, "row");
    mouse(el.querySelector('.col-label[data-index="2"]')!, "click");
    host.draw({ pattern, tokens: TOKENS, layer: 1, head: 0 }, {});
    expect(title(el)).toBe("Attention pattern: layer 1, head 0");
    expect(controls(el).colour.value).toBe("row");
    expect(highlighted(el)).toEqual(["2"]);
  });

  it("options the kernel sets explicitly replace the user's choice; a highlight past the new tokens is dropped", () => {
    host.draw({ pattern: causalPatterns(1, 1, N, 1), tokens: TOKENS }, {});
    change(controls(el).mask, false);
    change(controls(el).colour, "row");
    mouse(el.querySelector('.row-label[data-index="7"]')!, "click");
    host.optionsChanged({ normalise: "raw" });
    host.draw({ pattern: causalPatterns(1, 1, N, 1), tokens: TOKENS }, { normalise: "raw" });
    expect(controls(el).colour.value).toBe("raw");
    expect(controls(el).mask.checked).toBe(false);
    expect(highlighted(el)).toEqual(["7"]);
    host.draw({ pattern: causalPatterns(1, 1, 4, 2), tokens: TOKENS.slice(0, 4) }, { normalise: "raw" });
    expect(highlighted(el)).toBeNull();
    expect(controls(el).mask.checked).toBe(false);
  });

  it("one-head data held by the kernel: the user's head is fetched again after new data", async () => {
    const full = causalPatterns(2, 3, N, 4);
    const headOf = (l: number, h: number): Tensor => ({ data: full.data.slice((l * 3 + h) * N * N, (l * 3 + h + 1) * N * N), shape: [N, N] });
    const asked: number[][] = [];
    const requestHead = (l: number, h: number) => {
      asked.push([l, h]);
      return Promise.resolve(headOf(l, h));
    };
    const data = () => ({ pattern: headOf(0, 0), tokens: TOKENS, layer: 0, head: 0, nLayers: 2, nHeads: 3 });
    host.draw(data(), {}, { requestHead });
    change(controls(el).layer!, "1");
    change(controls(el).head!, "2");
    await Promise.resolve();
    expect(asked).toEqual([[1, 0], [1, 2]]);
    host.draw(data(), {}, { requestHead });
    expect([controls(el).layer!.value, controls(el).head!.value]).toEqual(["1", "2"]);
    expect(asked).toEqual([[1, 0], [1, 2], [1, 2]]);
    await new Promise((r) => setTimeout(r, 0));
    expect(title(el)).toBe("Attention pattern: layer 1, head 2");
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 0.5 * cell, 3.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${headOf(1, 2).data[3 * N].toFixed(3)}`);
  });

  it("a new head or colour mode repaints in the same SVG: the presentation size stays", () => {
    host.draw({ pattern: causalPatterns(2, 2, N, 1), tokens: TOKENS }, { presentation: true });
    const svg = el.querySelector("svg")!;
    const size = [svg.getAttribute("width"), svg.getAttribute("height"), svg.getAttribute("viewBox")];
    expect(size[2]).not.toBeNull();
    change(controls(el).head!, "1");
    change(controls(el).colour, "row");
    expect(el.querySelector("svg")).toBe(svg);
    expect([svg.getAttribute("width"), svg.getAttribute("height"), svg.getAttribute("viewBox")]).toEqual(size);
    expect(title(el)).toBe("Attention pattern: layer 0, head 1");
    expect(el.querySelectorAll(".legend").length).toBe(1);
  });

  it("renderer errors show in place; null data draws nothing", () => {
    host.draw({ pattern: causalPatterns(1, 1, 4), tokens: ["a"] }, {});
    expect(el.querySelector("pre.attnlab-error")!.textContent).toMatch(/^attnlab heatmap view: tokens: expected 4/);
    host.draw(null, {});
    expect(el.children.length).toBe(0);
  });
});
