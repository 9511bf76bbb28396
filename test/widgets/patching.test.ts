/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/patching";
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

  it("position maps need one token per column", () => {
    expect(() => render(el, { values: randomMatrix(2, 3), kind: "position", tokens: ["a"], metric: "m" })).toThrow(/tokens: kind "position" needs 3/);
  });
});
