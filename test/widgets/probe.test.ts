/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/probe";
import { mouse, rng, svgOf } from "./fixtures";

function probeData() {
  const r = rng(21);
  const layers = [0, 1, 2, 3, 4, 5, 6];
  const acc = layers.map((l) => 0.6 + 0.04 * l + 0.01 * r());
  return {
    layers,
    properties: [
      { name: "POS", accuracy: acc, lower: acc.map((a) => a - 0.02), upper: acc.map((a) => a + 0.02), control: layers.map(() => 0.55 + 0.05 * r()), majority: 0.3 },
      { name: "dependency", accuracy: layers.map(() => 0.5 + 0.1 * r()) },
    ],
  };
}

describe("probe accuracy by layer", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws task lines, band, control, majority and selectivity (snapshot)", () => {
    render(el, probeData());
    expect(el.querySelectorAll("path.task").length).toBe(2);
    expect(el.querySelectorAll("path.band").length).toBe(1);
    expect(el.querySelectorAll("path.control").length).toBe(1);
    expect(el.querySelectorAll("line.majority").length).toBe(1);
    expect(el.querySelectorAll("path.selectivity-line").length).toBe(1);
    expect(Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent)).toEqual(["Accuracy", "Layer", "Selectivity"]);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("hover shows every property's numbers at the nearest layer", () => {
    const d = probeData();
    render(el, d);
    mouse(el.querySelector("rect.hit")!, "mousemove", (520 / 6) * 3 + 10, 50);
    const tip = el.querySelector(".attnlab-tooltip")!.textContent!;
    expect(tip).toContain("layer 3");
    const p = d.properties[0];
    expect(tip).toContain(`POS: ${p.accuracy[3].toFixed(3)}`);
    expect(tip).toContain(`selectivity ${(p.accuracy[3] - p.control![3]).toFixed(3)}`);
    expect(el.querySelector("line.rule")!.getAttribute("display")).toBeNull();
  });

  it("rejects per-layer arrays of the wrong length", () => {
    expect(() => render(el, { layers: [0, 1], properties: [{ name: "x", accuracy: [0.5] }] })).toThrow(/properties\["x"\].accuracy: expected 2 values/);
  });
});
