/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/heatmap";
import { TOKENS, causalPatterns, change, mouse, svgOf } from "./fixtures";

describe("attention heatmap", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws one cell per unmasked (query, key), labels, axis titles and a legend (snapshot)", () => {
    const pattern = causalPatterns(2, 3, TOKENS.length);
    const cleanup = render(el, { pattern, tokens: TOKENS, layer: 1, head: 2 });
    const n = TOKENS.length;
    // Causal pattern: the upper triangle is masked by default.
    expect(el.querySelectorAll("rect.cell").length).toBe((n * (n + 1)) / 2);
    expect(el.querySelectorAll(".row-label").length).toBe(n);
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Attention pattern: layer 1, head 2");
    const labels = Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent);
    expect(labels).toEqual(["Query token (attending from)", "Key token (attended to)"]);
    expect(el.querySelector(".legend")).not.toBeNull();
    expect(svgOf(el)).toMatchSnapshot();
    cleanup();
    expect(el.children.length).toBe(0);
  });

  it("hover shows the weight and both tokens in the tooltip", () => {
    const pattern = causalPatterns(1, 1, TOKENS.length);
    render(el, { pattern, tokens: TOKENS }, { size: 160 });
    const cell = 20; // 160 / 8 tokens
    const hit = el.querySelector("rect.hit")!;
    const tip = el.querySelector(".attnlab-tooltip") as HTMLDivElement;
    expect(tip.style.display).toBe("none");
    mouse(hit, "mousemove", 2 * cell + 3, 5 * cell + 3); // query 5, key 2
    const w = pattern.data[5 * 8 + 2];
    expect(tip.style.display).toBe("block");
    expect(tip.textContent).toContain("query 5: ␣the");
    expect(tip.textContent).toContain("key 2: ␣cat");
    expect(tip.textContent).toContain(`weight ${w.toFixed(3)}`);
    mouse(hit, "mousemove", 0 + 3, 7 * cell + 3);
    expect(tip.textContent).toContain("query 7: .");
    expect(tip.textContent).toContain(`weight ${pattern.data[7 * 8].toFixed(3)}`);
    mouse(hit, "mouseleave");
    expect(tip.style.display).toBe("none");
  });

  it("clicking a token label highlights its row and column; clicking again clears", () => {
    render(el, { pattern: causalPatterns(1, 1, 8), tokens: TOKENS }, { size: 160 });
    const label = el.querySelector('.row-label[data-index="3"]')!;
    mouse(label, "click");
    const row = el.querySelector("rect.highlight-row")!;
    const col = el.querySelector("rect.highlight-col")!;
    expect(row.getAttribute("display")).toBeNull();
    expect(row.getAttribute("y")).toBe("60");
    expect(col.getAttribute("x")).toBe("60");
    expect(el.querySelector('.row-label[data-index="3"]')!.classList.contains("active")).toBe(true);
    expect(el.querySelector('.col-label[data-index="3"]')!.classList.contains("active")).toBe(true);
    mouse(el.querySelector('.row-label[data-index="3"]')!, "click");
    expect(el.querySelector("rect.highlight-row")!.getAttribute("display")).toBe("none");
  });

  it("layer/head selectors re-render with that head's weights", () => {
    const pattern = causalPatterns(2, 2, 8, 7);
    const seen: [number, number][] = [];
    render(el, { pattern, tokens: TOKENS }, { onSelect: (l, h) => seen.push([l, h]) });
    const fills = () => Array.from(el.querySelectorAll("rect.cell")).map((r) => r.getAttribute("fill"));
    const before = fills();
    const [layerSel, headSel] = Array.from(el.querySelectorAll("select"));
    change(layerSel, "1");
    change(headSel, "1");
    expect(seen).toEqual([[1, 0], [1, 1]]);
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Attention pattern: layer 1, head 1");
    expect(fills()).not.toEqual(before);
    const hit = el.querySelector("rect.hit")!;
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(hit, "mousemove", 1.5 * cell, 6.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${pattern.data[3 * 64 + 6 * 8 + 1].toFixed(3)}`);
  });

  it("mask toggle and row normalisation change the drawn cells", () => {
    render(el, { pattern: causalPatterns(1, 1, 8), tokens: TOKENS });
    const mask = el.querySelector('input[type="checkbox"]') as HTMLInputElement;
    expect(mask.checked).toBe(true);
    change(mask, false);
    expect(el.querySelectorAll("rect.cell").length).toBe(64);
    const norm = el.querySelector('select[aria-label="Colour"]') as HTMLSelectElement;
    change(norm, "row");
    // Every row's maximum maps to the top of the scale.
    const top = el.querySelectorAll("rect.cell");
    const yellow = Array.from(top).filter((r) => r.getAttribute("fill") === "#fde725").length;
    expect(yellow).toBeGreaterThanOrEqual(8);
    expect(el.querySelector(".legend-title")!.textContent).toBe("weight ÷ row max");
  });

  it("asks for a head it does not hold and draws the reply", async () => {
    const one = causalPatterns(1, 1, 8, 3);
    const other = causalPatterns(1, 1, 8, 4);
    const asked: string[] = [];
    render(
      el,
      { pattern: { data: one.data, shape: [8, 8] }, tokens: TOKENS, nLayers: 4, nHeads: 4 },
      { requestHead: async (l, h) => (asked.push(`${l}.${h}`), { data: other.data, shape: [8, 8] }) },
    );
    change(el.querySelector('select[aria-label="Layer"]') as HTMLSelectElement, "3");
    expect(el.querySelector(".attnlab-status")!.textContent).toContain("loading layer 3");
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual(["3.0"]);
    expect(el.querySelector(".attnlab-status")!.textContent).toBe("");
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 0.5 * cell, 4.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${other.data[4 * 8].toFixed(3)}`);
  });

  it("puts 1,024 tokens on a canvas, not a million rects", () => {
    const n = 1024;
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) data[i * n + Math.max(0, i - 1)] = 1;
    const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
    render(el, { pattern: { data, shape: [n, n] }, tokens });
    expect(el.querySelectorAll("rect.cell").length).toBe(0);
    const canvas = el.querySelector("canvas.cells-canvas") as HTMLCanvasElement;
    expect(canvas.width).toBe(n);
    expect(el.querySelectorAll(".row-label").length).toBeLessThanOrEqual(103);
    mouse(el.querySelector("rect.hit")!, "mousemove", 99.5, 100.5);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("query 100: t100\nkey 99: t99\nweight 1.000");
  });

  it("rejects bad input with a message naming the argument", () => {
    expect(() => render(el, { pattern: { data: new Float32Array(5), shape: [2, 2] }, tokens: ["a", "b"] })).toThrow(
      /pattern: shape \[2, 2\] needs 4 values/,
    );
    expect(() => render(el, { pattern: { data: new Float32Array(4), shape: [2, 2] }, tokens: ["a"] })).toThrow(/tokens: expected 2 token strings/);
  });
});
