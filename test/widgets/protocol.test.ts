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
