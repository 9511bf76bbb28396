/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/thumbnails";
import { TOKENS, causalPatterns, mouse, svgOf } from "./fixtures";

describe("head thumbnails", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws a thumbnail per head with axis titles (snapshot)", () => {
    render(el, { pattern: causalPatterns(2, 3, 4), tokens: TOKENS.slice(0, 4) }, { thumb: 30, preview: 80 });
    expect(el.querySelectorAll("g.thumb").length).toBe(6);
    expect(el.querySelectorAll("g.thumb rect.cell").length).toBe(6 * 10);
    expect(Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent)).toEqual(["Head", "Layer"]);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("hover previews that head; click opens it", () => {
    const pattern = causalPatterns(2, 3, 4, 9);
    const opened: string[] = [];
    render(el, { pattern, tokens: TOKENS.slice(0, 4) }, { thumb: 30, preview: 80, onOpen: (l, h) => opened.push(`${l}.${h}`) });
    const hit = el.querySelector("rect.hit")!;
    expect(el.querySelectorAll(".preview rect.cell").length).toBe(0);
    mouse(hit, "mousemove", 2 * 36 + 5, 1 * 36 + 5); // layer 1, head 2
    expect(el.querySelector(".preview-title")!.textContent).toBe("Layer 1, head 2 (query ↓, key →)");
    const fills = Array.from(el.querySelectorAll(".preview rect.cell")).map((r) => r.getAttribute("fill"));
    expect(fills.length).toBe(10);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("layer 1, head 2");
    mouse(hit, "mousemove", 5, 5);
    const fills2 = Array.from(el.querySelectorAll(".preview rect.cell")).map((r) => r.getAttribute("fill"));
    expect(fills2).not.toEqual(fills);
    mouse(hit, "click", 36 + 5, 36 + 5);
    expect(opened).toEqual(["1.1"]);
    expect(el.querySelector('.thumb[data-layer="1"][data-head="1"] .thumb-frame')!.classList.contains("selected")).toBe(true);
    // Opening draws that head's full heatmap under the grid.
    expect(el.querySelector(".attnlab-opened .attnlab-title")!.textContent).toBe("Attention pattern: layer 1, head 1");
    expect(el.querySelectorAll(".attnlab-opened rect.cell").length).toBe(10);
    mouse(hit, "click", 30 + 3, 5); // in the gap between thumbnails: nothing
    expect(opened).toEqual(["1.1"]);
  });

  it("needs a [layer, head, query, key] pattern", () => {
    expect(() => render(el, { pattern: { data: new Float32Array(4), shape: [2, 2] } })).toThrow(/pattern: expected a tensor of rank 4/);
  });
});
