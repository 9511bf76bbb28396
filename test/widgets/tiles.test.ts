// The overview/tile contract of long heatmaps (widgets/src/tiles.ts), on small arrays: the
// pooling both the kernel and the view use, the stand-in resampling and the request checks.
import { MAX_TILE, checkTileRequest, maxOf, plotSize, poolMax, poolOverview, resample, rowMaxima, tileKey, tileShape, type Shown, type Tile, type Window } from "../../widgets/src/tiles";

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

// The definition poolMax implements, cell by cell: pixel (y, x) is the largest shown value
// (÷ its row's maximum in "row" mode) of the cells with floor(i·h/nr) = y and floor(j·w/nc) = x.
function pooledByDefinition(m: Float32Array, cols: number, win: Window, h: number, w: number, shown: Shown, rowMax?: Float32Array): (number | null)[] {
  const out: (number | null)[] = new Array(h * w).fill(null);
  for (let i = 0; i < win.nr; i++)
    for (let j = 0; j < win.nc; j++) {
      const q = win.r0 + i;
      const k = win.c0 + j;
      if (shown.mask && k > q) continue;
      let v = m[q * cols + k];
      if (!(v > -Infinity)) continue; // NaN and -Infinity never win
      if (shown.normalise === "row") v = rowMax![q] > 0 ? Math.fround(v / rowMax![q]) : 0;
      const p = Math.floor((i * h) / win.nr) * w + Math.floor((j * w) / win.nc);
      if (out[p] === null || v > out[p]!) out[p] = v;
    }
  return out;
}

// Seeded values with zeros, negatives, NaN and -Infinity among them.
function randomMatrix(rows: number, cols: number, seed: number, causal: boolean): Float32Array {
  let a = seed;
  const r = () => ((a = (a * 1103515245 + 12345) % 2147483648) / 2147483648);
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) {
      const u = r();
      m[i * cols + j] = causal && j > i ? 0 : u < 0.03 ? NaN : u < 0.05 ? -Infinity : u < 0.2 ? 0 : u < 0.3 ? -u : u;
    }
  return m;
}

describe("poolMax against its definition", () => {
  it("any window, pixel count, mask and colour mode (seeded 23 × 29 matrices with NaN, -Infinity, zeros)", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const m = randomMatrix(23, 29, seed, false);
      for (const mask of [false, true]) {
        const { rowMax } = rowMaxima(m, 23, 29, mask);
        for (const win of [{ r0: 0, c0: 0, nr: 23, nc: 29 }, { r0: 3, c0: 5, nr: 17, nc: 11 }, { r0: 20, c0: 0, nr: 3, nc: 29 }])
          for (const [h, w] of [[win.nr, win.nc], [1, 1], [Math.min(5, win.nr), 7], [Math.ceil(win.nr / 2), 3]])
            for (const normalise of ["raw", "row"] as const) {
              const shown = { mask, normalise };
              expect(arr(poolMax(m, 29, win, h, w, shown, rowMax))).toEqual(pooledByDefinition(m, 29, win, h, w, shown, rowMax));
            }
      }
    }
  });
});

describe("poolOverview", () => {
  it("a causal head (upper triangle all zero) is pooled with the mask", () => {
    const m = randomMatrix(37, 37, 5, true);
    const o = poolOverview(m, 37, 9, 13);
    expect(o.mask).toBe(true);
    expect(arr(o.values)).toEqual(arr(poolMax(m, 37, { r0: 0, c0: 0, nr: 37, nc: 37 }, 9, 13, { mask: true, normalise: "raw" })));
  });

  it("a head with any non-zero (or NaN) weight above the diagonal is pooled whole", () => {
    for (const poke of [0.5, NaN, -1]) {
      const m = randomMatrix(37, 37, 6, true);
      m[3 * 37 + 30] = poke;
      const o = poolOverview(m, 37, 9, 13);
      expect(o.mask).toBe(false);
      expect(arr(o.values)).toEqual(arr(poolMax(m, 37, { r0: 0, c0: 0, nr: 37, nc: 37 }, 9, 13, raw)));
    }
    const full = randomMatrix(40, 40, 7, false);
    expect(arr(poolOverview(full, 40, 40, 40).values)).toEqual(pooledByDefinition(full, 40, { r0: 0, c0: 0, nr: 40, nc: 40 }, 40, 40, raw));
  });

  it("one token is never masked (as the view decides)", () => {
    expect(poolOverview(new Float32Array([0.25]), 1, 1, 1)).toEqual({ values: new Float32Array([0.25]), mask: false });
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
