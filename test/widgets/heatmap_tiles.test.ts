/** @jest-environment jsdom */
/// <reference lib="dom" />
// A long heatmap end to end across a mock comm: HeatmapFigure (lib/figures) sends the overview
// only and answers request_tile; the heatmap view (widgets/src/views/heatmap.ts) paints the
// overview, zooms with stand-ins and draws the exact tile the kernel sends back.
import { registerCommTransport } from "../../lib/widget";
import { HeadScoresFigure, HeatmapFigure } from "../../lib/figures";
import { decodeData, toFloat32 } from "../../widgets/src/protocol";
import { poolMax, type Asked, type Tile } from "../../widgets/src/tiles";
import { render } from "../../widgets/src/views/heatmap";
import { render as renderGrid } from "../../widgets/src/views/headscores";
import { causalPatterns, change, frontEndState, mockTransport, mouse, randomMatrix, type Sent } from "./fixtures";

const N = 700; // more tokens than the plot's 560 px: the kernel keeps the pattern
const tokens = Array.from({ length: N }, (_, i) => ` w${i}`);
const settle = () => new Promise((r) => setTimeout(r, 0));

/** The view's data and options as the front end decodes them from a comm_open. */
function viewState(open: Sent): { data: Record<string, unknown>; options: Record<string, unknown> } {
  const state = frontEndState(open) as { data: unknown; options: Record<string, unknown> };
  return { data: decodeData<Record<string, unknown>>(state.data), options: state.options };
}

