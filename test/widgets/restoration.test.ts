/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/restoration";
import { mouse, randomMatrix, svgOf } from "./fixtures";

const TOK = ["The", " Space", " Needle", " is", " in", " downtown"];
const data = () => ({
  tokens: TOK,
  subject: [1, 3] as [number, number],
  hidden: randomMatrix(6, 4, 31, 0.05, 0.9),
  mlp: randomMatrix(6, 4, 32, 0.05, 0.5),
  attn: randomMatrix(6, 4, 33, 0.05, 0.3),
  pClean: 0.92,
  pCorrupted: 0.05,
  answer: " Seattle",
  settings: { samples: 10, noise: "3σ = 0.134", window: 10 },
});

describe("restoration map (causal tracing)", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws three token × layer panels in ROME's hues with subject marks (snapshot)", () => {
    const d = data();
    d.hidden.data[0] = 0.01; // below p_corrupted
    render(el, d);
    const panels = el.querySelectorAll("svg.panel");
    expect(panels.length).toBe(3);
    expect(el.querySelectorAll("svg.panel-hidden rect.cell").length).toBe(24);
    expect(Array.from(el.querySelectorAll("svg.panel-hidden .subject")).map((t) => t.textContent)).toEqual(["␣Space*", "␣Needle*"]);
    expect(el.querySelector(".attnlab-subtitle")!.textContent).toContain("samples 10");
    // The scales start at p_corrupted: a cell at p_corrupted is the palest hue.
    const hiddenFills = Array.from(el.querySelectorAll("svg.panel-hidden rect.cell")).map((r) => r.getAttribute("fill"));
    expect(hiddenFills[0]).toBe("rgb(252, 251, 253)"); // the palest purple: clamped up to p_corrupted
    const max = d.hidden.data.indexOf(Math.max(...d.hidden.data));
    expect(hiddenFills[max]).toBe("rgb(63, 0, 125)"); // the darkest purple at the panel's maximum
    expect(el.querySelector("svg.panel-mlp rect.cell")!.getAttribute("fill")).toMatch(/^rgb\(\d+, \d+, \d+\)$/);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("hover shows p(answer) and the indirect effect", () => {
    const d = data();
    render(el, d);
    const hit = el.querySelector("svg.panel-mlp rect.hit")!;
    const cw = Number(hit.getAttribute("width")) / 4;
    mouse(hit, "mousemove", 2.5 * cw, 2.5 * 16);
    const p = d.mlp.data[2 * 4 + 2];
    const tip = el.querySelector(".attnlab-tooltip")!.textContent!;
    expect(tip).toContain("token 2 (␣Needle*), layer 2");
    expect(tip).toContain(`p(␣Seattle) ${p.toFixed(3)}`);
    expect(tip).toContain(`indirect effect ${(p - 0.05).toFixed(3)}`);
  });

  it("rejects a subject range outside the prompt", () => {
    expect(() => render(el, { ...data(), subject: [4, 9] })).toThrow(/subject: expected \[start, end\)/);
  });
});
