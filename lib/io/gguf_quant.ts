/**
 * ggml tensor types: each type's block layout and its row decoder to float32, for lib/io/gguf.ts.
 * The layouts are llama.cpp's (ggml-common.h); every decoder is checked against gguf-py's own
 * dequantization in test/lib/io/gguf.test.ts.
 */
import { f16BitsToFloat } from "./half";

/** ggml type id -> name, block length (values) and block size (bytes). */
export interface TypeInfo {
  name: string;
  block: number;
  bytes: number;
}

export const TYPES: Record<number, TypeInfo> = {
  0: { name: "F32", block: 1, bytes: 4 },
  1: { name: "F16", block: 1, bytes: 2 },
  2: { name: "Q4_0", block: 32, bytes: 18 },
  3: { name: "Q4_1", block: 32, bytes: 20 },
  6: { name: "Q5_0", block: 32, bytes: 22 },
  7: { name: "Q5_1", block: 32, bytes: 24 },
  8: { name: "Q8_0", block: 32, bytes: 34 },
  9: { name: "Q8_1", block: 32, bytes: 36 },
  10: { name: "Q2_K", block: 256, bytes: 84 },
  11: { name: "Q3_K", block: 256, bytes: 110 },
  12: { name: "Q4_K", block: 256, bytes: 144 },
  13: { name: "Q5_K", block: 256, bytes: 176 },
  14: { name: "Q6_K", block: 256, bytes: 210 },
  15: { name: "Q8_K", block: 256, bytes: 292 },
  16: { name: "IQ2_XXS", block: 256, bytes: 66 },
  17: { name: "IQ2_XS", block: 256, bytes: 74 },
  18: { name: "IQ3_XXS", block: 256, bytes: 98 },
  19: { name: "IQ1_S", block: 256, bytes: 50 },
  20: { name: "IQ4_NL", block: 32, bytes: 18 },
  21: { name: "IQ3_S", block: 256, bytes: 110 },
  22: { name: "IQ2_S", block: 256, bytes: 82 },
  23: { name: "IQ4_XS", block: 256, bytes: 136 },
  24: { name: "I8", block: 1, bytes: 1 },
  25: { name: "I16", block: 1, bytes: 2 },
  26: { name: "I32", block: 1, bytes: 4 },
  27: { name: "I64", block: 1, bytes: 8 },
  28: { name: "F64", block: 1, bytes: 8 },
  29: { name: "IQ1_M", block: 256, bytes: 56 },
  30: { name: "BF16", block: 1, bytes: 2 },
  34: { name: "TQ1_0", block: 256, bytes: 54 },
  35: { name: "TQ2_0", block: 256, bytes: 66 },
};
export const TYPE_BY_NAME = new Map(Object.values(TYPES).map((t) => [t.name, t]));

/** One row of `n` values of a type from `src` at byte `at` into `out` at `o`. */
export type RowDecoder = (src: Bytes, at: number, n: number, out: Float32Array, o: number) => void;

/** One tensor's bytes, seen as unsigned and signed bytes and through a little-endian DataView. */
export interface Bytes {
  u8: Uint8Array;
  i8: Int8Array;
  view: DataView;
}

const f32 = Math.fround;
let f16Table: Float32Array | null = null;
/** f16 bits -> value, a 65536-entry table built once. */
function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Table[i] = f16BitsToFloat(i);
  }
  return f16Table;
}
/** The f16 at byte `at` (scales sit at unaligned offsets). */
function half(v: Bytes, at: number): number {
  return halfTable()[v.u8[at] | (v.u8[at + 1] << 8)];
}

