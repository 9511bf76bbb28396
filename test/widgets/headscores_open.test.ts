/** @jest-environment jsdom */
/// <reference lib="dom" />
// A click on a head in the score grid opens that head's heatmap under the grid, when the
// figure has the patterns (figure(scores, tokens, {patterns})) or the kernel keeps them and
// answers request_head: the view (headscores.ts) and the kernel side (HeadScoresFigure) together.
import { registerCommTransport } from "../../lib/widget";
import { figure, HeadScoresFigure } from "../../lib/figures";
import { decodeData } from "../../widgets/src/protocol";
import { render } from "../../widgets/src/views/headscores";
import type { Tensor } from "../../widgets/src/views/common";
import { TOKENS, causalPatterns, change, mockTransport, mouse } from "./fixtures";

const N = TOKENS.length;
const CELL = 56; // a 2 × 2 grid's cells (headscores.ts)

function scoresOf(pattern: Tensor): Record<string, Tensor> {
  // Previous-token score per head, from the patterns themselves.
  const [L, H] = pattern.shape;
  const prev = new Float32Array(L * H);
  for (let b = 0; b < L * H; b++) for (let i = 1; i < N; i++) prev[b] += pattern.data[b * N * N + i * N + i - 1] / (N - 1);
  return { "previous-token": { data: prev, shape: [L, H] } };
}

const heatmapTitle = (el: Element) => el.querySelector(".attnlab-head-heatmap .attnlab-title")?.textContent ?? null;
const tip = (el: Element) => el.querySelector(".attnlab-headscores > .attnlab-tooltip")!.textContent;

