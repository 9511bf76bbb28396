/** @jest-environment jsdom */
/// <reference lib="dom" />
// Figures a lecturer can project: no SVG text under 13 px, titles and labels that fit (or
// end in "…" with the full text as a tooltip), the presentation size (view toggle and the
// kernel's figureDefaults), diverging maps symmetric about zero with a fixable range, and
// dark variants of the colour scales.
import * as d3 from "d3";
import { colorLegend, ellipsize, textWidth, wrapText, MIN_TEXT, PRESENTATION_SCALE } from "../../widgets/src/views/common";
import { ViewHost, type Renderer } from "../../widgets/src/views/host";
import * as views from "../../widgets/src/views";
import { TOKENS, causalPatterns, randomMatrix } from "./fixtures";

const renderOf = (v: string) => (views as unknown as Record<string, { render: Renderer }>)[v].render;
const luminance = (css: string) => {
  const c = d3.rgb(css);
  return (0.2126 * c.r + 0.7152 * c.g + 0.0722 * c.b) / 255;
};

const SAMPLES: Record<string, () => unknown> = {
  heatmap: () => ({ pattern: causalPatterns(1, 2, 8, 3), tokens: TOKENS }),
  headscores: () => ({ scores: { induction: randomMatrix(2, 4, 5) } }),
  restoration: () => ({ tokens: TOKENS.slice(0, 6), subject: [1, 3], hidden: randomMatrix(6, 4, 1, 0.05, 0.9), mlp: randomMatrix(6, 4, 2, 0.05, 0.5), pClean: 0.9, pCorrupted: 0.05, answer: " Seattle" }),
  patching: () => ({ values: randomMatrix(3, 8, 41, -0.03, 0.03), kind: "position", tokens: TOKENS, metric: "normalised logit diff (0 corrupted, 1 clean)" }),
  probe: () => ({ layers: [0, 1, 2], properties: [{ name: "pos", accuracy: [0.5, 0.7, 0.6], lower: [0.4, 0.6, 0.5], upper: [0.6, 0.8, 0.7] }] }),
};

describe("readable figures", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => {
    el.remove();
    document.body.removeAttribute("data-jp-theme-light");
  });

  it("no view draws SVG text under 13 px", () => {
    for (const [v, data] of Object.entries(SAMPLES)) {
      el.textContent = "";
      new ViewHost(el, v, renderOf(v)).draw(data(), {}, {});
      expect(el.querySelector(".attnlab-error")).toBeNull();
      const sizes = Array.from(el.querySelectorAll("svg text, svg g[font-size]")).map((t) => Number(t.getAttribute("font-size") ?? MIN_TEXT));
      expect(sizes.length).toBeGreaterThan(0);
      expect(Math.min(...sizes)).toBeGreaterThanOrEqual(MIN_TEXT);
    }
  });

  it("ellipsize / wrapText keep text within the width, with '…' only when needed", () => {
    expect(ellipsize("short", 200, 13)).toBe("short");
    const cut = ellipsize("prefix matching score of the induction head", 80, 13);
    expect(cut.endsWith("…")).toBe(true);
    expect(textWidth(cut, 13)).toBeLessThanOrEqual(80);
    const lines = wrapText("loss rises when ablated (nats, mean over 4 sequences)", 100, 13, 2);
    expect(lines.length).toBe(2);
    for (const l of lines) expect(textWidth(l, 13)).toBeLessThanOrEqual(100);
  });

  it("a colour-bar title longer than its bar wraps to two lines, then ends in '…' with the full title as a tooltip", () => {
    const svg = d3.select(el).append("svg");
    const g = svg.append("g");
    const title = "loss rises when ablated (nats), mean over the four repeated sequences of the batch";
    colorLegend(g, d3.scaleSequential(d3.interpolateViridis).domain([0, 1]), { x: 0, y: 0, height: 80, title });
    const tspans = Array.from(el.querySelectorAll(".legend-title tspan")).map((t) => t.textContent!);
    expect(tspans.length).toBe(2);
    for (const t of tspans) expect(textWidth(t.trim(), MIN_TEXT)).toBeLessThanOrEqual(90);
    expect(tspans[1].endsWith("…")).toBe(true);
    expect(el.querySelector("g.legend > title")!.textContent).toBe(title);
  });

  it("presentation size: the kernel's option scales every drawing by 16/13 and enlarges HTML text; the view's toggle switches it", () => {
    const host = new ViewHost(el, "restoration", renderOf("restoration"));
    host.draw(SAMPLES.restoration(), {}, {});
    const w0 = Number(el.querySelector("svg.panel")!.getAttribute("width"));
    host.draw(SAMPLES.restoration(), { presentation: true }, {});
    const svg = el.querySelector("svg.panel")!;
    expect(el.querySelector(".attnlab-view")!.classList.contains("attnlab-presentation")).toBe(true);
    expect(Number(svg.getAttribute("width"))).toBe(Math.round(w0 * PRESENTATION_SCALE));
    expect(svg.getAttribute("viewBox")).toBe(`0 0 ${w0} ${svg.getAttribute("viewBox")!.split(" ")[3]}`);
    const toggle = el.querySelector(".attnlab-size-toggle input") as HTMLInputElement;
    expect(toggle.checked).toBe(true);
    toggle.checked = false;
    toggle.dispatchEvent(new Event("change"));
    expect(Number(el.querySelector("svg.panel")!.getAttribute("width"))).toBe(w0);
    expect(el.querySelector(".attnlab-view")!.classList.contains("attnlab-presentation")).toBe(false);
  });

  it("diverging maps: symmetric about zero, the range in words, a fixed range on request, never narrower than the noise", () => {
    const data = SAMPLES.patching() as { values: { data: Float32Array } };
    const a = Math.max(...Array.from(data.values.data, Math.abs));
    const host = new ViewHost(el, "patching", renderOf("patching"));
    host.draw(data, {}, {});
    expect(el.querySelector(".legend-range")!.textContent).toBe(`range ±${a.toFixed(3)}`);
    const ticks = Array.from(el.querySelectorAll(".legend .tick text")).map((t) => Number(t.textContent!.replace("−", "-")));
    expect(Math.min(...ticks)).toBeCloseTo(-Math.max(...ticks), 6);
    host.draw(data, { range: 1 }, {});
    expect(el.querySelector(".legend-range")!.textContent).toBe("range ±1.000 (fixed)");
    host.draw({ ...data, noise: 0.25 }, {}, {});
    expect(el.querySelector(".legend-range")!.textContent).toBe("range ±0.250");
  });

  it("dark theme: restoration and patching scales start dark (low values / zero), not white", () => {
    const lowest = (sel: string) => luminance(el.querySelector(sel)!.getAttribute("fill")!);
    const rest = SAMPLES.restoration() as { hidden: { data: Float32Array } };
    rest.hidden.data[0] = 0.05; // at p_corrupted: the scale's low end (the first cell drawn)
    new ViewHost(el, "restoration", renderOf("restoration")).draw(rest, {}, {});
    expect(lowest("svg.panel-hidden rect.cell")).toBeGreaterThan(0.9); // light theme: palest purple
    document.body.setAttribute("data-jp-theme-light", "false");
    new ViewHost(el, "restoration", renderOf("restoration")).draw(rest, {}, {});
    expect(lowest("svg.panel-hidden rect.cell")).toBeLessThan(0.15);
    const pat = SAMPLES.patching() as { values: { data: Float32Array } };
    pat.values.data[0] = 0;
    new ViewHost(el, "patching", renderOf("patching")).draw(pat, {}, {});
    expect(luminance(el.querySelector("rect.cell")!.getAttribute("fill")!)).toBeLessThan(0.15);
  });
});

