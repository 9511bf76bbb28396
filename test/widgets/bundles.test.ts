// Display bundles of figures and quizzes: attnlab's own view type (widgets/src/protocol.ts,
// FIGURE_MIME) in place of ipywidgets' widget-view type, beside the static figure.
// The static renderer is registered by test/setup/static_renderer.ts, as kernel/main.ts does.
import { figure } from "../../lib/figures";
import { quiz, checklistQuestion } from "../../lib/quiz";
import { DISPLAY } from "../../lib/widget";
import { FIGURE_MIME } from "../../widgets/src/protocol";
import { TOKENS, causalPatterns } from "./fixtures";

describe("figure bundles (lib/figures, lib/quiz)", () => {
  it("carry attnlab's view type beside the static SVG, not ipywidgets' widget-view type", () => {
    const b = figure(causalPatterns(1, 1, 4, 5), TOKENS.slice(0, 4))[DISPLAY]() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(b["application/vnd.jupyter.widget-view+json"]).toBeUndefined();
    expect(b[FIGURE_MIME]).toMatchObject({ version_major: 2, version_minor: 0, view: "heatmap" });
    expect(String(b["image/svg+xml"])).toMatch(/^<svg/);
  });

  it("a quiz's bundle holds its questions for the renderer and static HTML without the answer key", () => {
    const q = quiz({ title: "T", questions: [checklistQuestion("induction")] });
    const b = q[DISPLAY]() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(b["application/vnd.jupyter.widget-view+json"]).toBeUndefined();
    expect(b[FIGURE_MIME].data.questions[0].id).toBe("induction");
    expect(b["text/html"]).toContain("K-composition");
    expect(b["text/html"]).not.toContain(checklistQuestion("induction").explanation.slice(0, 40));
    expect(b["text/plain"]).toBe("T: 1 questions (0 of 1 correct)");
  });
});

describe("figureDefaults (the global presentation option)", () => {
  const { figureDefaults } = require("../../lib/figures"); // eslint-disable-line @typescript-eslint/no-var-requires
  afterEach(() => figureDefaults({ presentation: false }));

  it("makes every later figure presentation-sized, the static SVG included; a view's own option wins", () => {
    const small = figure(causalPatterns(1, 1, 4, 5), TOKENS.slice(0, 4));
    figureDefaults({ presentation: true });
    const big = figure(causalPatterns(1, 1, 4, 5), TOKENS.slice(0, 4));
    expect(big.get("options")).toMatchObject({ presentation: true });
    const width = (svg: string) => Number(/^<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    expect(width(big.toSVG())).toBeGreaterThan(1.2 * width(small.toSVG()));
    expect(big.toSVG()).toMatch(/font-size="20" font-weight="600"/);
    const own = figure({ view: "patching", values: { data: new Float32Array(4), shape: [2, 2] }, kind: "head", metric: "m", options: { presentation: false } });
    expect(own.get("options")).toMatchObject({ presentation: false });
  });

  it("rejects unknown options and non-boolean values by name", () => {
    expect(() => figureDefaults({ size: 3 })).toThrow(/unknown option "size"; known: presentation/);
    expect(() => figureDefaults({ presentation: "yes" })).toThrow(/presentation must be true or false/);
  });
});
