/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/patching";
import { MIN_TEXT, textWidth } from "../../widgets/src/views/common";
import { TOKENS, mouse, randomMatrix, svgOf } from "./fixtures";

describe("patching map", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("(layer, position) map on a diverging scale centred at 0 (snapshot)", () => {
    const values = randomMatrix(3, 8, 41, -1, 1);
    render(el, { values, kind: "position", tokens: TOKENS, metric: "logit diff recovered", activation: "resid_pre" });
    expect(el.querySelectorAll("rect.cell").length).toBe(24);
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Activation patching of resid_pre by layer and position");
    expect(Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent)).toEqual(["Layer", "Position (token)"]);
    expect(el.querySelector(".legend-title")!.textContent).toBe("logit diff recovered");
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("(layer, head) map: hover shows the value, click reports the head", () => {
    const values = randomMatrix(2, 4, 42, -0.5, 0.5);
    const got: string[] = [];
    render(el, { values, kind: "head", metric: "metric" }, { onSelect: (l, h) => got.push(`${l}.${h}`) });
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 1.5 * cell, 1.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toBe(`layer 1, head 1\nmetric ${values.data[5].toFixed(3)}`);
    mouse(el.querySelector("rect.hit")!, "click", 3.5 * cell, 0.5 * cell);
    expect(got).toEqual(["0.3"]);
  });

  it("attribution patching beside exact patching: two maps on one colour scale, captions, hover gives both (snapshot)", () => {
    const values = randomMatrix(3, 8, 43, -1, 1);
    const exact = randomMatrix(3, 8, 44, -2, 2);
    render(el, { values, exact, kind: "position", tokens: TOKENS, metric: "normalised logit diff", activation: "resid_pre", note: "r = 0.5" });
    expect(el.querySelectorAll("rect.cell").length).toBe(48);
    expect(Array.from(el.querySelectorAll(".panel-caption")).map((t) => t.textContent)).toEqual(["attribution patching (estimate)", "activation patching (exact)"]);
    // One scale for both: the legend spans the larger map's range.
    const ticks = Array.from(el.querySelectorAll(".legend .tick text")).map((t) => Number(t.textContent!.replace("−", "-")));
    expect(Math.max(...ticks.map(Math.abs))).toBeGreaterThanOrEqual(1);
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector(".panel-exact rect.hit")!, "mousemove", 0.5 * cell, 1.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toBe(
      `layer 1, position 0 (${"<|endoftext|>"})\nnormalised logit diff ${exact.data[8].toFixed(3)}\nestimate ${values.data[8].toFixed(3)}`,
    );
    expect(svgOf(el)).toMatchSnapshot();
    expect(() => render(el, { values, exact: randomMatrix(2, 8), kind: "position", tokens: TOKENS, metric: "m" })).toThrow(/exact: expected shape \[3, 8\]/);
  });

  it("head × layer grid with a bar per component beside it (direct logit attribution, snapshot)", () => {
    const values = randomMatrix(2, 4, 45, -1, 1);
    const labels = ["embed", "pos_embed", "L0 attn", "L0 mlp", "L1 attn", "L1 mlp", "biases"];
    const bars = { labels, values: { data: Float32Array.from([0.5, -0.2, 1.5, -0.7, 2.5, 0.1, 0.3]), shape: [7] }, title: "logit difference" };
    render(el, { values, kind: "head", metric: "direct logit attribution", bars });
    expect(Array.from(el.querySelectorAll(".bar-label")).map((t) => t.textContent)).toEqual(labels);
    const widths = Array.from(el.querySelectorAll("rect.bar")).map((r) => Number(r.getAttribute("width")));
    expect(widths[4]).toBeCloseTo(90, 5); // the largest bar reaches the edge of the 180-px axis
    mouse(el.querySelector("rect.bar-hit")!, "mousemove", 10, 2.5 * 18); // rows of MIN_TEXT + 5 px
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toBe("L0 attn\nlogit difference 1.500");
    expect(svgOf(el)).toMatchSnapshot();
    expect(() => render(el, { values, kind: "head", metric: "m", bars: { ...bars, labels: ["a"] } })).toThrow(/bars.labels: expected 7 labels, got 1/);
  });

  it("position maps need one token per column", () => {
    expect(() => render(el, { values: randomMatrix(2, 3), kind: "position", tokens: ["a"], metric: "m" })).toThrow(/tokens: kind "position" needs 3/);
  });

  it("narrow maps side by side: the captions under them never meet", () => {
    render(el, { values: randomMatrix(2, 3, 46, -1, 1), exact: randomMatrix(2, 3, 47, -1, 1), kind: "head", metric: "m" });
    const x = Number(/translate\(([\d.]+),/.exec(el.querySelector(".panel-exact")!.getAttribute("transform")!)![1]);
    const w = Math.max(...Array.from(el.querySelectorAll(".panel-caption")).map((t) => textWidth(t.textContent!, MIN_TEXT)));
    expect(x).toBeGreaterThanOrEqual(w); // caption centres are x apart
  });
});
