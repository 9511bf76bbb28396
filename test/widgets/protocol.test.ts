import { decodeData, toFloat32 } from "../../widgets/src/protocol";

describe("front-end wire decoding", () => {
  it("turns DataViews at any byte offset into Float32Arrays, keeping JSON as is", () => {
    const src = new Float32Array([0.5, -1, 3.25]);
    const bytes = new Uint8Array(3 + src.byteLength);
    bytes.set(new Uint8Array(src.buffer), 3); // unaligned, as inside a websocket frame
    const dv = new DataView(bytes.buffer, 3, src.byteLength);
    const out = decodeData<{ pattern: { data: Float32Array; shape: number[] }; tokens: string[]; m: { values: unknown }[] }>({
      pattern: { data: dv, shape: [3] },
      tokens: ["a", "b", "c"],
      m: [{ values: new DataView(src.buffer) }],
    });
    expect(out.pattern.data).toBeInstanceOf(Float32Array);
    expect(Array.from(out.pattern.data)).toEqual([0.5, -1, 3.25]);
    expect(out.tokens).toEqual(["a", "b", "c"]);
    expect(Array.from(out.m[0].values as Float32Array)).toEqual([0.5, -1, 3.25]);
  });

  it("rejects buffers that are not whole float32s", () => {
    expect(() => toFloat32(new DataView(new ArrayBuffer(6)))).toThrow(/not a multiple of 4/);
    expect(() => toFloat32("x")).toThrow(/expected a binary buffer/);
  });
});

describe("the table of views (protocol.ts VIEW_NAMES)", () => {
  it("names exactly the renderers in views/index.ts, and the kernel's figure views are the same minus the quiz", () => {
    const views = require("../../widgets/src/views"); // eslint-disable-line @typescript-eslint/no-var-requires
    const { VIEW_NAMES, FIGURE_VIEWS } = require("../../widgets/src/protocol"); // eslint-disable-line @typescript-eslint/no-var-requires
    const renderers = Object.keys(views).filter((k) => typeof views[k]?.render === "function");
    expect(renderers.sort()).toEqual(Object.keys(VIEW_NAMES).sort());
    expect(FIGURE_VIEWS).toEqual(Object.keys(VIEW_NAMES).filter((v) => v !== "quiz"));
    const { figure } = require("../../lib/figures"); // eslint-disable-line @typescript-eslint/no-var-requires
    expect(() => figure({ view: "quiz" })).toThrow(/view must be one of heatmap, .*lens, got "quiz"/);
  });
});
