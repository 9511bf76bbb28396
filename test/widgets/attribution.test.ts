/** @jest-environment jsdom */
/// <reference lib="dom" />
import { kendallTau, render } from "../../widgets/src/views/attribution";
import { TOKENS, mouse, rng, svgOf } from "./fixtures";

const vec = (seed: number, lo = 0) => {
  const r = rng(seed);
  return { data: Float32Array.from(TOKENS, () => lo + r()), shape: [TOKENS.length] };
};

describe("attribution view", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("Kendall τ-b: identical ranks 1, reversed −1, ties handled", () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBeCloseTo(1);
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBeCloseTo(-1);
    // scipy.stats.kendalltau([1,2,2,3],[1,3,2,4]) = 0.9128709...
    expect(kendallTau([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(0.9128709, 6);
  });

  it("draws a row per measure with τ against attention (snapshot)", () => {
    const attention = vec(51);
    render(el, {
      tokens: TOKENS,
      attention,
      measures: [
        { name: "gradient", values: vec(52) },
        { name: "leave-one-out", values: vec(53, -0.5) },
      ],
      tau: { gradient: 0.25 },
      target: "prediction: positive (0.93)",
    });
    expect(el.querySelectorAll("g.measure").length).toBe(3);
    expect(el.querySelectorAll("g.tok").length).toBe(3 * TOKENS.length);
    const labels = Array.from(el.querySelectorAll(".measure-label")).map((t) => t.textContent);
    const loo = kendallTau(attention.data, vec(53, -0.5).data).toFixed(2);
    expect(labels).toEqual(["attention", "gradient (τ 0.25)", `leave-one-out (τ ${loo})`]);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("hover lists every measure for the token; click outlines that token in every row", () => {
    const attention = vec(51);
    const grad = vec(52);
    render(el, { tokens: TOKENS, attention, measures: [{ name: "gradient", values: grad }] });
    const tok = el.querySelector('g.measure[data-name="gradient"] g.tok[data-index="2"]')!;
    mouse(tok, "mouseenter");
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toBe(
      `token 2: ␣cat\nattention: ${attention.data[2].toFixed(3)}\ngradient: ${grad.data[2].toFixed(3)}`,
    );
    mouse(tok, "click");
    const outlined = Array.from(el.querySelectorAll("g.tok rect")).filter((r) => r.getAttribute("stroke-width") === "2.5");
    expect(outlined.length).toBe(2);
  });
});