export const DECODERS: Record<string, RowDecoder> = {
  F32: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = v.view.getFloat32(at + 4 * i, true); },
  F16: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = half(v, at + 2 * i); },
  BF16: (v, at, n, out, o) => {
    const bits = new Uint32Array(out.buffer, out.byteOffset + 4 * o, n);
    for (let i = 0; i < n; i++) bits[i] = v.view.getUint16(at + 2 * i, true) << 16;
  },
  F64: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = v.view.getFloat64(at + 8 * i, true); },
  I8: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = v.i8[at + i]; },
  I16: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = v.view.getInt16(at + 2 * i, true); },
  I32: (v, at, n, out, o) => { for (let i = 0; i < n; i++) out[o + i] = v.view.getInt32(at + 4 * i, true); },
  // Q8_0: f16 d, 32 x i8; x = d * q. (The arrays are read into locals in the two decoders
  // SmolLM2 uses: they then ran ~1.5-2x faster than through `v`.)
  Q8_0: (v, at, n, out, o) => {
    const u8 = v.u8, i8 = v.i8, t = halfTable();
    for (let b = 0; b < n; b += 32, at += 34) {
      const d = t[u8[at] | (u8[at + 1] << 8)];
      const y = o + b, s = at + 2;
      for (let j = 0; j < 32; j++) out[y + j] = d * i8[s + j];
    }
  },
  // Q4_0: f16 d, 16 bytes; low nibbles are values 0-15 of the block, high nibbles 16-31; x = d * (q - 8).
  Q4_0: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 32, at += 18) {
      const d = half(v, at);
      for (let j = 0; j < 16; j++) {
        const q = v.u8[at + 2 + j];
        out[o + b + j] = d * ((q & 15) - 8);
        out[o + b + j + 16] = d * ((q >> 4) - 8);
      }
    }
  },
  // Q4_1: f16 d, f16 m, 16 bytes; x = d * q + m, d * q rounded to float32 first as numpy's (d * q) + m.
  Q4_1: (v, at, n, out, o) => {
    const u8 = v.u8, t = halfTable();
    for (let b = 0; b < n; b += 32, at += 20) {
      const d = t[u8[at] | (u8[at + 1] << 8)];
      const m = t[u8[at + 2] | (u8[at + 3] << 8)];
      const y = o + b, s = at + 4;
      for (let j = 0; j < 16; j++) {
        const q = u8[s + j];
        out[y + j] = f32(d * (q & 15)) + m;
        out[y + j + 16] = f32(d * (q >> 4)) + m;
      }
    }
  },
  // Q5_0: f16 d, u32 of fifth bits (bit j for value j), 16 bytes of nibbles; x = d * (q - 16).
  Q5_0: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 32, at += 22) {
      const d = half(v, at);
      const qh = v.view.getUint32(at + 2, true);
      for (let j = 0; j < 16; j++) {
        const q = v.u8[at + 6 + j];
        out[o + b + j] = d * (((q & 15) | (((qh >>> j) & 1) << 4)) - 16);
        out[o + b + j + 16] = d * (((q >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16);
      }
    }
  },
  // Q5_1: f16 d, f16 m, u32 of fifth bits, 16 bytes; x = d * q + m.
  Q5_1: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 32, at += 24) {
      const d = half(v, at);
      const m = half(v, at + 2);
      const qh = v.view.getUint32(at + 4, true);
      for (let j = 0; j < 16; j++) {
        const q = v.u8[at + 8 + j];
        out[o + b + j] = f32(d * ((q & 15) | (((qh >>> j) & 1) << 4))) + m;
        out[o + b + j + 16] = f32(d * ((q >> 4) | (((qh >>> (j + 16)) & 1) << 4))) + m;
      }
    }
  },
  // Q2_K: 16 bytes of 4-bit scale|min pairs, 64 bytes of 2-bit values, f16 d, f16 dmin; 16 groups of 16.
  // Value i is bits 2*((i % 128) >> 5) of byte 32*(i >> 7) + i % 32: x = d*scale*q - dmin*min.
  Q2_K: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 256, at += 84) {
      const d = half(v, at + 80);
      const dmin = half(v, at + 82);
      for (let g = 0; g < 16; g++) {
        const s = v.u8[at + g];
        const dl = f32(d * (s & 15));
        const ml = f32(dmin * (s >> 4));
        for (let k = 0; k < 16; k++) {
          const i = 16 * g + k;
          const q = (v.u8[at + 16 + 32 * (i >> 7) + (i & 31)] >> (2 * ((i & 127) >> 5))) & 3;
          out[o + b + i] = f32(dl * q) - ml;
        }
      }
    }
  },
  // Q3_K: 32 bytes of high-bit masks, 64 bytes of 2-bit values, 12 bytes packing sixteen 6-bit
  // scales (stored +32), f16 d. A value is (low 2 bits) - 4 when its mask bit is clear.
  Q3_K: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 256, at += 110) {
      const d = half(v, at + 108);
      const sc = at + 96;
      for (let g = 0; g < 16; g++) {
        const low = (v.u8[sc + (g & 7)] >> (4 * (g >> 3))) & 15;
        const high = (v.u8[sc + 8 + (g & 3)] >> (2 * (g >> 2))) & 3;
        const dl = f32(d * ((low | (high << 4)) - 32));
        for (let k = 0; k < 16; k++) {
          const i = 16 * g + k;
          const l = i & 31;
          const ql = (v.u8[at + 32 + 32 * (i >> 7) + l] >> (2 * ((i & 127) >> 5))) & 3;
          const hm = (v.u8[at + l] >> (i >> 5)) & 1;
          out[o + b + i] = dl * (ql - (hm ? 0 : 4));
        }
      }
    }
  },
  Q4_K: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 256, at += 144) kBlock(v, at, out, o + b, 4);
  },
  Q5_K: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 256, at += 176) kBlock(v, at, out, o + b, 5);
  },
  // Q6_K: 128 bytes of low nibbles, 64 bytes of high 2-bit pairs, 16 i8 scales, f16 d; 16 groups of 16.
  Q6_K: (v, at, n, out, o) => {
    for (let b = 0; b < n; b += 256, at += 210) {
      const d = half(v, at + 208);
      const y = o + b;
      for (let half128 = 0; half128 < 2; half128++) {
        const ql = at + 64 * half128;
        const qh = at + 128 + 32 * half128;
        const sc = at + 192 + 8 * half128;
        const base = y + 128 * half128;
        for (let l = 0; l < 32; l++) {
          const is = l >> 4;
          const a = v.u8[ql + l];
          const c = v.u8[ql + l + 32];
          const h = v.u8[qh + l];
          const q1 = ((a & 15) | ((h & 3) << 4)) - 32;
          const q2 = ((c & 15) | (((h >> 2) & 3) << 4)) - 32;
          const q3 = ((a >> 4) | (((h >> 4) & 3) << 4)) - 32;
          const q4 = ((c >> 4) | (((h >> 6) & 3) << 4)) - 32;
          out[base + l] = f32(d * v.i8[sc + is]) * q1;
          out[base + l + 32] = f32(d * v.i8[sc + is + 2]) * q2;
          out[base + l + 64] = f32(d * v.i8[sc + is + 4]) * q3;
          out[base + l + 96] = f32(d * v.i8[sc + is + 6]) * q4;
        }
      }
    }
  },
};

