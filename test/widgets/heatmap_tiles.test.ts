/** @jest-environment jsdom */
/// <reference lib="dom" />
// A long heatmap end to end across a mock comm: HeatmapFigure (lib/figures) sends the overview
// only and answers request_tile; the heatmap view (widgets/src/views/heatmap.ts) paints the
// overview, zooms with stand-ins and draws the exact tile the kernel sends back.
import { registerCommTransport } from "../../lib/widget";
import { HeatmapFigure } from "../../lib/figures";
import { decodeData, toFloat32 } from "../../widgets/src/protocol";
import { poolMax, type Tile } from "../../widgets/src/tiles";
import { render } from "../../widgets/src/views/heatmap";
import { causalPatterns, change, frontEndState, mockTransport, mouse, type Sent } from "./fixtures";

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
  const requester = (w: HeatmapFigure, asked: string[]) => (q: { layer: number; head: number; win: Tile["win"]; h: number; w: number; shown: Tile["shown"] }): Promise<Tile> => {
    const before = mock.sent.length;
    mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_tile", id: before, layer: q.layer, head: q.head, ...q.win, h: q.h, w: q.w, ...q.shown } });
    const reply = mock.sent[before];
    const content = (reply.data as { content: { event: string; max: number; message?: string } }).content;
    if (content.event !== "tile") return Promise.reject(new Error(content.message));
    asked.push(`${q.head}:${q.win.r0},${q.win.c0},${q.win.nr},${q.win.nc}:${q.h}x${q.w}`);
    return Promise.resolve({ ...q, values: toFloat32(reply.buffers[0]), max: content.max });
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
