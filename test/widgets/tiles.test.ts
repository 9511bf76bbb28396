// The overview/tile contract of long heatmaps (widgets/src/tiles.ts), on small arrays: the
// pooling both the kernel and the view use, the stand-in resampling and the request checks.
import { MAX_TILE, checkTileRequest, maxOf, plotSize, poolMax, resample, rowMaxima, tileKey, tileShape, type Tile } from "../../widgets/src/tiles";

// 4 × 4, row-major; upper triangle non-zero on purpose so the mask shows.
const M = new Float32Array([
  1, 9, 0, 0, //
  2, 3, 8, 0, //
  4, 0, 5, 7, //
  0, 6, 1, 2,
]);
const whole = { r0: 0, c0: 0, nr: 4, nc: 4 };
const raw = { mask: false, normalise: "raw" as const };
const arr = (a: Float32Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

describe("poolMax", () => {
  it("at one pixel per token is the window itself", () => {
    expect(arr(poolMax(M, 4, whole, 4, 4, raw))).toEqual(Array.from(M));
    expect(arr(poolMax(M, 4, { r0: 1, c0: 2, nr: 2, nc: 2 }, 2, 2, raw))).toEqual([8, 0, 5, 7]);
  });

  it("takes each block's largest weight (2 × 2 blocks of 2 × 2 tokens)", () => {
    expect(arr(poolMax(M, 4, whole, 2, 2, raw))).toEqual([9, 8, 6, 7]);
  });

  it("uneven blocks: token i goes to pixel floor(i·h/n) (3 tokens on 2 pixels: {0, 1}, {2})", () => {
    expect(arr(poolMax(M, 4, { r0: 0, c0: 0, nr: 3, nc: 3 }, 2, 2, raw))).toEqual([9, 8, 4, 5]);
  });

  it("with the mask, key > query cells are left out and a block with none left is NaN", () => {
    expect(arr(poolMax(M, 4, whole, 2, 2, { mask: true, normalise: "raw" }))).toEqual([3, null, 6, 5]); // (2, 3) = 7 is masked
    expect(arr(poolMax(M, 4, whole, 4, 4, { mask: true, normalise: "raw" }))).toEqual([1, null, null, null, 2, 3, null, null, 4, 0, 5, null, 0, 6, 1, 2]);
  });

  it("row mode divides by each row's maximum before pooling", () => {
    const { rowMax, max } = rowMaxima(M, 4, 4, true);
    expect(Array.from(rowMax)).toEqual([1, 3, 5, 6]);
    expect(max).toBe(6);
    const got = poolMax(M, 4, whole, 2, 2, { mask: true, normalise: "row" }, rowMax);
    // Block (0, 0): rows 0-1 keys 0-1 masked: 1/1, 2/3, 3/3 -> 1; block (1, 0): 4/5, 0, 0, 6/6 -> 1.
    expect(arr(got)).toEqual([1, null, 1, 1]);
    expect(() => poolMax(M, 4, whole, 2, 2, { mask: true, normalise: "row" })).toThrow(/row maxima/);
  });

  it("rejects more pixels than tokens", () => {
    expect(() => poolMax(M, 4, whole, 5, 4, raw)).toThrow(/1 ≤ h ≤ 4/);
  });

  it("the pooled overview keeps the largest weight of all (the colour scale's top)", () => {
    expect(maxOf(poolMax(M, 4, whole, 1, 1, raw))).toBe(9);
    expect(maxOf(new Float32Array([NaN, -1]))).toBe(0);
  });
});

describe("resample (the stand-in while a tile loads)", () => {
  const overview: Tile = { layer: 0, head: 0, win: whole, h: 2, w: 2, shown: raw, values: new Float32Array([9, 8, 6, 7]), max: 9 };
  it("enlarges the overview's blocks over a zoomed window", () => {
    expect(arr(resample(overview, { r0: 1, c0: 1, nr: 2, nc: 2 }, 2, 2))).toEqual([9, 8, 6, 7]);
    expect(arr(resample(overview, { r0: 2, c0: 0, nr: 2, nc: 2 }, 2, 2))).toEqual([6, 6, 6, 6]);
  });
  it("is NaN outside the tile it comes from", () => {
    const part: Tile = { ...overview, win: { r0: 0, c0: 0, nr: 2, nc: 2 }, values: new Float32Array([1, 2, 3, 4]) };
    expect(arr(resample(part, { r0: 1, c0: 1, nr: 2, nc: 2 }, 2, 2))).toEqual([4, null, null, null]);
  });
});

describe("plot geometry", () => {
  it("plotSize: cells of up to 24 px while tokens fit, else the longest side is the plot's size", () => {
    expect(plotSize(8, 8)).toEqual({ cell: 24, width: 192, height: 192 });
    expect(plotSize(4096, 4096)).toEqual({ cell: 560 / 4096, width: 560, height: 560 });
    expect(plotSize(2048, 4096).height).toBe(280);
  });
  it("tileShape: one pixel per token while they fit, the plot's pixels otherwise", () => {
    expect(tileShape({ r0: 0, c0: 0, nr: 4096, nc: 4096 }, 560, 560)).toEqual([560, 560]);
    expect(tileShape({ r0: 100, c0: 0, nr: 18, nc: 300 }, 560, 560)).toEqual([18, 300]);
  });
  it("tileKey names head, window, pixels and how weights are shown", () => {
    expect(tileKey(3, 1, { r0: 2, c0: 4, nr: 8, nc: 9 }, 8, 9, { mask: true, normalise: "row" })).toBe("3/1/2,4,8,9/8x9/mrow");
  });
});

describe("checkTileRequest", () => {
  const ok = { r0: 0, c0: 0, nr: 4, nc: 4, h: 2, w: 2, mask: true, normalise: "raw" as const };
  it("accepts a window inside the head", () => {
    expect(checkTileRequest(ok, 4, 4)).toEqual({ win: whole, h: 2, w: 2, shown: { mask: true, normalise: "raw" } });
  });
  it("names the bad field", () => {
    expect(() => checkTileRequest({ ...ok, r0: 1 }, 4, 4)).toThrow(/nr must be an integer in \[1, 3\], got 4/);
    expect(() => checkTileRequest({ ...ok, h: 5 }, 4, 4)).toThrow(/h must be an integer in \[1, 4\]/);
    expect(() => checkTileRequest({ ...ok, c0: 0.5 }, 4, 4)).toThrow(/c0 must be an integer/);
    expect(() => checkTileRequest({ ...ok, normalise: "log" as never }, 4, 4)).toThrow(/normalise must be "raw" or "row"/);
    const n = 4096;
    expect(() => checkTileRequest({ ...ok, nr: n, nc: n, h: n, w: n }, n, n)).toThrow(new RegExp(`over the limit of ${MAX_TILE}`));
  });
});
