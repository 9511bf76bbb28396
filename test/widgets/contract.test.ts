/** @jest-environment jsdom */
/// <reference lib="dom" />
// The one contract between lib/figures and the views (widgets/src/contract): one table of
// views, and one check per view that both sides run, so the kernel rejects in the cell what
// the view would reject in the browser, with the same text.
import { FIGURE_VIEWS, VIEWS, VIEW_KINDS, VIEW_NAMES, checkViewData, type ViewKind } from "../../widgets/src/contract";
import { RENDERERS } from "../../widgets/src/views";
import { ViewHost, type Renderer } from "../../widgets/src/views/host";
import { FigureWidget, figure } from "../../lib/figures";
import { causalPatterns, randomMatrix } from "./fixtures";

const TOK = ["The", " Space", " Needle", " is", " in", " downtown"];
const restoration = () => ({
  tokens: TOK,
  subject: [1, 3] as [number, number],
  mlp: randomMatrix(6, 4, 32, 0.05, 0.5),
  pClean: 0.92,
  pCorrupted: 0.05,
  answer: " Seattle",
});

/** Bad data for a view and the message both sides must give. */
const BAD: { view: ViewKind; data: object; message: RegExp }[] = [
  { view: "heatmap", data: { pattern: causalPatterns(1, 1, 4), tokens: ["a"] }, message: /^attnlab heatmap view: tokens: expected 4 token strings, got an array of length 1$/ },
  { view: "heatmap", data: { pattern: causalPatterns(2, 2, 4), tokens: ["a", "b", "c", "d"], head: 2 }, message: /^attnlab heatmap view: head: expected an integer in \[0, 1\], got 2$/ },
  { view: "restoration", data: { ...restoration(), subject: [4, 9] }, message: /^attnlab restoration view: subject: expected \[start, end\) with 0 ≤ start < end ≤ 6, got \[4,9\]$/ },
  { view: "restoration", data: { ...restoration(), mlp: undefined }, message: /^attnlab restoration view: hidden\/mlp\/attn: expected at least one \[token, layer\] grid/ },
  { view: "restoration", data: { ...restoration(), hidden: null, attn: randomMatrix(6, 3) }, message: /^attnlab restoration view: attn: expected shape \[6, 4\] like mlp, got \[6, 3\]$/ },
  { view: "patching", data: { values: randomMatrix(2, 3), kind: "position", tokens: ["a"], metric: "m" }, message: /^attnlab patching view: tokens: kind "position" needs 3 token strings, got 1$/ },
  { view: "patching", data: { values: randomMatrix(2, 3), kind: "head", metric: "m", exact: randomMatrix(3, 2) }, message: /^attnlab patching view: exact: expected shape \[2, 3\] like values, got \[3, 2\]$/ },
  { view: "probe", data: { layers: [0, 1], properties: [{ name: "x", accuracy: [0.5] }] }, message: /^attnlab probe view: properties\["x"\].accuracy: expected 2 values \(one per layer\), got 1$/ },
  { view: "thumbnails", data: { pattern: randomMatrix(2, 2) }, message: /^attnlab thumbnails view: pattern: expected a tensor of rank 4, got shape \[2, 2\]$/ },
  { view: "headscores", data: { scores: { a: randomMatrix(2, 2), b: randomMatrix(3, 2) } }, message: /^attnlab headscores view: scores\["b"\]: expected shape \[2, 2\] like the others, got \[3, 2\]$/ },
  { view: "attribution", data: { tokens: ["a", "b"], attention: { data: new Float32Array(2), shape: [2] }, measures: [{ name: "g", values: { data: new Float32Array(3), shape: [3] } }] }, message: /^attnlab attribution view: measures\["g"\].values: expected 2 values, got 3$/ },
  { view: "lens", data: { tokens: ["a"], layers: ["0"], top: { data: new Float32Array(2), shape: [1, 1, 2] }, topTokens: [[["x"]]] }, message: /^attnlab lens view: topTokens: expected \[1\]\[1\]\[2\] token strings/ },
  { view: "lines", data: { pattern: randomMatrix(2, 3), tokens: ["a", "b", "c"] }, message: /^attnlab lines view: pattern: the lines view needs a square \[query, key\] pattern, got \[2, 3\]$/ },
];

describe("the table of views (contract VIEWS)", () => {
  it("gives the model names, the figure views and one renderer per view", () => {
    expect(VIEW_KINDS).toEqual(Object.keys(VIEWS));
    expect(VIEW_NAMES.headscores).toBe("HeadScores");
    expect(Object.keys(VIEW_NAMES)).toEqual(VIEW_KINDS);
    expect(Object.keys(RENDERERS).sort()).toEqual([...VIEW_KINDS].sort());
    expect(FIGURE_VIEWS).toEqual(VIEW_KINDS.filter((v) => v !== "quiz"));
    expect(() => checkViewData("pie" as ViewKind, {})).toThrow('view: expected one of heatmap, thumbnails, lines, headscores, probe, restoration, patching, attribution, explore, lens, quiz, got "pie"');
  });
});

describe("checkViewData: one check on both sides", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it.each(BAD.map((b) => [`${b.view}: ${b.message.source.slice(0, 60)}`, b] as const))("%s", (_name, { view, data, message }) => {
    // Kernel side: the figure is refused in the cell that made it.
    expect(() => checkViewData(view, data)).toThrow(message);
    expect(() => new FigureWidget(view as Exclude<ViewKind, "quiz">, data)).toThrow(message);
    // View side: the live view shows the same text in place of the drawing.
    const host = new ViewHost(el, view, RENDERERS[view] as Renderer);
    host.draw(data, {});
    expect(el.querySelector("pre.attnlab-error")!.textContent).toMatch(message);
    host.close();
  });

  it("refuses in the cell what only the view refused before (figure({view: ...}))", () => {
    expect(() => figure({ view: "restoration", ...restoration(), pClean: 1.5 })).toThrow(/^attnlab restoration view: pClean: expected a probability in \[0, 1\], got 1.5$/);
    expect(() => figure({ view: "patching", values: randomMatrix(2, 3), kind: "cell", metric: "m" })).toThrow(/^attnlab patching view: kind: expected "position", "head" or "module", got "cell"$/);
  });

  it("accepts every shape the views draw: a trace with any one grid, one head or all heads, an overview", () => {
    for (const k of ["hidden", "mlp", "attn"]) {
      const d: Record<string, unknown> = { ...restoration(), mlp: undefined, [k]: randomMatrix(6, 4) };
      expect(checkViewData("restoration", d)).toBeUndefined();
    }
    // One head asked for (attentionPattern with layer and head): labelled with its real layer and head.
    expect(VIEWS.heatmap.check({ pattern: { data: causalPatterns(1, 1, 4).data, shape: [4, 4] }, tokens: ["a", "b", "c", "d"], layer: 5, head: 3 })).toMatchObject({ rank: 2, rows: 4, cols: 4, nLayers: 1 });
    expect(VIEWS.heatmap.check({ pattern: causalPatterns(2, 3, 4), tokens: ["a", "b", "c", "d"], layers: [4, 7], layer: 7, head: 2 })).toMatchObject({ rank: 4, nLayers: 2, nHeads: 3, layerNames: [4, 7] });
    expect(VIEWS.heatmap.check({ overview: randomMatrix(3, 3), tokens: Array(1000).fill("x"), nLayers: 2, nHeads: 2 })).toMatchObject({ rank: 2, rows: 1000, cols: 1000 });
  });
});