/**
 * Q4_K / Q5_K super-block of 256: f16 d, f16 dmin, 12 bytes packing eight 6-bit scales and mins,
 * (Q5_K: 32 bytes of fifth bits,) 128 bytes of nibbles. Sub-block k of 32 values is
 * x = (d * scale_k) * q - (dmin * min_k); pairs of sub-blocks share 32 bytes (low, then high nibbles).
 */
function kBlock(v: Bytes, at: number, out: Float32Array, y: number, bits: 4 | 5): void {
  const d = half(v, at);
  const dmin = half(v, at + 2);
  const sc = at + 4;
  const qh = at + 16;
  const qs = bits === 4 ? at + 16 : at + 48;
  for (let k = 0; k < 8; k++) {
    let scale: number;
    let min: number;
    if (k < 4) {
      scale = v.u8[sc + k] & 63;
      min = v.u8[sc + k + 4] & 63;
    } else {
      scale = (v.u8[sc + k + 4] & 15) | ((v.u8[sc + k - 4] >> 6) << 4);
      min = (v.u8[sc + k + 4] >> 4) | ((v.u8[sc + k] >> 6) << 4);
    }
    const ds = f32(d * scale);
    const dm = f32(dmin * min);
    const q = qs + 32 * (k >> 1);
    const shift = 4 * (k & 1);
    for (let l = 0; l < 32; l++) {
      let nib = (v.u8[q + l] >> shift) & 15;
      if (bits === 5) nib |= ((v.u8[qh + l] >> k) & 1) << 4;
      out[y + 32 * k + l] = f32(ds * nib) - dm;
    }
  }
}

/** ggml type names this reader can dequantize. */
export const GGUF_READABLE_TYPES: readonly string[] = Object.keys(DECODERS);

/** Bytes a tensor of `type` with innermost-first `dims` takes. */
export function ggufTensorBytes(type: string, dims: number[]): number {
  const t = TYPE_BY_NAME.get(type);
  if (!t) throw new Error(`gguf: unknown ggml type "${type}"`);
  const n = dims.reduce((a, b) => a * b, 1);
  return (n / t.block) * t.bytes;
}