describe("head grid: a click opens that head's heatmap", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("render: with the patterns in the figure, a click draws that head below; its menus move the grid's outline", () => {
    const pattern = causalPatterns(2, 2, N, 3);
    const picked: number[][] = [];
    const cleanup = render(el, { scores: scoresOf(pattern), heads: { tokens: TOKENS, pattern } }, { onSelect: (l, h) => picked.push([l, h]) });
    const hit = el.querySelector(".attnlab-headscores svg rect.hit")!;
    mouse(hit, "mousemove", 1.5 * CELL, 0.5 * CELL);
    expect(tip(el)).toContain("click: open this head's heatmap below");
    expect(heatmapTitle(el)).toBeNull();
    mouse(hit, "click", 1.5 * CELL, 1.5 * CELL); // layer 1, head 1
    expect(picked).toEqual([[1, 1]]);
    expect(heatmapTitle(el)).toBe("Attention pattern: layer 1, head 1");
    // The heatmap draws that head's weights.
    const hm = el.querySelector(".attnlab-head-heatmap")!;
    const cell = Number(hm.querySelector("rect.cell")!.getAttribute("width"));
    mouse(hm.querySelector("rect.hit")!, "mousemove", 2.5 * cell, 5.5 * cell);
    expect(hm.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${pattern.data[(1 * 2 + 1) * N * N + 5 * N + 2].toFixed(3)}`);
    // Its Layer menu picks another head: the grid's outline follows.
    change(hm.querySelector('select[aria-label="Layer"]') as HTMLSelectElement, "0");
    expect(heatmapTitle(el)).toBe("Attention pattern: layer 0, head 1");
    const outline = el.querySelector(".attnlab-headscores svg rect.selected-head")!;
    expect([outline.getAttribute("x"), outline.getAttribute("y")]).toEqual([String(CELL), "0"]);
    // Another click replaces the heatmap (one at a time).
    mouse(hit, "click", 0.5 * CELL, 1.5 * CELL);
    expect(el.querySelectorAll(".attnlab-head-heatmap .attnlab-view").length).toBe(1);
    expect(heatmapTitle(el)).toBe("Attention pattern: layer 1, head 0");
    cleanup();
    expect(el.children.length).toBe(0);
  });

  it("render: without patterns a click only picks the head, as before", () => {
    render(el, { scores: scoresOf(causalPatterns(2, 2, N, 4)) });
    const hit = el.querySelector("rect.hit")!;
    mouse(hit, "mousemove", 0.5 * CELL, 0.5 * CELL);
    expect(tip(el)).toContain("click: pick this head");
    mouse(hit, "click", 0.5 * CELL, 0.5 * CELL);
    expect(el.querySelector(".attnlab-head-heatmap")!.children.length).toBe(0);
  });

  it("figure(scores, tokens, {patterns: cache-like}) keeps small patterns in the figure", () => {
    const pattern = causalPatterns(2, 2, N, 5);
    const cache = {
      names: () => ["blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"],
      get: (name: string) => {
        const l = Number(/blocks\.(\d)/.exec(name)![1]);
        return { shape: [1, 2, N, N], dataSync: () => pattern.data.subarray(l * 2 * N * N, (l + 1) * 2 * N * N) };
      },
    };
    const result = { kind: "head-scores", scores: { sink: new Float32Array(4) }, shape: [2, 2], tokens: [TOKENS] };
    const w = figure(result, TOKENS, { patterns: cache });
    expect(w).toBeInstanceOf(HeadScoresFigure);
    const heads = (w.get("data") as { heads: { tokens: string[]; pattern: Tensor; layers: number[] } }).heads;
    expect(heads.layers).toEqual([0, 1]);
    expect(Array.from(heads.pattern.data)).toEqual(Array.from(pattern.data));
    // The result's own tokens serve when it scored one prompt.
    expect(figure(result, { patterns: pattern })).toBeInstanceOf(HeadScoresFigure);
    expect(() => figure(result, TOKENS, { patterns: causalPatterns(3, 2, N) })).toThrow(/patterns have 3 layers × 2 heads, the scores grid \[2, 2\]/);
    expect(() => figure(result, TOKENS, { patterns: 5 })).toThrow(/patterns must be runWithCache's cache/);
  });

  it("HeadScoresFigure over a comm: large patterns stay in the kernel and a click fetches one head", async () => {
    const mock = mockTransport();
    registerCommTransport(mock.transport);
    try {
      const pattern = causalPatterns(2, 2, N, 6);
      const w = new HeadScoresFigure({ scores: scoresOf(pattern) }, { pattern, tokens: TOKENS }, { maxBytes: 100 });
      const open = mock.sent[0];
      expect((open.data as { buffer_paths: string[][] }).buffer_paths).toEqual([["data", "scores", "previous-token", "data"]]);
      const state = JSON.parse(JSON.stringify((open.data as { state: object }).state)) as { data: Record<string, unknown> };
      const b = open.buffers[0];
      (state.data.scores as Record<string, { data: unknown }>)["previous-token"].data = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const data = decodeData<{ scores: Record<string, Tensor>; heads: { tokens: string[]; pattern?: Tensor } }>(state.data);
      expect(data.heads.pattern).toBeUndefined();
      const asked: string[] = [];
      render(el, data, {
        requestHead: (layer, head) => {
          asked.push(`${layer}.${head}`);
          const before = mock.sent.length;
          mock.fromFrontEnd(w.id, { method: "custom", content: { event: "request_head", id: asked.length, layer, head } });
          const reply = mock.sent[before];
          const content = (reply.data as { content: { event: string; shape: number[] } }).content;
          expect(content.event).toBe("head");
          const r = reply.buffers[0];
          return Promise.resolve({ data: decodeData<Float32Array>(new DataView(r.buffer, r.byteOffset, r.byteLength)), shape: content.shape });
        },
      });
      mouse(el.querySelector("rect.hit")!, "click", 0.5 * CELL, 1.5 * CELL); // layer 1, head 0
      expect(el.querySelector(".attnlab-status")!.textContent).toContain("loading layer 1, head 0");
      await new Promise((r) => setTimeout(r, 0));
      expect(heatmapTitle(el)).toBe("Attention pattern: layer 1, head 0");
      const hm = el.querySelector(".attnlab-head-heatmap")!;
      // The heatmap's own Head menu fetches through the same request.
      change(hm.querySelector('select[aria-label="Head"]') as HTMLSelectElement, "1");
      await new Promise((r) => setTimeout(r, 0));
      expect(asked).toEqual(["1.0", "1.1"]);
      const cell = Number(hm.querySelector("rect.cell")!.getAttribute("width"));
      mouse(hm.querySelector("rect.hit")!, "mousemove", 1.5 * cell, 6.5 * cell);
      expect(hm.querySelector(".attnlab-tooltip")!.textContent).toContain(`weight ${pattern.data[3 * N * N + 6 * N + 1].toFixed(3)}`);
    } finally {
      registerCommTransport(undefined);
    }
  });
});
