// Shared pieces of the attnlab renderers, by concern: the tensors views receive and their
// checks (here); text sizes, fitting and token labels (text.ts); the theme and the scales'
// dark variants (theme.ts); the frame with title, controls and tooltip (frame.ts); colour
// bars and axis titles (legend.ts); the matrix scaffold (matrix.ts); and the passes over a
// finished drawing (layout.ts). Views import any of them from here.
import * as d3 from "d3";
import { isFloat32 } from "../protocol";

export * from "./text";
export * from "./theme";
export * from "./layout";
export * from "./frame";
export * from "./legend";
export * from "./matrix";

/** A dense float tensor as it crosses from the kernel: row-major data plus its shape. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

export type Cleanup = () => void;

/** Encodes RGBA pixels (row-major, width × height) as an image URL; used where no canvas exists. */
export type RasterEncoder = (rgba: Uint8ClampedArray, width: number, height: number) => string;

export const SVG_NS = "http://www.w3.org/2000/svg";

/** Throws a clear error unless `t` is a Float32Array tensor of the given rank whose length matches its shape. */
export function checkTensor(name: string, t: Tensor | undefined, ranks: number[]): Tensor {
  if (!t || !isFloat32(t.data) || !Array.isArray(t.shape)) {
    throw new Error(`${name}: expected {data: Float32Array, shape: number[]}, got ${describe(t)}`);
  }
  if (!ranks.includes(t.shape.length)) {
    throw new Error(`${name}: expected a tensor of rank ${ranks.join(" or ")}, got shape [${t.shape.join(", ")}]`);
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n !== t.data.length) {
    throw new Error(`${name}: shape [${t.shape.join(", ")}] needs ${n} values, data has ${t.data.length}`);
  }
  return t;
}

export function checkTokens(name: string, tokens: unknown, n: number): string[] {
  if (!Array.isArray(tokens) || tokens.length !== n || tokens.some((t) => typeof t !== "string")) {
    throw new Error(`${name}: expected ${n} token strings, got ${describe(tokens)}`);
  }
  return tokens as string[];
}

function describe(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object with keys ${Object.keys(v as object).join(", ")}` : typeof v;
}

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
