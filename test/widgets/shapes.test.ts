// Every view against every shape a method can return, through the same path as in
// JupyterLab: the kernel's figure() → the comm's state and buffers (undefined fields arrive
// as null, tensors as DataViews) → decodeData → the renderer; and the static SVG of the
// display bundle. Causal traces come from a tiny random GPT-2 with each subset of the
// hidden/MLP/attention grids (notebook 05's second map is an MLP-only trace).
import { JSDOM } from "jsdom";
import { ready } from "../../lib/backend";
import { createModel } from "../../lib/model";
import type { TransformerModel } from "../../lib/model/types";
import { removeBuffers } from "../../lib/widget/buffers";
import { figure, type FigureWidget } from "../../lib/figures";
import { causalTrace } from "../../lib/methods/tracing";
import { attentionPattern } from "../../lib/methods/patterns";
import { decodeData } from "../../widgets/src/protocol";
import { ViewHost, type Renderer } from "../../widgets/src/views/host";
import * as views from "../../widgets/src/views";
import { tinyTokenizer } from "../lib/methods/helpers";

type Kind = "hidden" | "mlp" | "attn";
const SUBSETS: Kind[][] = [["hidden"], ["mlp"], ["attn"], ["hidden", "mlp"], ["hidden", "attn"], ["mlp", "attn"], ["hidden", "mlp", "attn"]];

/** What the front end's model holds after comm_open: JSON with nulls for undefined, DataViews at buffer paths. */
function overTheWire(w: FigureWidget): unknown {
  const { state, bufferPaths, buffers } = removeBuffers({ data: w.get("data") });
  const json = JSON.parse(JSON.stringify(state));
  bufferPaths.forEach((p, i) => {
    let o = json;
    for (const k of p.slice(0, -1)) o = o[k];
    const b = buffers[i];
    o[p[p.length - 1]] = new DataView(b.buffer, b.byteOffset, b.byteLength);
  });
  return decodeData(json.data);
}

/** Draws as the live widget does (ViewHost: errors become a <pre class="attnlab-error">). */
function drawLive(view: string, data: unknown): HTMLElement {
  const doc = new JSDOM("<!doctype html><body></body>").window.document;
  const el = doc.createElement("div");
  doc.body.appendChild(el);
  const render = (views as unknown as Record<string, { render: Renderer }>)[view].render;
  new ViewHost(el as unknown as HTMLElement, view, render).draw(data, {}, {});
  return el as unknown as HTMLElement;
}

