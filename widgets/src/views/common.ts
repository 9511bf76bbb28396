// Shared pieces of the attnlab renderers, by concern: tensor helpers (here); text sizes,
// fitting and token labels (text.ts); the theme and the scales' dark variants (theme.ts);
// the frame with title, controls and tooltip (frame.ts); colour bars and axis titles
// (legend.ts); the matrix scaffold (matrix.ts); and the passes over a finished drawing
// (layout.ts). Views import any of them from here. The data each view receives (types and
// checks) is ../contract, which lib/ imports too.
import * as d3 from "d3";
import type { Tensor } from "../contract";

export * from "./text";
export * from "./theme";
export * from "./layout";
export * from "./frame";
export * from "./legend";
export * from "./matrix";

export type { Tensor } from "../contract";

export type Cleanup = () => void;

/** Encodes RGBA pixels (row-major, width × height) as an image URL; used where no canvas exists. */
export type RasterEncoder = (rgba: Uint8ClampedArray, width: number, height: number) => string;

export const SVG_NS = "http://www.w3.org/2000/svg";

/** The [rows, cols] block at `index` of a tensor whose last two axes are the matrix. */
export function subMatrix(t: Tensor, index: number[]): Float32Array {
  const rank = t.shape.length;
  const rows = t.shape[rank - 2];
  const cols = t.shape[rank - 1];
  let offset = 0;
  for (let a = 0; a < rank - 2; a++) {
    const i = index[a];
    if (!(i >= 0 && i < t.shape[a])) throw new Error(`index ${i} out of range for axis ${a} of size ${t.shape[a]}`);
    offset = offset * t.shape[a] + i;
  }
  return t.data.subarray(offset * rows * cols, (offset + 1) * rows * cols);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export const fmt = d3.format(".3f");
