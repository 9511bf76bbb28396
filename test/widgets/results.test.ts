// figure(result) on real lib/methods results from a tiny random GPT-2 (createModel), in a
// node environment as in the kernel: the view data each result maps to, the static SVG of
// the display bundle (rendered by kernel/render in jsdom) and the text summary.
import { JSDOM } from "jsdom";
import { ready } from "../../lib/backend";
import { createModel } from "../../lib/model";
import type { TransformerModel } from "../../lib/model/types";
import { registerCommTransport, type CommTransport, type JSONObject } from "../../lib/widget";
import { figure, FigureWidget } from "../../lib/figures";
import { probe, type ProbeExample } from "../../lib/methods/probing";
import { attributions } from "../../lib/methods/attribution";
import { adversarialAttention, permutationTest } from "../../lib/methods/counterfactual";
import { ablateHeads, ablateLayers } from "../../lib/methods/ablation";
import { logitLens } from "../../lib/methods/lens";
import { detectHead } from "../../lib/methods/patterns";
import { iclScore, kComposition } from "../../lib/methods/induction";
import { Rng } from "../../lib/methods/rng";
import { tinyTokenizer } from "../lib/methods/helpers";
import { showToken } from "../../widgets/src/views/common";

type Data = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const LEX: Record<string, string> = { red: "ADJ", blue: "ADJ", dog: "NOUN", cat: "NOUN", the: "DET", a: "DET", runs: "VERB", sleeps: "VERB" };

function sentences(n: number, seed: number): ProbeExample[] {
  const rng = new Rng(seed);
  const vocab = Object.keys(LEX);
  return Array.from({ length: n }, () => {
    const words = Array.from({ length: 5 }, () => vocab[rng.int(vocab.length)]);
    return { words, labels: words.map((w) => LEX[w]) };
  });
}

/** The bundle's SVG as a document, to query like the browser would. */
function svgDoc(svg: string): Document {
  expect(svg.startsWith("<svg")).toBe(true);
  return new JSDOM(svg, { contentType: "image/svg+xml" }).window.document;
}

function bundleOf(w: FigureWidget, sent: JSONObject[]): Record<string, string> {
  w.display();
  return sent[sent.length - 1] as Record<string, string>;
}

