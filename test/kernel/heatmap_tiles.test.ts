/**
 * A long heatmap in the real kernel over zmq (compiled dist): the comm_open carries the
 * overview (the head max-pooled to 560 × 560) and no pattern, the display bundle its static
 * SVG, and a request_tile custom message gets the exact window back as one float32 buffer
 * (or an error naming the bad field): the kernel side of the overview/tile protocol
 * (widgets/src/tiles.ts).
 */
import { KernelClient, type Msg } from "./harness";
import { poolMax } from "../../widgets/src/tiles";

let k: KernelClient;
const N = 1000;
const H = 2;

// The same seeded causal pattern as the cell makes (its own rng: the test needs only HeatmapFigure).
function pattern(): Float32Array {
  let a = 11;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const data = new Float32Array(H * N * N);
  for (let h = 0; h < H; h++)
    for (let i = 0; i < N; i++) {
      const o = (h * N + i) * N;
      let s = 0;
      for (let j = 0; j <= i; j++) s += data[o + j] = Math.exp(3 * r());
      for (let j = 0; j <= i; j++) data[o + j] /= s;
    }
  return data;
}

beforeAll(async () => {
  k = await KernelClient.start();
  const r = await k.execute(`
import { HeatmapFigure } from "attnlab";
${pattern.toString()}
const N = ${N}, H = ${H};
const hm = new HeatmapFigure({ data: pattern(), shape: [1, H, N, N] }, Array.from({ length: N }, (_, i) => " w" + i), { maxBytes: 2 ** 20 });
hm`);
  if (r.reply.content.status !== "ok") throw new Error(`${r.reply.content.ename}: ${r.reply.content.evalue}`);
  opened = r;
}, 180000);
afterAll(async () => {
  await k?.close();
});

let opened: { reply: Msg; iopub: Msg[] };
const of = (ms: Msg[], t: string) => ms.filter((m) => m.header.msg_type === t);
const f32 = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
const want = pattern();
const head = (h: number) => want.subarray(h * N * N, (h + 1) * N * N);

test("HeatmapFigure of a 1,000-token pattern over maxBytes opens with the overview only, and shows its static SVG", () => {
  const open = of(opened.iopub, "comm_open")[0];
  const { state, buffer_paths } = open.content.data;
  expect(buffer_paths).toEqual([["data", "overview", "data"]]);
  expect(state.data.pattern).toBeUndefined();
  expect(state.data.overview.shape).toEqual([560, 560]);
  expect(state.data.overviewMask).toBe(true);
  expect(open.buffers).toHaveLength(1);
  const overview = f32(open.buffers[0]);
  expect(Array.from(overview)).toEqual(Array.from(poolMax(head(0), N, { r0: 0, c0: 0, nr: N, nc: N }, 560, 560, { mask: true, normalise: "raw" })));
  const data = of(opened.iopub, "execute_result")[0].content.data;
  expect(data["image/svg+xml"]).toMatch(/<svg[^>]*>.*<image[^>]*class="cells-raster"/s);
  expect(data["text/plain"]).toBe("Attention heatmap (layer 0, head 0): 1000 query × 1000 key tokens");
});

test("request_tile: the kernel answers a zoomed window with its exact weights, and a bad request with an error", async () => {
  const id = of(opened.iopub, "comm_open")[0].content.comm_id;
  const ask = async (content: Record<string, unknown>) => {
    const iopub = await k.post("comm_msg", { comm_id: id, data: { method: "custom", content } });
    return of(iopub, "comm_msg").find((m) => m.content.comm_id === id)!;
  };
  const reply = await ask({ event: "request_tile", id: 5, layer: 0, head: 1, r0: 400, c0: 380, nr: 30, nc: 40, h: 30, w: 40, mask: true, normalise: "raw" });
  expect(reply.content.data.content).toMatchObject({ event: "tile", id: 5, layer: 0, head: 1, r0: 400, c0: 380, nr: 30, nc: 40, h: 30, w: 40, mask: true, normalise: "raw" });
  const tile = f32(reply.buffers[0]);
  expect(tile.length).toBe(30 * 40);
  for (let i = 0; i < 30; i++)
    for (let j = 0; j < 40; j++) {
      const v = 380 + j > 400 + i ? NaN : head(1)[(400 + i) * N + 380 + j];
      expect(tile[i * 40 + j]).toBe(v);
    }
  let max = 0;
  for (let i = 0; i < N * N; i++) if (head(1)[i] > max) max = head(1)[i];
  expect(reply.content.data.content.max).toBeCloseTo(max, 6);

  const bad = await ask({ event: "request_tile", id: 6, layer: 0, head: 0, r0: 990, c0: 0, nr: 20, nc: 5, h: 5, w: 5, mask: true, normalise: "raw" });
  expect(bad.content.data.content).toEqual({ event: "error", id: 6, message: "request_tile: nr must be an integer in [1, 10], got 20" });
  // The kernel lives on.
  expect(await k.value("hm.view")).toBe("'heatmap'");
});

test("HeadScoresFigure over long patterns: a grid's request_tile with mask \"auto\" gets the head's masked overview; request_head of a long head is refused", async () => {
  const r = await k.execute(`
import { HeadScoresFigure } from "attnlab";
const grid = new HeadScoresFigure({ scores: { s: { data: new Float32Array([0.1, 0.2]), shape: [1, 2] } } }, { pattern: { data: pattern(), shape: [1, H, N, N] }, tokens: Array.from({ length: N }, (_, i) => " w" + i) }, { maxBytes: 2 ** 20 });
grid`);
  if (r.reply.content.status !== "ok") throw new Error(`${r.reply.content.ename}: ${r.reply.content.evalue}`);
  const open = of(r.iopub, "comm_open")[0];
  expect(open.content.data.state.data.heads.pattern).toBeUndefined();
  const id = open.content.comm_id;
  const ask = async (content: Record<string, unknown>) => {
    const iopub = await k.post("comm_msg", { comm_id: id, data: { method: "custom", content } });
    return of(iopub, "comm_msg").find((m) => m.content.comm_id === id)!;
  };
  const reply = await ask({ event: "request_tile", id: 1, layer: 0, head: 1, r0: 0, c0: 0, nr: N, nc: N, h: 560, w: 560, mask: "auto", normalise: "raw" });
  expect(reply.content.data.content).toMatchObject({ event: "tile", id: 1, head: 1, h: 560, w: 560, mask: true, normalise: "raw" });
  const want = poolMax(head(1), N, { r0: 0, c0: 0, nr: N, nc: N }, 560, 560, { mask: true, normalise: "raw" });
  expect(Array.from(f32(reply.buffers[0]))).toEqual(Array.from(want));
  const whole = await ask({ event: "request_head", id: 2, layer: 0, head: 0 });
  expect(whole.content.data.content).toEqual({ event: "error", id: 2, message: "request_head: this figure's heads are long; ask for them with request_tile" });
  expect(whole.buffers).toHaveLength(0);
});
