/**
 * Method results shown as their figures, over real zmq with the compiled kernel: a cell
 * ending with a result whose kind figure() maps gets the widget view (comm_open sent) and
 * the static fallback; kinds without a view get a short text summary.
 */
import { KernelClient, type Msg } from "./harness";

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
  const r = await k.execute(`
import { createModel, ready, detectHead, attentionPattern, iclScore, figure } from "attnlab";
await ready();
const model = createModel({ arch: "gpt2", nLayers: 2, dModel: 16, nHeads: 2, dVocab: 40, nCtx: 16 }, { seed: 3, initStd: 0.2 });
const ids = [1, 5, 9, 2, 5, 9, 2, 7];`);
  expect(r.reply.content.status).toBe("ok");
}, 120000);
afterAll(async () => {
  await k?.close();
});

const of = (ms: Msg[], t: string) => ms.filter((m) => m.header.msg_type === t);

function result(r: { reply: Msg; iopub: Msg[] }): Record<string, any> {
  if (r.reply.content.status !== "ok") throw new Error(`${r.reply.content.ename}: ${r.reply.content.evalue}\n${k.stream(r.iopub, "stderr")}`);
  const res = of(r.iopub, "execute_result");
  expect(res).toHaveLength(1);
  return res[0].content.data;
}

test("head-detection scores as the last expression show the head-score widget with SVG and text fallbacks", async () => {
  const r = await k.execute(`detectHead(model, ids, "previous_token")`);
  const data = result(r);
  // attnlab's own view type (not ipywidgets' widget-view): see FIGURE_MIME in widgets/src/protocol.ts.
  expect(data["application/vnd.jupyter.widget-view+json"]).toBeUndefined();
  const view = data["application/vnd.attnlab.widget-view+json"];
  expect(view).toMatchObject({ version_major: 2, version_minor: 0, view: "headscores" });
  const open = of(r.iopub, "comm_open").find((m) => m.content.comm_id === view.model_id);
  expect(open).toBeDefined();
  expect(open!.content.target_name).toBe("jupyter.widget");
  expect(open!.content.data.state).toMatchObject({ _model_name: "HeadScoresModel", _view_name: "HeadScoresView", _view_module: "attnlab-widgets" });
  // The scores travel as a binary buffer, not JSON.
  expect(open!.buffers.length).toBeGreaterThan(0);
  expect(String(data["image/svg+xml"] ?? data["text/html"])).toMatch(/^<svg/);
  expect(data["text/plain"]).toMatch(/top head L\dH\d/);
  expect(data["text/plain"]).not.toMatch(/Float32Array/);
});

test("the same bundle as figure(r) would give (same view, same text)", async () => {
  const a = result(await k.execute(`const pat = attentionPattern(model, ids, { layer: 1 }); pat`));
  const b = result(await k.execute(`figure(pat)`));
  expect(a["text/plain"]).toBe(b["text/plain"]);
  // Gradient ids count up per render; the drawing is otherwise the same.
  const svg = (d: Record<string, any>) => String(d["image/svg+xml"]).replace(/attnlab-grad-\d+/g, "grad");
  expect(svg(a)).toMatch(/^<svg/);
  expect(svg(a)).toBe(svg(b));
  expect(a["text/plain"]).toMatch(/^Attention heatmap/);
  expect(a["application/vnd.attnlab.widget-view+json"].model_id).not.toBe(b["application/vnd.attnlab.widget-view+json"].model_id);
});

test("a result whose kind has no view keeps a short text summary with typed arrays as Float32Array[shape]", async () => {
  const r = await k.execute(`const big = { kind: "my-own-kind", data: new Float32Array(2_000_000), shape: [1000, 2000], note: "hi" }; big`);
  const data = result(r);
  expect(Object.keys(data)).toEqual(["text/plain"]);
  expect(data["text/plain"]).toContain("Float32Array[1000, 2000]");
  expect(data["text/plain"]).toContain("'my-own-kind'");
  expect(data["text/plain"].length).toBeLessThan(500);
  expect(of(r.iopub, "comm_open")).toEqual([]);
  const icl = result(await k.execute(`iclScore(model, [ids.concat(ids)], { early: 1, late: 10 })`));
  expect(Object.keys(icl)).toEqual(["text/plain"]);
  expect(icl["text/plain"]).toMatch(/kind: 'icl-score'/);
  expect(icl["text/plain"]).toMatch(/Float32Array\[\d+\]/);
});

test("a mapped kind with data figure() rejects shows the summary and the reason", async () => {
  const data = result(await k.execute(`({ kind: "head-detection", scores: new Float32Array(3), shape: [2, 2], tokens: [] })`));
  expect(Object.keys(data)).toEqual(["text/plain"]);
  expect(data["text/plain"]).toContain("Float32Array[3]");
  expect(data["text/plain"]).toMatch(/no figure: .*scores/);
});