describe("HeatmapFigure with a long context: overview and tiles", () => {
  let mock: ReturnType<typeof mockTransport>;
  let el: HTMLDivElement;
  const pattern = causalPatterns(1, 2, N, 9); // [1, 2, 700, 700], 3.9 MB
  const head = (h: number) => pattern.data.subarray(h * N * N, (h + 1) * N * N);
  beforeEach(() => {
    mock = mockTransport();
    registerCommTransport(mock.transport);
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => {
    registerCommTransport(undefined);
    el.remove();
  });

  /** The live view's requestTile: the custom message through the kernel side, its reply as a Tile. */
  const requester = (w: { id: string }, asked: string[]) => (q: { layer: number; head: number; win: Tile["win"]; h: number; w: number; shown: Asked }): Promise<Tile> => {
    const before = mock.sent.length;
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_tile", id: before, layer: q.layer, head: q.head, ...q.win, h: q.h, w: q.w, ...q.shown } });
    const reply = mock.sent[before];
    const content = (reply.data as { content: { event: string; max: number; mask: boolean; message?: string } }).content;
    if (content.event !== "tile") return Promise.reject(new Error(content.message));
    asked.push(`${q.head}:${q.win.r0},${q.win.c0},${q.win.nr},${q.win.nc}:${q.h}x${q.w}${q.shown.mask === "auto" ? ":auto" : ""}`);
    return Promise.resolve({ ...q, shown: { mask: content.mask, normalise: q.shown.normalise }, values: toFloat32(reply.buffers[0]), max: content.max });
  };

  it("HeatmapFigure sends the overview (the head max-pooled to 560 × 560), never the pattern", () => {
    const w = new HeatmapFigure(pattern, tokens, { maxBytes: 1000 });
    const open = mock.sent[0];
    expect((open.data as { buffer_paths: unknown }).buffer_paths).toEqual([["data", "overview", "data"]]);
    expect(open.buffers[0].byteLength).toBe(560 * 560 * 4);
    const { data } = viewState(open);
    expect(data.pattern).toBeUndefined();
    expect(data.overviewMask).toBe(true);
    const want = poolMax(head(0), N, { r0: 0, c0: 0, nr: N, nc: N }, 560, 560, { mask: true, normalise: "raw" });
    expect(Array.from((data.overview as { data: Float32Array }).data)).toEqual(Array.from(want));
    expect(w.toString()).toBe("Attention heatmap (layer 0, head 0): 700 query × 700 key tokens");
    w.close();
  });

  it("request_tile is answered with the exact window, or an error naming the bad field", () => {
    const w = new HeatmapFigure(pattern, tokens, { maxBytes: 1000 });
    const t = w.tile(0, 1, { r0: 100, c0: 90, nr: 20, nc: 30, h: 20, w: 30, mask: false, normalise: "raw" });
    for (let i = 0; i < 20; i++) for (let j = 0; j < 30; j++) expect(t.values[i * 30 + j]).toBe(head(1)[(100 + i) * N + 90 + j]);
    expect(t.max).toBeGreaterThan(0.05);
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_tile", id: 3, layer: 0, head: 0, r0: 0, c0: 0, nr: N, nc: N, h: 701, w: 10, mask: true, normalise: "raw" } });
    expect((mock.sent[mock.sent.length - 1].data as { content: object }).content).toEqual({ event: "error", id: 3, message: "request_tile: h must be an integer in [1, 700], got 701" });
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_tile", id: 4, layer: 0, head: 2, r0: 0, c0: 0, nr: 1, nc: 1, h: 1, w: 1, mask: true, normalise: "raw" } });
    expect((mock.sent[mock.sent.length - 1].data as { content: object }).content).toMatchObject({ event: "error", id: 4, message: expect.stringMatching(/head must be an integer in \[0, 2\)/) });
    w.close();
  });

  it("the view paints the overview at once, zooms with a stand-in, then draws the exact tile; a head comes as its overview", async () => {
    const w = new HeatmapFigure(pattern, tokens, { maxBytes: 1000 });
    const { data, options } = viewState(mock.sent[0]);
    const asked: string[] = [];
    render(el, data as never, { ...options, requestTile: requester(w, asked) });
    expect(asked).toEqual([]); // the overview is the whole view: nothing to fetch
    expect((el.querySelector("canvas.cells-canvas") as HTMLCanvasElement).width).toBe(560);
    const status = () => el.querySelector(".attnlab-status")!.textContent;
    const tip = () => el.querySelector(".attnlab-tooltip")!.textContent;
    const hit = el.querySelector("rect.hit")!;
    expect(status()).toBe("");
    // Seen whole, a pixel holds up to 2 × 2 tokens: the tooltip gives its block's largest weight.
    mouse(hit, "mousemove", 200.5, 300.5);
    expect(tip()).toMatch(/^query 375: ␣w375\nkey 250: ␣w250\nlargest weight of queries 375–376 × keys 250–251: \d\.\d{3}\nzoom in for each weight$/);

    const zoomIn = el.querySelector('button[aria-label="zoom in"]') as HTMLButtonElement;
    for (let k = 0; k < 6; k++) zoomIn.click();
    // Clicks come faster than replies: one request in flight, then the window as it is by then.
    expect(status()).toBe("loading the exact weights…");
    await settle();
    await settle();
    expect(status()).toBe("");
    const info = el.querySelector(".attnlab-zoom-info")!.textContent!;
    const [, r0, r1] = /^queries (\d+)–(\d+)/.exec(info)!.map(Number);
    const nr = r1 - r0 + 1;
    expect(nr).toBe(18); // 32 px cells
    expect(asked[asked.length - 1]).toBe(`0:${r0},${r0},18,18:18x18`);
    expect(asked.length).toBeLessThanOrEqual(3);
    const cell = 560 / 18;
    mouse(hit, "mousemove", 3.5 * cell, 5.5 * cell);
    expect(tip()).toBe(`query ${r0 + 5}: ${tokens[r0 + 5].replace(" ", "␣")}\nkey ${r0 + 3}: ${tokens[r0 + 3].replace(" ", "␣")}\nweight ${head(0)[(r0 + 5) * N + r0 + 3].toFixed(3)}`);

    // Another head: fetched as its own overview at this zoom (one head at a time), title follows when painted.
    change(el.querySelector('select[aria-label="Head"]') as HTMLSelectElement, "1");
    expect(status()).toBe("loading layer 0, head 1…");
    await settle();
    await settle();
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Attention pattern: layer 0, head 1");
    expect(asked[asked.length - 1]).toBe(`1:${r0},${r0},18,18:18x18`);
    mouse(hit, "mousemove", 3.5 * cell, 5.5 * cell);
    expect(tip()).toContain(`weight ${head(1)[(r0 + 5) * N + r0 + 3].toFixed(3)}`);
    w.close();
  });

  it("HeadScoresFigure over long patterns: a click opens that head as its overview (request_tile, mask decided by the kernel), never request_head; the heatmap's menus fetch each head's overview", async () => {
    const patterns = causalPatterns(2, 2, N, 12); // [2, 2, 700, 700]
    const headOf = (l: number, h: number) => patterns.data.subarray((l * 2 + h) * N * N, (l * 2 + h + 1) * N * N);
    const scores = { "previous-token": { data: new Float32Array([0.1, 0.4, 0.3, 0.2]), shape: [2, 2] } };
    const w = new HeadScoresFigure({ scores }, { pattern: patterns, tokens }, { maxBytes: 1000 });
    const open = mock.sent[0];
    // Only the scores cross with the figure.
    expect((open.data as { buffer_paths: unknown }).buffer_paths).toEqual([["data", "scores", "previous-token", "data"]]);
    const { data } = viewState(open);
    expect((data.heads as { pattern?: unknown }).pattern).toBeUndefined();
    const asked: string[] = [];
    const wholeHeads: string[] = [];
    renderGrid(el, data as never, { requestTile: requester(w, asked), requestHead: (l, h) => (wholeHeads.push(`${l}.${h}`), Promise.reject(new Error("whole head"))) });
    const CELL = 56; // a 2 × 2 grid's cells
    mouse(el.querySelector(".attnlab-headscores svg rect.hit")!, "click", 0.5 * CELL, 1.5 * CELL); // layer 1, head 0
    expect(el.querySelector(".attnlab-status")!.textContent).toBe("loading layer 1, head 0…");
    await settle();
    const hm = el.querySelector(".attnlab-head-heatmap")!;
    expect(hm.querySelector(".attnlab-title")!.textContent).toBe("Attention pattern: layer 1, head 0");
    expect(asked).toEqual(["0:0,0,700,700:560x560:auto"]);
    expect(wholeHeads).toEqual([]);
    // The kernel found the head causal: the heatmap masks key > query and shows the head's overview.
    expect((hm.querySelector('input[type="checkbox"]') as HTMLInputElement).checked).toBe(true);
    expect((hm.querySelector("canvas.cells-canvas") as HTMLCanvasElement).width).toBe(560);
    const overview = poolMax(headOf(1, 0), N, { r0: 0, c0: 0, nr: N, nc: N }, 560, 560, { mask: true, normalise: "raw" });
    mouse(hm.querySelector("rect.hit")!, "mousemove", 200.5, 300.5);
    expect(hm.querySelector(".attnlab-tooltip")!.textContent).toContain(`: ${overview[300 * 560 + 200].toFixed(3)}\nzoom in for each weight`);
    // Its Head menu asks for head 1's overview (as shown now: masked), and the grid's outline follows.
    change(hm.querySelector('select[aria-label="Head"]') as HTMLSelectElement, "1");
    await settle();
    await settle();
    expect(asked[asked.length - 1]).toBe("1:0,0,700,700:560x560");
    expect(hm.querySelector(".attnlab-title")!.textContent).toBe("Attention pattern: layer 1, head 1");
    const outline = el.querySelector(".attnlab-headscores svg rect.selected-head")!;
    expect([outline.getAttribute("x"), outline.getAttribute("y")]).toEqual([String(CELL), String(CELL)]);
    expect(wholeHeads).toEqual([]);
    // A whole long head is refused by the kernel: one head never crosses whole.
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_head", id: 9, layer: 1, head: 0 } });
    expect((mock.sent[mock.sent.length - 1].data as { content: object }).content).toEqual({ event: "error", id: 9, message: "request_head: this figure's heads are long; ask for them with request_tile" });
    w.close();
  });

  it("request_tile with mask \"auto\": the kernel masks a causal head and not one with weights above the diagonal, and says which", () => {
    const full = randomMatrix(N, N, 4); // every weight non-zero
    const w = new HeadScoresFigure({ scores: { s: { data: new Float32Array([0.5]), shape: [1, 1] } } }, { pattern: { data: full.data, shape: [1, 1, N, N] }, tokens }, { maxBytes: 1000 });
    const asked: string[] = [];
    const whole = { r0: 0, c0: 0, nr: N, nc: N };
    return requester(w, asked)({ layer: 0, head: 0, win: whole, h: 560, w: 560, shown: { mask: "auto", normalise: "raw" } }).then((t) => {
      expect(t.shown.mask).toBe(false);
      expect(Array.from(t.values)).toEqual(Array.from(poolMax(full.data, N, whole, 560, 560, { mask: false, normalise: "raw" })));
      w.close();
    });
  });

  it("without a kernel (saved notebook): the overview is drawn, zoom enlarges its blocks, and the view says so", () => {
    const w = new HeatmapFigure(pattern, tokens, { maxBytes: 1000 });
    const { data, options } = viewState(mock.sent[0]);
    w.close();
    render(el, data as never, options);
    expect(el.querySelector(".attnlab-status")!.textContent).toBe("");
    (el.querySelector('button[aria-label="zoom in"]') as HTMLButtonElement).click();
    expect(el.querySelector(".attnlab-status")!.textContent).toMatch(/^no kernel: the overview saved with the figure/);
    mouse(el.querySelector("rect.hit")!, "mousemove", 10.5, 20.5);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toMatch(/weight ≈ \d\.\d{3} \(its block's largest; exact weights need the kernel\)$/);
  });
});