describe("every view handles every shape a method returns", () => {
  let model: TransformerModel;
  const prompt = " the cat runs and the dog sleeps";
  beforeAll(async () => {
    await ready();
    model = createModel({ arch: "gpt2", nLayers: 3, dModel: 32, nHeads: 2, dVocab: 1000, nCtx: 32 }, { seed: 7, initStd: 0.2, tokenizer: tinyTokenizer() });
  });
  afterAll(() => model.dispose());

  for (const kinds of SUBSETS) {
    it(`causalTrace with kinds [${kinds.join(", ")}] → restoration: exactly those panels, live (over the wire) and static`, async () => {
      const r = await causalTrace(model, prompt, { subject: " cat", samples: 2, seed: 0, window: 1, kinds, workers: 0 });
      const w = figure(r);
      const data = overTheWire(w) as Record<string, unknown>;
      for (const k of ["hidden", "mlp", "attn"] as Kind[]) if (!kinds.includes(k)) expect(data[k] ?? null).toBeNull();
      const el = drawLive("restoration", data);
      expect(el.querySelector(".attnlab-error")?.textContent ?? "").toBe("");
      const panels = Array.from(el.querySelectorAll("svg.panel")).map((s) => s.getAttribute("class")!.replace("panel panel-", ""));
      expect(panels).toEqual(kinds);
      const [P, L] = r.shape;
      for (const k of kinds) expect(el.querySelectorAll(`svg.panel-${k} rect.cell`).length).toBe(P * L);
      const svg = w.toSVG();
      expect((svg.match(/class="panel panel-/g) ?? []).length).toBe(kinds.length);
      expect(w.toString()).toContain(`${kinds[0]}: best restoration`);
    }, 60_000);
  }

  it("attentionPattern for one head and for one layer → heatmap, live and static", () => {
    const ids = Array.from(model.toTokens(prompt).ids);
    for (const opts of [{ layer: 2, head: 1 }, { layer: 1 }]) {
      const w = figure(attentionPattern(model, ids, opts));
      const el = drawLive("heatmap", overTheWire(w));
      expect(el.querySelector(".attnlab-error")?.textContent ?? "").toBe("");
      expect(el.querySelectorAll("rect.cell").length).toBe((ids.length * (ids.length + 1)) / 2);
      expect(el.querySelector(".attnlab-title")!.textContent).toContain(`layer ${opts.layer}, head ${opts.head ?? 0}`);
      expect(w.toSVG()).toContain(`layer ${opts.layer}, head ${opts.head ?? 0}`);
    }
  });

  it("runWithCache's cache → heatmap over every layer: Layer and Head menus, each layer's own pattern", () => {
    const ids = Array.from(model.toTokens(prompt).ids);
    const { logits, cache } = model.runWithCache(ids);
    try {
      const w = figure(cache, model.toStrTokens(ids));
      const d = w.get("data") as { layers: number[]; nLayers: number; pattern: { shape: number[]; data: Float32Array } };
      expect(d.layers).toEqual([0, 1, 2]);
      expect(d.pattern.shape).toEqual([3, 2, ids.length, ids.length]);
      const n = ids.length;
      const l2 = Array.from(cache.get("blocks.2.attn.hook_pattern").dataSync()).slice(n * n, 2 * n * n); // layer 2, head 1
      expect(Array.from(d.pattern.data.slice((2 * 2 + 1) * n * n, (2 * 2 + 2) * n * n))).toEqual(l2);
      const el = drawLive("heatmap", overTheWire(w));
      const menus = Array.from(el.querySelectorAll("select")).map((s) => s.getAttribute("aria-label"));
      expect(menus).toEqual(expect.arrayContaining(["Layer", "Head"]));
      const layerMenu = el.querySelector('select[aria-label="Layer"]') as HTMLSelectElement;
      expect(Array.from(layerMenu.options).map((o) => o.value)).toEqual(["0", "1", "2"]);
      expect(() => figure(cache, ["a"], { batch: 3 })).toThrow(/opts.batch must be an integer in \[0, 1\)/);
    } finally {
      logits.dispose();
      cache.dispose();
    }
  });

  it("attentionPattern over layers → heatmap over those layers: Layer menu of the model's layer numbers, each layer's own pattern", () => {
    const ids = Array.from(model.toTokens(prompt).ids);
    const n = ids.length;
    const r = attentionPattern(model, ids, { layers: [1, 2] });
    const w = figure(r);
    const el = drawLive("heatmap", overTheWire(w));
    expect(el.querySelector(".attnlab-error")?.textContent ?? "").toBe("");
    const layerMenu = el.querySelector('select[aria-label="Layer"]') as HTMLSelectElement;
    expect(Array.from(layerMenu.options).map((o) => o.value)).toEqual(["1", "2"]);
    expect(el.querySelector(".attnlab-title")!.textContent).toContain("layer 1, head 0");
    // Layer 2, head 1 drawn from the figure's data is the model's layer 2, head 1.
    layerMenu.value = "2";
    layerMenu.dispatchEvent(new layerMenu.ownerDocument.defaultView!.Event("change", { bubbles: true }));
    const headMenu = el.querySelector('select[aria-label="Head"]') as HTMLSelectElement;
    headMenu.value = "1";
    headMenu.dispatchEvent(new headMenu.ownerDocument.defaultView!.Event("change", { bubbles: true }));
    expect(el.querySelector(".attnlab-title")!.textContent).toContain("layer 2, head 1");
    const want = attentionPattern(model, ids, { layer: 2, head: 1 }).data;
    expect(el.querySelectorAll("rect.cell").length).toBe((n * (n + 1)) / 2);
    // The hovered cell (query 3, key 1) reads layer 2, head 1's weight.
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    const win = el.ownerDocument.defaultView!;
    el.querySelector("rect.hit")!.dispatchEvent(new win.MouseEvent("mousemove", { bubbles: true, clientX: 1.5 * cell, clientY: 3.5 * cell }));
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${want[3 * n + 1].toFixed(3)}`);
    expect(w.toSVG()).toContain("layer 1, head 0");
  });

  it("one layer's pattern has no Layer menu (nothing to choose)", () => {
    const ids = Array.from(model.toTokens(prompt).ids);
    const el = drawLive("heatmap", overTheWire(figure(attentionPattern(model, ids, { layer: 1 }))));
    expect(el.querySelector('select[aria-label="Layer"]')).toBeNull();
    expect(el.querySelector('select[aria-label="Head"]')).not.toBeNull();
  });

  it("probe data without a control task or majority baseline (null on the wire) draws without them", () => {
    const w = figure({ view: "probe", layers: [0, 1, 2], properties: [{ name: "pos", accuracy: [0.5, 0.7, 0.6], lower: [0.4, 0.6, 0.5], upper: [0.6, 0.8, 0.7], control: undefined }], majority: undefined });
    const el = drawLive("probe", overTheWire(w));
    expect(el.querySelector(".attnlab-error")?.textContent ?? "").toBe("");
    expect(el.querySelectorAll("path.control").length).toBe(0);
    expect(el.querySelectorAll("line.majority").length).toBe(0);
  });

  it("logit lens without a target (targetProb null on the wire) draws p(top) only", () => {
    const top = { data: Float32Array.from({ length: 2 * 3 * 2 }, (_, i) => 0.9 - i * 0.03), shape: [2, 3, 2] };
    const w = figure({ view: "lens", tokens: ["a", "b", "c"], layers: ["0", "1"], top, topTokens: [[["x", "y"], ["x", "y"], ["x", "y"]], [["x", "y"], ["x", "y"], ["x", "y"]]], targetProb: undefined });
    const el = drawLive("lens", overTheWire(w));
    expect(el.querySelector(".attnlab-error")?.textContent ?? "").toBe("");
    expect(el.querySelectorAll("rect.cell").length).toBe(6);
  });
});