/* ---- progress bars: display_data under a display_id, then update_display_data in place ---- */

interface BarMsgs {
  id: string;
  shown: Msg;
  updates: Msg[];
  last: string;
}

function bars(iopub: Msg[]): BarMsgs[] {
  const shown = of(iopub, "display_data").filter((m) => String(m.content.data["text/html"] ?? "").includes("attnlab-progress"));
  return shown.map((s) => {
    const id = s.content.transient?.display_id;
    const updates = of(iopub, "update_display_data").filter((m) => m.content.transient?.display_id === id);
    const last = (updates.length ? updates[updates.length - 1] : s).content.data["text/plain"];
    return { id, shown: s, updates, last };
  });
}

const TRACE = `{ subject: [1, 3] as [number, number], samples: 2, window: 2, seed: 1, workers: 0 }`;

test("a causal trace in a cell shows a progress bar by default, labelled with its forward passes, updated in place to 100%", async () => {
  const r = await k.execute(`
import { causalTrace, progressBar } from "attnlab";
const tm = createModel({ arch: "gpt2", nLayers: 4, dModel: 16, nHeads: 2, dVocab: 40, nCtx: 16 }, { seed: 5, initStd: 0.3 });
let announced = 0;
const tr = await causalTrace(tm, ids, { ...${TRACE}, onPlan: (p) => (announced = p.forwardPasses) });
[tr.partial, announced]`);
  expect(result(r)["text/plain"]).toMatch(/^\[ false, \d+ \]$/);
  const announced = Number(/(\d+) \]$/.exec(result(r)["text/plain"])![1]);
  const [bar, ...more] = bars(r.iopub);
  expect(more).toEqual([]);
  expect(bar.id).toMatch(/^[0-9a-f]{16}$/);
  expect(bar.shown.parent_header.msg_id).toBe(r.id);
  expect(bar.shown.content.data["text/plain"]).toContain(`causalTrace: ${announced} forward passes`);
  expect(bar.updates.length).toBeGreaterThanOrEqual(1);
  expect(bar.updates.every((u) => u.parent_header.msg_id === r.id)).toBe(true);
  expect(bar.last).toMatch(/done (\d+)\/\1 \(100%\)/);
  expect(bar.updates[bar.updates.length - 1].content.data["text/html"]).toContain("width:100.0%");
  // The bar goes out before the result.
  const order = r.iopub.map((m) => m.header.msg_type);
  expect(order.indexOf("display_data")).toBeLessThan(order.indexOf("execute_result"));
});

test("a cancelled run leaves the bar reading partial", async () => {
  const r = await k.execute(`
const ac = new AbortController();
const bar = progressBar("my trace", { signal: ac.signal });
const part = await causalTrace(tm, ids, { ...${TRACE}, signal: ac.signal, onPlan: bar.onPlan,
  onProgress: (e) => { bar(e); if (e.done >= 1) ac.abort(); } });
part.partial`);
  expect(result(r)["text/plain"]).toBe("true");
  const [bar] = bars(r.iopub);
  expect(bar.shown.content.data["text/plain"]).toMatch(/^my trace: \d+ forward passes/);
  expect(bar.updates.length).toBeGreaterThanOrEqual(1);
  expect(bar.last).toMatch(/partial: cancelled at \d+\/\d+/);
  expect(bar.last).not.toMatch(/100%/);
});

test("updates are throttled to about 5 per second, and the last one is always sent", async () => {
  const r = await k.execute(`
const slow = progressBar("busy");
const t0 = Date.now();
for (let i = 1; i <= 60; i++) { const until = Date.now() + 20; while (Date.now() < until); slow({ done: i, total: 60, etaSeconds: (60 - i) * 0.02 }); }
Date.now() - t0`);
  const ms = Number(result(r)["text/plain"]);
  const [bar] = bars(r.iopub);
  // 60 events over ≥ 1.2 s: one display, then at most one update per 200 ms plus the final one.
  expect(bar.updates.length).toBeGreaterThanOrEqual(3);
  expect(bar.updates.length).toBeLessThanOrEqual(Math.ceil(ms / 200) + 1);
  expect(bar.last).toContain("done 60/60 (100%)");
});

test("no bar with progressBar: false or an explicit onProgress: undefined", async () => {
  for (const extra of ["progressBar: false", "onProgress: undefined"]) {
    const r = await k.execute(`(await causalTrace(tm, ids, { ...${TRACE}, ${extra} })).partial`);
    expect(result(r)["text/plain"]).toBe("false");
    expect(bars(r.iopub)).toEqual([]);
  }
});
