/** @jest-environment jsdom */
/// <reference lib="dom" />
// The lens view, plus the edge cases real method results bring to the other views: NaN where
// a value is undefined or a run was cancelled, ablation's [layer, module] grid, and tokens
// that are raw control bytes.
import { render as renderLens } from "../../widgets/src/views/lens";
import { render as renderProbe } from "../../widgets/src/views/probe";
import { kendallTau, render as renderAttribution } from "../../widgets/src/views/attribution";
import { render as renderPatching } from "../../widgets/src/views/patching";
import { showToken } from "../../widgets/src/views/common";
import { change, mouse, rng } from "./fixtures";

function lensData(n: number, P: number, k: number, seed = 3) {
  const r = rng(seed);
  const top = new Float32Array(n * P * k);
  const topTokens: string[][][] = [];
  for (let l = 0; l < n; l++) {
    topTokens.push([]);
    for (let p = 0; p < P; p++) {
      topTokens[l].push(Array.from({ length: k }, (_, i) => `t${l}${p}${i}`));
      let rest = 1;
      for (let i = 0; i < k; i++) {
        const v = rest * (0.5 + 0.4 * r());
        top[(l * P + p) * k + i] = v;
        rest -= v;
      }
    }
  }
  const targetProb = Float32Array.from({ length: n * P }, () => 0.2 * r());
  return {
    tokens: ["a", " b", "c"].slice(0, P),
    layers: Array.from({ length: n }, (_, l) => (l === n - 1 ? `resid_post ${l - 1} (output)` : `resid_pre ${l}`)),
    top: { data: top, shape: [n, P, k] },
    topTokens,
    targetProb: { data: targetProb, shape: [n, P] },
    target: " x",
  };
}

describe("logit lens view", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("one cell per (layer, position) with the top token; hover lists the top-k; colour by target", () => {
    const d = lensData(3, 3, 2);
    renderLens(el, d);
    const cells = el.querySelectorAll("g.lens-cell");
    expect(cells.length).toBe(9);
    const c = el.querySelector('g.lens-cell[data-layer="2"][data-pos="1"]')!;
    expect(c.querySelector("text")!.textContent).toBe("t210");
    mouse(c, "mouseenter");
    const tip = el.querySelector(".attnlab-tooltip")!.textContent!;
    expect(tip).toContain("resid_post 1 (output), position 1 (␣b)");
    expect(tip).toContain(`1. t210  ${d.top.data[(2 * 3 + 1) * 2].toFixed(3)}`);
    expect(tip).toContain(`2. t211  ${d.top.data[(2 * 3 + 1) * 2 + 1].toFixed(3)}`);
    expect(tip).toContain(`p(␣x) ${d.targetProb.data[7].toFixed(3)}`);
    const fill = () => el.querySelector('g.lens-cell[data-layer="2"][data-pos="1"] rect')!.getAttribute("fill");
    const before = fill();
    change(el.querySelector("select")!, "target");
    expect(fill()).not.toBe(before);
    expect(el.querySelector(".legend-title")!.textContent).toBe("p(␣x)");
  });

  it("bad input names the argument", () => {
    const d = lensData(2, 3, 2);
    expect(() => renderLens(el, { ...d, topTokens: d.topTokens.slice(1) })).toThrow(/topTokens: expected \[2\]\[3\]\[2\]/);
    expect(() => renderLens(el, { ...d, layers: ["x"] })).toThrow(/layers/);
    expect(() => renderLens(el, { ...d, targetProb: { data: new Float32Array(2), shape: [1, 2] } })).toThrow(/targetProb: expected shape \[2, 3\]/);
  });

  it("control-byte tokens are shown as control pictures (the static SVG stays well-formed XML)", () => {
    expect(showToken("\u0016a\u0000\u007f")).toBe("␖a␀␡");
    const d = lensData(2, 3, 2);
    d.topTokens[0][0][0] = "\u0016";
    renderLens(el, d);
    const svg = el.querySelector("svg")!.outerHTML;
    expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
    expect(new DOMParser().parseFromString(svg, "image/svg+xml").querySelector("parsererror")).toBeNull();
    expect(el.querySelector('g.lens-cell[data-layer="0"][data-pos="0"] text')!.textContent).toBe("␖");
  });
});

describe("views with gaps and other grids", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("probe: a layer not computed (null over the wire) is a gap, and hover says so", () => {
    renderProbe(el, {
      layers: [0, 1, 2],
      properties: [{ name: "pos", accuracy: [0.6, 0.8, null as unknown as number], lower: [0.5, 0.7, null as unknown as number], upper: [0.7, 0.9, null as unknown as number], control: [0.4, 0.5, null as unknown as number] }],
      majority: 0.3,
    });
    expect(el.querySelectorAll("g.property circle").length).toBe(2);
    expect(el.querySelector("svg")!.outerHTML).not.toContain("NaN");
    expect(el.querySelectorAll("line.majority.shared").length).toBe(1);
    const hit = el.querySelector("rect.hit")!;
    mouse(hit, "mousemove", 520, 10); // the last layer, at the right edge
    const tip = el.querySelector(".attnlab-tooltip")!.textContent!;
    expect(tip).toContain("pos: not computed");
    expect(tip).toContain("majority baseline 0.300");
    mouse(hit, "mousemove", 260, 10);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("pos: 0.800 [0.700, 0.900], control 0.500, selectivity 0.300");
  });

  it("attribution: NaN cells are grey and n/a; τ computed here skips them", () => {
    expect(kendallTau([1, 2, 3, NaN], [1, 2, 3, 0])).toBeCloseTo(1);
    const tokens = ["a", "b", "c", "d"];
    renderAttribution(el, {
      tokens,
      attention: { data: Float32Array.from([0.1, 0.2, 0.3, 0.4]), shape: [4] },
      measures: [{ name: "loo", values: { data: Float32Array.from([0.3, 0.1, 0.2, NaN]), shape: [4] } }],
    });
    const rects = el.querySelectorAll('g.measure[data-name="loo"] rect');
    expect(rects[3].getAttribute("fill")).toBe("#d9d9d9");
    expect(rects[3].getAttribute("data-missing")).toBe("true");
    expect(rects[0].getAttribute("data-missing")).toBeNull();
    mouse(el.querySelectorAll('g.measure[data-name="loo"] g.tok')[3], "mouseenter");
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain("loo: n/a");
    // τ over the three defined tokens: attention 0.1 < 0.2 < 0.3 against 0.3, 0.1, 0.2.
    expect(el.querySelector('g.measure[data-name="loo"] .measure-label')!.textContent).toBe(`loo (τ ${kendallTau([0.1, 0.2, 0.3], [0.3, 0.1, 0.2]).toFixed(2)})`);
  });

  it("patching grid by module: named columns, own note, hover names the module", () => {
    const values = { data: Float32Array.from([0.1, -0.2, 0.3, 0.4]), shape: [2, 2] };
    renderPatching(el, { values, kind: "module", columns: ["attn", "mlp"], metric: "Δ loss", note: "zero-ablation of each module" });
    expect(Array.from(el.querySelectorAll(".col-label")).map((t) => t.textContent)).toEqual(["attn", "mlp"]);
    expect(el.querySelector(".attnlab-subtitle")!.textContent).toBe("zero-ablation of each module");
    expect(Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent)).toEqual(["Layer", "Module"]);
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 1.5 * cell, 0.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toBe("layer 0, mlp\nΔ loss −0.200");
    el.textContent = "";
    expect(() => renderPatching(el, { values, kind: "module", columns: ["attn"], metric: "m" })).toThrow(/columns: kind "module" needs 2 column names/);
  });
});
