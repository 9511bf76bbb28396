// Display bundles in a node environment (as in the kernel): the view reference, a static SVG
// rendered through kernel/render (loaded on demand by lib/figures) and a text summary.
import { registerCommTransport, type CommTransport, type JSONObject } from "../../lib/widget";
import { HeatmapFigure, figure } from "../../lib/figures";
import { TOKENS, causalPatterns, randomMatrix } from "./fixtures";

describe("figure display bundles", () => {
  const sent: JSONObject[] = [];
  beforeAll(() => {
    const transport: CommTransport = {
      open: (target, _data, opts) => ({ id: opts.commId ?? "c", targetName: target, send: () => undefined, close: () => undefined }),
      registerTarget: () => undefined,
      display: (bundle) => sent.push(bundle as JSONObject),
    };
    registerCommTransport(transport);
  });
  afterAll(() => registerCommTransport(undefined));

  it("display bundles carry attnlab's view type (not ipywidgets' widget-view), a static SVG and a text summary", () => {
    const w = new HeatmapFigure(causalPatterns(1, 1, 8), TOKENS);
    w.display();
    const shown = sent[sent.length - 1] as Record<string, unknown>;
    expect(shown["application/vnd.jupyter.widget-view+json"]).toBeUndefined();
    expect(shown["application/vnd.attnlab.widget-view+json"]).toMatchObject({ model_id: w.id, version_major: 2, view: "heatmap" });
    expect(shown["text/plain"]).toBe("Attention heatmap (all heads): 8 query × 8 key tokens");
    const svg = shown["image/svg+xml"] as string;
    expect(svg.startsWith("<svg")).toBe(true);
    expect((svg.match(/class="cell"/g) ?? []).length).toBe(36);
    expect(svg).toContain("Attention pattern: layer 0, head 0");
  });

  it("patching figures carry their SVG too, and toSVG() gives it directly", () => {
    const f = figure({ view: "patching", values: randomMatrix(2, 3, 5, -1, 1), kind: "head", metric: "logit diff" });
    const svg = f.toSVG();
    expect((svg.match(/class="cell"/g) ?? []).length).toBe(6);
    expect(f.toString()).toMatch(/^Activation patching \(logit diff\): largest/);
  });
});
