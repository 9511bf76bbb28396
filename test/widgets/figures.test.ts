/** @jest-environment jsdom */
/// <reference lib="dom" />
// Kernel-side figures (lib/figures) against the front-end renderers, across a mock comm:
// the kernel's comm_open state + buffers are put back the way the widget manager does
// (DataViews at buffer_paths), decoded, drawn, and head requests answered.
import { registerCommTransport } from "../../lib/widget";
import { figure, linkHeads, HeatmapFigure, FigureWidget } from "../../lib/figures";
import { decodeData } from "../../widgets/src/protocol";
import { render as renderHeatmap } from "../../widgets/src/views/heatmap";
import { TOKENS, causalPatterns, change, frontEndState, mockTransport, mouse } from "./fixtures";

describe("lib/figures over a mock comm", () => {
  let mock: ReturnType<typeof mockTransport>;
  beforeEach(() => {
    mock = mockTransport();
    registerCommTransport(mock.transport);
  });
  afterEach(() => registerCommTransport(undefined));

  it("sends the pattern as a binary buffer with its buffer path, never as JSON numbers", () => {
    const pattern = causalPatterns(2, 2, 8);
    const w = new HeatmapFigure(pattern, TOKENS, { layer: 1, head: 1 });
    const open = mock.sent[0];
    expect(open.kind).toBe("open");
    const st = (open.data as { state: Record<string, unknown> }).state;
    expect(st._model_name).toBe("HeatmapModel");
    expect(st._view_module).toBe("attnlab-widgets");
    expect((open.data as { buffer_paths: unknown }).buffer_paths).toEqual([["data", "pattern", "data"]]);
    expect(open.buffers[0].byteLength).toBe(pattern.data.byteLength);
    expect(JSON.stringify(open.data).length).toBeLessThan(2000);
    w.close();
  });

  it("long patterns stay in the kernel: the view gets one head and fetches others by custom message", async () => {
    const pattern = causalPatterns(3, 2, 8, 5);
    const w = new HeatmapFigure(pattern, TOKENS, { maxBytes: 1000 });
    const open = mock.sent[0];
    const state = frontEndState(open) as { data: unknown; options: object };
    const data = decodeData<{ pattern: { data: Float32Array; shape: number[] } }>(state.data);
    expect(data.pattern.shape).toEqual([8, 8]);
    expect(Array.from(data.pattern.data)).toEqual(Array.from(pattern.data.subarray(0, 64)));

    // The front end's requestHead: a custom message to the kernel, whose reply carries the head.
    const el = document.createElement("div");
    document.body.appendChild(el);
    renderHeatmap(el, data as never, {
      ...state.options,
      requestHead: (layer, head) => {
        const before = mock.sent.length;
        mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_head", id: 7, layer, head } });
        const reply = mock.sent[before];
        const content = (reply.data as { content: { event: string; id: number; shape: number[] } }).content;
        expect(content).toMatchObject({ event: "head", id: 7, layer, head, shape: [8, 8] });
        const b = reply.buffers[0];
        return Promise.resolve({ data: decodeData<Float32Array>(new DataView(b.buffer, b.byteOffset, b.byteLength)), shape: content.shape });
      },
    });
    change(el.querySelector('select[aria-label="Layer"]') as HTMLSelectElement, "2");
    change(el.querySelector('select[aria-label="Head"]') as HTMLSelectElement, "1");
    await new Promise((r) => setTimeout(r, 0));
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 1.5 * cell, 6.5 * cell);
    const want = pattern.data[(2 * 2 + 1) * 64 + 6 * 8 + 1];
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${want.toFixed(3)}`);

    // A bad request gets an error reply, not a crash.
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_head", id: 8, layer: 9, head: 0 } });
    expect((mock.sent[mock.sent.length - 1].data as { content: object }).content).toMatchObject({ event: "error", id: 8 });
    el.remove();
  });

  it("linkHeads: a head clicked in the score grid is shown by the heatmap (an update with the new head)", () => {
    const pattern = causalPatterns(2, 2, 8, 6);
    const hm = new HeatmapFigure(pattern, TOKENS, { maxBytes: 100 });
    const grid = figure({ view: "headscores", scores: { sink: { data: new Float32Array(4), shape: [2, 2] } } });
    linkHeads(grid, hm);
    const before = mock.sent.length;
    mock.fromFrontEnd(grid.id, { method: "update", state: { selected: { layer: 1, head: 0, kind: "sink" } }, buffer_paths: [] });
    const update = mock.sent.slice(before).find((m) => m.kind === "msg" && (m.data as { method: string }).method === "update" && (m.data as { state: { data?: unknown } }).state.data)!;
    expect((update.data as { state: { data: { layer: number; head: number } } }).state.data).toMatchObject({ layer: 1, head: 0 });
    const sentHead = new Float32Array(update.buffers[0].buffer.slice(update.buffers[0].byteOffset, update.buffers[0].byteOffset + update.buffers[0].byteLength));
    expect(Array.from(sentHead)).toEqual(Array.from(pattern.data.subarray(2 * 64, 3 * 64)));
    expect(() => hm.show(5, 0)).toThrow(/layer 5 is not among the layers/);
  });

  it("a click in the view (selected trait) reaches onSelect in the kernel", () => {
    const w = figure({ view: "headscores", scores: { induction: { data: new Float32Array([0.1, 0.9, 0.3, 0.2]), shape: [2, 2] } } });
    const got: unknown[] = [];
    w.onSelect((s) => got.push(s));
    mock.fromFrontEnd(w.id, { method: "update", state: { selected: { layer: 0, head: 1, kind: "induction" } }, buffer_paths: [] });
    expect(got).toEqual([{ layer: 0, head: 1, kind: "induction" }]);
  });

});

describe("figure(result)", () => {
  it("maps method results to views by kind", () => {
    const hs = figure({ kind: "head-scores", scores: { previous_token: new Float32Array(6), sink: new Float32Array(6) }, shape: [2, 3] });
    expect(hs.view).toBe("headscores");
    const ind = figure({ kind: "induction-scores", prefixMatching: new Float32Array(4), copying: new Float32Array(4), shape: [2, 2] });
    expect(Object.keys((ind.get("data") as { scores: object }).scores)).toEqual(["prefix matching", "copying"]);
    const p = figure({ kind: "activation-patching", data: new Float32Array(6), shape: [2, 3], dims: ["layer", "pos"], tokens: ["a", "b", "c"], site: "resid_pre", settings: { metric: "logit diff" } });
    expect(p.view).toBe("patching");
    expect(p.get("data")).toMatchObject({ kind: "position", activation: "resid_pre" });
    const one = figure({ kind: "attention-pattern", data: new Float32Array(4), shape: [2, 2], tokens: ["a", "b"], settings: { layer: 3, head: 5 } });
    expect(one.get("data")).toMatchObject({ layer: 3, head: 5 });
    const layer = figure({ kind: "attention-pattern", data: new Float32Array(8), shape: [2, 2, 2], tokens: ["a", "b"], settings: { layer: 4, head: null } });
    expect((layer.get("data") as { layers: number[] }).layers).toEqual([4]);
    expect(figure(causalPatterns(1, 2, 8), TOKENS)).toBeInstanceOf(HeatmapFigure);
    const grid = { scores: new Float32Array(6), indirect: new Float32Array(6) };
    const trace = figure({
      kind: "causal-trace", tokens: ["a", "b", "c"], subjectRange: [0, 1], answer: { id: 5, token: " x" }, pClean: 0.8, pCorrupted: 0.1,
      grids: { mlp: grid, attn: grid }, shape: [3, 2], dims: ["pos", "layer"], partial: false,
      settings: { samples: 10, noise: 0.1234, noiseStdOver: "subject", window: 10, seed: null },
    });
    expect(trace.view).toBe("restoration");
    expect(trace.get("data")).toMatchObject({ subject: [0, 1], answer: " x", hidden: undefined, settings: { samples: 10, noise: "0.123 (subject)" } });
    expect(figure({ view: "probe", layers: [0], properties: [{ name: "x", accuracy: [0.5] }] })).toBeInstanceOf(FigureWidget);
  });

  it("names a patching metric by its token strings (activationPatching's settings.answer/wrong)", () => {
    const base = { kind: "activation-patching", data: new Float32Array(6), shape: [2, 3], dims: ["layer", "pos"], tokens: ["a", "b", "c"], site: "resid_pre" };
    const named = figure({ ...base, settings: { metric: 'logit diff " Mary" − " John"', answer: " Mary", wrong: " John", answerId: 5335, wrongId: 1757 } });
    expect((named.get("data") as { metric: string }).metric).toBe('normalised logit diff " Mary" − " John" (0 corrupted, 1 clean)');
    const custom = figure({ ...base, settings: { metric: "custom" } });
    expect((custom.get("data") as { metric: string }).metric).toBe("normalised custom (0 corrupted, 1 clean)");
  });

  it("bad input names the argument", () => {
    expect(() => figure(causalPatterns(1, 1, 4))).toThrow(/needs its token strings/);
    expect(() => figure({ kind: "nope" })).toThrow(/no view for result kind "nope"/);
    expect(() => figure({ view: "pie" })).toThrow(/view must be one of/);
    expect(() => new HeatmapFigure({ data: new Float32Array(3), shape: [2, 2] }, ["a", "b"])).toThrow(/needs 4 values/);
    expect(() => figure({ view: "heatmap", pattern: { data: new Float32Array(4), shape: [2, 2] }, tokens: ["a"] })).toThrow(/tokens: expected 2 token strings/);
  });
});
