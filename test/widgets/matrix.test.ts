/** @jest-environment jsdom */
/// <reference lib="dom" />
// The matrix scaffold's pixels (widgets/src/views/matrix.ts): the colour table of a discrete
// ramp gives every pixel the colour d3's sequential scale gives it.
import * as d3 from "d3";
import { VIRIDIS, paintMatrix, type MatrixPaint } from "../../widgets/src/views/matrix";

/** The RGBA bytes paintMatrix's raster mode encodes for m. */
function rgbaOf(m: MatrixPaint): Uint8ClampedArray {
  const svg = d3.select(document.body).append("svg");
  let got: Uint8ClampedArray | null = null;
  paintMatrix("raster", svg.append("g"), document.body, { left: 0, top: 0 }, m, (rgba) => ((got = rgba.slice()), "data:,"));
  svg.remove();
  return got!;
}

describe("paintMatrix with a ramp", () => {
  it("colours each pixel as d3.scaleSequential(interpolateViridis) does: bin edges, out of range, NaN, a flat domain", () => {
    for (const [lo, hi] of [[0, 0.37], [0, 1], [-2, 3], [0.5, 0.5]]) {
      const values: number[] = [NaN, -Infinity, Infinity, lo - 1, hi + 1, lo, hi];
      // Every bin edge and its neighbours, as float32 (what a pattern holds).
      for (let k = 0; k <= 256; k++) {
        const v = lo + ((hi - lo) * k) / 256;
        values.push(v, Math.fround(v), v * (1 + 1e-7), v * (1 - 1e-7));
      }
      const data = new Float32Array(values);
      const color = d3.scaleSequential(d3.interpolateViridis).domain([lo, hi]);
      const m: MatrixPaint = { rows: 1, cols: data.length, width: data.length, height: 1, value: (_i, j) => data[j], color };
      expect(Array.from(rgbaOf({ ...m, ramp: { lo, hi, colors: VIRIDIS } }))).toEqual(Array.from(rgbaOf(m)));
    }
  });

  it("pooled pixels (more cells than pixels) get the same colours too", () => {
    let a = 3;
    const r = () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
    const n = 300;
    const data = Float32Array.from({ length: n * n }, (_, p) => (p % n > p / n ? NaN : r() ** 3));
    const color = d3.scaleSequential(d3.interpolateViridis).domain([0, 0.8]);
    const m: MatrixPaint = { rows: n, cols: n, width: 120, height: 90, value: (i, j) => data[i * n + j], color };
    const plain = rgbaOf(m);
    expect(plain.length).toBe(120 * 90 * 4);
    expect(Array.from(rgbaOf({ ...m, ramp: { lo: 0, hi: 0.8, colors: VIRIDIS } }))).toEqual(Array.from(plain));
  });
});
