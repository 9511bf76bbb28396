// figure(result) for direct logit attribution and attribution patching, on real results from a
// tiny random GPT-2, in a node environment as in the kernel: view data, static SVG, text summary.
import { JSDOM } from "jsdom";
import { ready } from "../../lib/backend";
import { createModel } from "../../lib/model";
import type { TransformerModel } from "../../lib/model/types";
import { registerCommTransport, type CommTransport } from "../../lib/widget";
import { figure } from "../../lib/figures";
import { logitAttribution } from "../../lib/methods/logit_attribution";
import { attributionPatching } from "../../lib/methods/attribution_patching";

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function svgDoc(svg: string): Document {
  expect(svg.startsWith("<svg")).toBe(true);
  return new JSDOM(svg, { contentType: "image/svg+xml" }).window.document;
}

describe("figure(result) for logitAttribution and attributionPatching", () => {
  let model: TransformerModel;
  const clean = [3, 14, 15, 9, 26, 5, 35];
  const corrupted = [3, 14, 42, 9, 26, 5, 35];
  beforeAll(async () => {
    await ready();
    model = createModel({ arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dVocab: 1000, nCtx: 32 }, { seed: 5, initStd: 0.2 });
    const transport: CommTransport = {
      open: (target, _data, opts) => ({ id: opts.commId ?? "c", targetName: target, send: () => undefined, close: () => undefined }),
      registerTarget: () => undefined,
      display: () => undefined,
    };
    registerCommTransport(transport);
  });
  afterAll(() => {
    registerCommTransport(undefined);
    model.dispose();
  });

  it("logit-attribution → head × layer grid with one bar per component; the bars sum to the logit difference", () => {
    const r = logitAttribution(model, clean, { answer: 7, against: 11 });
    const w = figure(r);
    expect(w.view).toBe("patching");
    const d = w.get("data") as Data;
    expect(d.kind).toBe("head");
    expect(d.values).toEqual({ data: r.heads, shape: [2, 4] });
    expect(d.bars.labels).toEqual(["embed", "pos_embed", "L0 attn", "L0 mlp", "L1 attn", "L1 mlp", "biases (b_O, norm, b_U)"]);
    const barSum = Array.from(d.bars.values.data as Float32Array).reduce((a, b) => a + b, 0);
    expect(Math.abs(barSum - r.value)).toBeLessThan(1e-4);
    const doc = svgDoc(w.toSVG());
    expect(doc.querySelectorAll("rect.cell").length).toBe(8);
    expect(doc.querySelectorAll("rect.bar").length).toBe(7);
    expect(doc.querySelector(".attnlab-title, text")).not.toBeNull();
    expect(w.toString()).toMatch(/^Direct logit attribution \(direct logit difference\): largest/);
  });

  it("attribution-patching → estimate and exact maps side by side when compared; a grid can be shown on its own", async () => {
    const r = await attributionPatching(model, clean, corrupted, { metric: { answer: 7, wrong: 11 }, compare: true, grids: ["resid", "heads", "heads_by_pos"] });
    const w = figure(r);
    const d = w.get("data") as Data;
    expect(d.kind).toBe("position");
    expect(d.values.data).toBe(r.grids.resid!.data);
    expect(d.exact.data).toBe(r.grids.resid!.exact);
    expect(d.correlation).toBe(r.grids.resid!.correlation);
    const doc = svgDoc(w.toSVG());
    expect(doc.querySelectorAll("rect.cell").length).toBe(2 * 2 * 7);
    expect(Array.from(doc.querySelectorAll(".panel-caption")).map((t) => t.textContent)).toEqual(["attribution patching (estimate)", "activation patching (exact)"]);
    expect(w.toString()).toContain(`Pearson r = ${r.grids.resid!.correlation!.toFixed(3)}`);

    const wh = figure(r.grids.heads!);
    expect((wh.get("data") as Data).kind).toBe("head");
    expect(svgDoc(wh.toSVG()).querySelectorAll("rect.cell").length).toBe(2 * 8);
    expect(() => figure(r.grids.heads_by_pos!)).toThrow(/heads_by_pos grid has rank 3/);

    const plain = await attributionPatching(model, clean, corrupted, { metric: { answer: 7, wrong: 11 }, grids: ["attn_out"] });
    const dp = figure(plain).get("data") as Data;
    expect(dp.exact).toBeUndefined();
    expect(svgDoc(figure(plain).toSVG()).querySelectorAll("rect.cell").length).toBe(2 * 7);
  });
});
