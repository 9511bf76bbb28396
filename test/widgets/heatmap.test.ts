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

  it("puts 1,024 tokens on a canvas, not a million rects, seen whole at the plot's size", () => {
    const n = 1024;
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) data[i * n + Math.max(0, i - 1)] = 1;
    const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
    render(el, { pattern: { data, shape: [n, n] }, tokens });
    expect(el.querySelectorAll("rect.cell").length).toBe(0);
    const canvas = el.querySelector("canvas.cells-canvas") as HTMLCanvasElement;
    // More tokens than pixels: one pixel per block of tokens (its largest weight), 560 px wide.
    expect(canvas.width).toBe(560);
    expect(el.querySelector("rect.hit")!.getAttribute("width")).toBe("560");
    expect(el.querySelectorAll(".row-label").length).toBeLessThanOrEqual(Math.ceil(n / 26));
    // Pixel (54, 55) lies in the cell of query 100 (55 / (560 / 1024) = 100.6), key 98.
    mouse(el.querySelector("rect.hit")!, "mousemove", 54, 55);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("query 100: t100\nkey 98: t98\nweight 0.000");
    mouse(el.querySelector("rect.hit")!, "mousemove", 58, 59); // 106.05, 107.9
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("query 107: t107\nkey 106: t106\nweight 1.000");
    expect(el.querySelector(".attnlab-zoom-info")!.textContent).toMatch(/queries 0–1023, keys 0–1023 of 1024 \(a pixel shows the largest of 2 × 2 weights/);
  });

  it("zoom and pan on a long context: buttons, wheel and drag move a window until every token has its label", () => {
    const n = 2048;
    const data = new Float32Array(n * n);
    for (let i = 0; i < n; i++) data[i * n + Math.max(0, i - 1)] = 1;
    const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
    const states: unknown[] = [];
    render(el, { pattern: { data, shape: [n, n] }, tokens }, { onState: (s) => states.push(s.zoom) });
    const info = () => el.querySelector(".attnlab-zoom-info")!.textContent;
    const zoomIn = el.querySelector('button[aria-label="zoom in"]') as HTMLButtonElement;
    for (let k = 0; k < 8; k++) zoomIn.click();
    // Capped at 32 px cells: 560 / 32 -> 18 tokens on each axis, centred.
    expect(info()).toBe("queries 1015–1032, keys 1015–1032 of 2048 (drag to pan)");
    const rows = Array.from(el.querySelectorAll(".row-label")).map((t) => t.textContent);
    expect(rows).toEqual(Array.from({ length: 18 }, (_, k) => `·t${1015 + k}`)); // word pieces of one long "word"
    expect(states[states.length - 1]).toEqual({ r0: 1015, c0: 1015, nr: 18, nc: 18 });
    // The tooltip names the token under the pointer inside the window.
    const hit = el.querySelector("rect.hit")!;
    const cell = 560 / 18;
    mouse(hit, "mousemove", 2.5 * cell, 3.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("query 1018: t1018\nkey 1017: t1017\nweight 1.000");
    // Drag 5 cells right and 2 down: the window moves 5 tokens left and 2 up; no click highlight.
    const to = { clientX: 100 + Math.round(5 * cell), clientY: 100 + Math.round(2 * cell) };
    hit.dispatchEvent(new MouseEvent("mousedown", { bubbles: true, button: 0, clientX: 100, clientY: 100 }));
    hit.dispatchEvent(new MouseEvent("mousemove", { bubbles: true, buttons: 1, ...to }));
    hit.dispatchEvent(new MouseEvent("mouseup", { bubbles: true, button: 0, ...to }));
    mouse(hit, "click", to.clientX, to.clientY);
    expect(info()).toBe("queries 1013–1030, keys 1010–1027 of 2048 (drag to pan)");
    expect(el.querySelector("rect.highlight-row")!.getAttribute("display")).toBe("none");
    // A click (no drag) highlights the token's row, drawn inside the window.
    mouse(hit, "click", 0.5 * cell, 1.5 * cell);
    expect(el.querySelector("rect.highlight-row")!.getAttribute("y")).toBe(String(1 * cell));
    // Wheel out at the top-left corner keeps that corner's token in place.
    hit.dispatchEvent(new WheelEvent("wheel", { bubbles: true, cancelable: true, deltaY: 100, clientX: 0, clientY: 0 }));
    expect(info()).toMatch(/^queries 1013–1035, keys 1010–1032 of 2048/);
    (el.querySelector('button[aria-label="show every token (reset zoom)"]') as HTMLButtonElement).click();
    expect(info()).toMatch(/^queries 0–2047, keys 0–2047 of 2048 \(a pixel shows the largest of 4 × 4 weights/);
    expect(states[states.length - 1]).toBeNull();
  });

  it("a zoomed window kept in the view state is drawn again; small inputs have no zoom", () => {
    const n = 600;
    const data = new Float32Array(n * n).fill(1 / n);
    const tokens = Array.from({ length: n }, (_, i) => `t${i}`);
    render(el, { pattern: { data, shape: [n, n] }, tokens }, { state: { zoom: { r0: 10, c0: 20, nr: 40, nc: 40 } } });
    expect(el.querySelector(".attnlab-zoom-info")!.textContent).toBe("queries 10–49, keys 20–59 of 600 (drag to pan)");
    el.textContent = "";
    render(el, { pattern: causalPatterns(1, 1, 8), tokens: TOKENS });
    expect(el.querySelector(".attnlab-zoom")).toBeNull();
  });

  it("rejects bad input with a message naming the argument", () => {
    expect(() => render(el, { pattern: { data: new Float32Array(5), shape: [2, 2] }, tokens: ["a", "b"] })).toThrow(
      /pattern: shape \[2, 2\] needs 4 values/,
    );
    expect(() => render(el, { pattern: { data: new Float32Array(4), shape: [2, 2] }, tokens: ["a"] })).toThrow(/tokens: expected 2 token strings/);
  });
});