describe("word-level token labels", () => {
  const { tokenLabels } = require("../../widgets/src/views/common"); // eslint-disable-line @typescript-eslint/no-var-requires
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("tokenLabels merges a word's sub-tokens (BPE and WordPiece), keeps special tokens and punctuation apart", () => {
    expect(tokenLabels(["<|endoftext|>", "The", " capital", " of", " Per", "u", " is", " L", "ima", "."])).toEqual(["<|endoftext|>", "The", "␣capital", "␣of", "␣Peru", "·u", "␣is", "␣Lima", "·ima", "."]);
    expect(tokenLabels(["[CLS]", "the", "ju", "##ry", "[SEP]"])).toEqual(["[CLS]", "the", "jury", "·ry", "[SEP]"]);
    expect(tokenLabels([" Per", "u"], true)).toEqual(["␣Per", "u"]);
  });

  it("restoration rows read as words, the raw token in each label's tooltip, and a 'raw tokens' switch in the view", () => {
    const data = { tokens: [" The", " Per", "u", " capital"], subject: [1, 3], hidden: randomMatrix(4, 3, 1, 0.05, 0.9), pClean: 0.9, pCorrupted: 0.05, answer: " L" };
    new ViewHost(el, "restoration", renderOf("restoration")).draw(data, {}, {});
    const rows = () => Array.from(el.querySelectorAll("svg.panel-hidden .token-label")).map((t) => t.firstChild!.textContent);
    expect(rows()).toEqual(["␣The", "␣Peru*", "·u*", "␣capital"]);
    expect(el.querySelectorAll("svg.panel-hidden .token-label")[2].querySelector("title")!.textContent).toBe("token 2: u");
    const raw = el.querySelector(".attnlab-raw-toggle input") as HTMLInputElement;
    raw.checked = true;
    raw.dispatchEvent(new Event("change"));
    expect(rows()).toEqual(["␣The", "␣Per*", "u*", "␣capital"]);
  });

  it("views without sub-words offer no switch", () => {
    new ViewHost(el, "heatmap", renderOf("heatmap")).draw(SAMPLES.heatmap(), {}, {});
    expect(el.querySelector(".attnlab-raw-toggle")).toBeNull();
  });
});