describe("figure(result) on results from a tiny random model", () => {
  let model: TransformerModel;
  const sent: JSONObject[] = [];
  const text = " the cat runs and the dog sleeps";
  beforeAll(async () => {
    await ready();
    model = createModel({ arch: "gpt2", nLayers: 2, dModel: 32, nHeads: 4, dVocab: 1000, nCtx: 32 }, { seed: 5, initStd: 0.2, tokenizer: tinyTokenizer() });
    const transport: CommTransport = {
      open: (target, _data, opts) => ({ id: opts.commId ?? "c", targetName: target, send: () => undefined, close: () => undefined }),
      registerTarget: () => undefined,
      display: (bundle) => sent.push(bundle as JSONObject),
    };
    registerCommTransport(transport);
  });
  afterAll(() => {
    registerCommTransport(undefined);
    model.dispose();
  });

  it("probe-results → probe view: accuracy by layer per site, CI band, control, selectivity, majority baseline", async () => {
    const r = await probe(model, sentences(24, 1), { sites: ["resid_post", "attn_out"], subword: "mean", seed: 2, maxEpochs: 40 });
    const w = figure(r);
    expect(w.view).toBe("probe");
    const d = w.get("data") as Data;
    expect(d.layers).toEqual([0, 1]);
    expect(d.properties.map((p: Data) => p.name)).toEqual(["resid_post", "attn_out"]);
    const [, L] = r.shape;
    d.properties.forEach((p: Data, s: number) => {
      for (let l = 0; l < L; l++) {
        expect(p.accuracy[l]).toBeCloseTo(r.accuracy[s * L + l], 6);
        expect(p.lower[l]).toBeCloseTo(r.ciLow[s * L + l], 6);
        expect(p.upper[l]).toBeCloseTo(r.ciHigh[s * L + l], 6);
        expect(p.control[l]).toBeCloseTo(r.controlAccuracy[s * L + l], 6);
      }
    });
    expect(d.majority).toBeCloseTo(r.majorityBaseline, 6);
    expect(d.note).toContain("Wilson score interval");
    const b = bundleOf(w, sent);
    const doc = svgDoc(b["image/svg+xml"]);
    expect(doc.querySelectorAll("g.property path.task").length).toBe(2);
    expect(doc.querySelectorAll("g.property path.band").length).toBe(2);
    expect(doc.querySelectorAll("g.property path.control").length).toBe(2);
    expect(doc.querySelectorAll("path.selectivity-line").length).toBe(2);
    expect(doc.querySelectorAll("line.majority.shared").length).toBe(1);
    expect(b["image/svg+xml"]).not.toContain("NaN");
    // The best layer in the summary is the real argmax of the first site.
    const acc0 = Array.from(r.accuracy.subarray(0, L));
    const best = acc0.indexOf(Math.max(...acc0));
    expect(b["text/plain"]).toContain(`resid_post: best layer ${best} (accuracy ${acc0[best].toFixed(3)}, selectivity ${r.selectivity[best].toFixed(3)})`);
    expect(b["text/plain"]).toContain(`majority baseline ${r.majorityBaseline.toFixed(3)}`);

    // A cancelled run leaves NaN: the line has a gap (null over the wire), no "NaN" in the SVG.
    const cut = { ...r, accuracy: r.accuracy.slice(), ciLow: r.ciLow.slice(), ciHigh: r.ciHigh.slice(), controlAccuracy: r.controlAccuracy.slice(), partial: true };
    for (const a of [cut.accuracy, cut.ciLow, cut.ciHigh, cut.controlAccuracy]) a.fill(NaN, L + 1);
    const wc = figure(cut);
    expect((wc.get("data") as Data).properties[1].accuracy).toEqual([cut.accuracy[L], null]);
    const svg = wc.toSVG();
    expect(svg).not.toContain("NaN");
    expect(svg).toContain("Partial: the run was cancelled");
    // Without the control task there is no dashed line and no selectivity.
    const noCtl = figure({ ...r, controlAccuracy: new Float32Array(r.accuracy.length).fill(NaN) });
    expect((noCtl.get("data") as Data).properties[0].control).toBeUndefined();
    expect(svgDoc(noCtl.toSVG()).querySelectorAll("path.control").length).toBe(0);
  });

  it("attribution → attribution view: attention, grad×input, IG, leave-one-out rows with the method's Kendall τ", () => {
    const r = attributions(model, text, { layer: 1, head: 2, steps: 8 });
    const w = figure(r);
    expect(w.view).toBe("attribution");
    const d = w.get("data") as Data;
    const P = r.tokens.length;
    expect(d.tokens).toEqual(r.tokens);
    expect(d.attention.data).toBe(r.attention);
    expect(d.measures.map((m: Data) => m.name)).toEqual(["grad × input", "integrated gradients", "leave-one-out (TVD)"]);
    expect(d.measures[1].values.data).toBe(r.integratedGradients);
    expect(d.tau).toEqual({ "grad × input": r.kendall.gradInput, "integrated gradients": r.kendall.integratedGradients, "leave-one-out (TVD)": r.kendall.leaveOneOut });
    expect(d.target).toContain(JSON.stringify(r.predicted.token));
    const b = bundleOf(w, sent);
    const doc = svgDoc(b["image/svg+xml"]);
    const rows = Array.from(doc.querySelectorAll("g.measure"));
    expect(rows.map((g) => g.getAttribute("data-name"))).toEqual(["attention", "grad × input", "integrated gradients", "leave-one-out (TVD)"]);
    for (const g of rows) expect(g.querySelectorAll("g.tok").length).toBe(P);
    expect(rows[3].querySelector(".measure-label")!.textContent).toBe(`leave-one-out (TVD) (τ ${r.kendall.leaveOneOut.toFixed(2)})`);
    // Leave-one-out is undefined for the query (last) token: a grey cell, not a black one.
    const missing = doc.querySelectorAll('g.measure[data-name="leave-one-out (TVD)"] rect[data-missing="true"]');
    expect(missing.length).toBe(1);
    expect(missing[0].getAttribute("fill")).toBe("#d9d9d9");
    expect(b["text/plain"]).toContain(`grad × input τ=${r.kendall.gradInput.toFixed(3)}`);
  });

  it("adversarial-attention → attribution view: original attention and each candidate row", async () => {
    const r = await adversarialAttention(model, text, { layer: 1, head: 0, k: 2, steps: 10, seed: 1 });
    const w = figure(r);
    const d = w.get("data") as Data;
    const P = r.tokens.length;
    expect(d.measures).toHaveLength(2);
    expect(Array.from(d.measures[1].values.data)).toEqual(Array.from(r.candidates.subarray(P, 2 * P)));
    expect(d.measures[0].name).toBe(`candidate 0 (JSD ${r.jsd[0].toFixed(3)}, output TVD ${r.outputTvd[0].toFixed(3)})`);
    expect(svgDoc(w.toSVG()).querySelectorAll("g.measure").length).toBe(3);
  });

  it("ablation → patching grid: [layer, head] as is, [module, layer] as [layer, module]", async () => {
    const heads = await ablateHeads(model, text, { measure: "loss" });
    const w = figure(heads);
    expect(w.view).toBe("patching");
    const d = w.get("data") as Data;
    expect(d).toMatchObject({ kind: "head", metric: "Δ loss", title: "Zero-ablation effects" });
    expect(d.values).toEqual({ data: heads.effects, shape: [2, 4] });
    expect(d.note).toContain(`baseline ${heads.baseline.toFixed(3)}`);
    const doc = svgDoc(w.toSVG());
    expect(doc.querySelectorAll("rect.cell").length).toBe(8);
    expect(doc.querySelector(".legend-title")!.textContent).toBe("Δ loss");
    let best = 0;
    heads.effects.forEach((v, i) => (v > heads.effects[best] ? (best = i) : 0));
    expect(w.toString()).toBe(`Zero-ablation effects (Δ loss): largest ${heads.effects[best].toFixed(3)} at layer ${Math.floor(best / 4)}, head ${best % 4}`);

    const layers = await ablateLayers(model, text, { measure: "kl" });
    const wl = figure(layers);
    const dl = wl.get("data") as Data;
    expect(dl).toMatchObject({ kind: "module", columns: ["attn", "mlp"], metric: "KL(unablated ‖ ablated)" });
    expect(dl.values.shape).toEqual([2, 2]);
    // Transposed: row = layer, column = module; the result is [module, layer].
    for (let l = 0; l < 2; l++) for (let m = 0; m < 2; m++) expect(dl.values.data[l * 2 + m]).toBe(layers.effects[m * 2 + l]);
    const ldoc = svgDoc(wl.toSVG());
    expect(Array.from(ldoc.querySelectorAll(".col-label")).map((t) => t.textContent)).toEqual(["attn", "mlp"]);
    expect(ldoc.querySelectorAll("rect.cell").length).toBe(4);

    expect(() => figure({ ...heads, shape: [8], dims: ["target"] })).toThrow(/ablation over \[target\] has no grid view/);
  });

  it("head-detection → head-score grid; logit-lens → lens grid of the top prediction", () => {
    const det = detectHead(model, text, "previous_token");
    const w = figure(det);
    expect(w.view).toBe("headscores");
    expect((w.get("data") as Data).scores.previous_token).toEqual({ data: det.scores, shape: [2, 4] });
    expect(w.toSVG()).toContain("previous_token");

    const lens = logitLens(model, text, { topK: 3, target: 10 });
    const wl = figure(lens);
    expect(wl.view).toBe("lens");
    const [n, P] = lens.shape;
    const doc = svgDoc(wl.toSVG());
    const cells = doc.querySelectorAll("g.lens-cell");
    expect(cells.length).toBe(n * P);
    // The output row's last cell shows the model's own top prediction.
    const last = doc.querySelector(`g.lens-cell[data-layer="${n - 1}"][data-pos="${P - 1}"] text.top-token`)!;
    expect(last.textContent).toBe(showToken(lens.topTokens[n - 1][P - 1][0]));
    expect(Array.from(doc.querySelectorAll(".row-label")).map((t) => t.textContent)).toEqual(lens.layers);
    expect(wl.toString()).toContain(`${n} layers × ${P} positions`);
  });

  it("result kinds with no view say so and what to do instead", async () => {
    const perm = await permutationTest(model, text, { permutations: 3 });
    expect(() => figure(perm)).toThrow(/"attention-permutation" result has no view: .*medianTvd/);
    expect(() => figure(iclScore(model, text))).toThrow(/"icl-score" result has no view/);
    expect(() => figure(kComposition(model))).toThrow(/"k-composition" result has no view/);
  });
});
