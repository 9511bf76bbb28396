/**
 * The safetensors format: 8-byte little-endian header length N, N bytes of JSON
 * ({name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}), then the data.
 * Floats come back as Float32Array (F16/BF16/F64 converted), integers as Int32Array.
 * Every error names the file and what is wrong with it.
 */
import * as fs from "fs";
import * as path from "path";
import { bf16ToFloat32, f16ToFloat32, floatToBf16Bits, floatToF16Bits } from "./half";

export const FLOAT_DTYPES = ["F64", "F32", "F16", "BF16"] as const;
export const INT_DTYPES = ["I64", "I32", "I16", "I8", "U8", "BOOL"] as const;
export type SafeDtype = (typeof FLOAT_DTYPES)[number] | (typeof INT_DTYPES)[number];
const BYTES: Record<SafeDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024; // the reference implementation's own limit

export interface SafeTensor {
  /** The dtype stored in the file (data is widened: floats to Float32Array, integers to Int32Array). */
  dtype: SafeDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

interface Entry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

export function isFloatDtype(d: string): boolean {
  return (FLOAT_DTYPES as readonly string[]).includes(d);
}

/** Validates the JSON header against the size of the data section; returns entries sorted by offset. */
function parseHeader(json: string, dataBytes: number, src: string): { entries: Entry[]; metadata: Record<string, string> } {
  let header: unknown;
  try {
    header = JSON.parse(json);
  } catch (e) {
    throw new Error(`safetensors ${src}: malformed JSON header (${(e as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) throw new Error(`safetensors ${src}: the JSON header must be an object`);
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (!raw || typeof raw !== "object") throw new Error(`safetensors ${src}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw)) metadata[k] = String(v);
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== "object") throw new Error(`safetensors ${src}: entry "${name}" must be an object`);
    if (typeof t.dtype !== "string" || !(t.dtype in BYTES)) {
      throw new Error(`safetensors ${src}: tensor "${name}" has unsupported dtype ${JSON.stringify(t.dtype)} (supported: ${Object.keys(BYTES).join(", ")})`);
    }
    const shape = t.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`safetensors ${src}: tensor "${name}" has invalid shape ${JSON.stringify(shape)}`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isInteger(o) && o >= 0) || off[1] < off[0]) {
      throw new Error(`safetensors ${src}: tensor "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataBytes) {
      throw new Error(`safetensors ${src}: tensor "${name}" data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes): the file is truncated or corrupt`);
    }
    const dtype = t.dtype as SafeDtype;
    const want = shape.reduce((a: number, b: number) => a * b, 1) * BYTES[dtype];
    if (end - begin !== want) {
      throw new Error(`safetensors ${src}: tensor "${name}" (${dtype} ${JSON.stringify(shape)}) needs ${want} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1];
    const b = entries[i];
    if (b.begin < a.end && b.end > b.begin) {
      throw new Error(`safetensors ${src}: tensors "${a.name}" [${a.begin}, ${a.end}] and "${b.name}" [${b.begin}, ${b.end}] overlap`);
    }
  }
  return { entries, metadata };
}

function readU64(bytes: Uint8Array, src: string): number {
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) throw new Error(`safetensors ${src}: header length ${n} bytes is implausible (limit ${MAX_HEADER}); not a safetensors file?`);
  return Number(n);
}

function decode(e: Entry, data: Uint8Array, src: string): SafeTensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const at = data.byteOffset + e.begin;
  // Typed-array views need aligned offsets; copy the bytes out when they are not.
  const bytes = at % BYTES[e.dtype] === 0 ? data.subarray(e.begin, e.end) : data.slice(e.begin, e.end);
  const buf = bytes.buffer;
  const o = bytes.byteOffset;
  let out: Float32Array | Int32Array;
  switch (e.dtype) {
    case "F32": out = new Float32Array(buf, o, n); break;
    case "F64": out = Float32Array.from(new Float64Array(buf, o, n)); break;
    case "F16": out = f16ToFloat32(new Uint16Array(buf, o, n)); break;
    case "BF16": out = bf16ToFloat32(new Uint16Array(buf, o, n)); break;
    case "I32": out = new Int32Array(buf, o, n); break;
    case "I16": out = Int32Array.from(new Int16Array(buf, o, n)); break;
    case "I8": out = Int32Array.from(new Int8Array(buf, o, n)); break;
    case "U8": case "BOOL": out = Int32Array.from(new Uint8Array(buf, o, n)); break;
    case "I64": {
      const big = new BigInt64Array(buf, o, n);
      out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = big[i];
        if (v > 2147483647n || v < -2147483648n) throw new Error(`safetensors ${src}: tensor "${e.name}" (I64) holds ${v}, outside the int32 range attnlab keeps`);
        out[i] = Number(v);
      }
      break;
    }
  }
  return { dtype: e.dtype, shape: e.shape, data: out };
}

/** Parses a whole safetensors file held in memory; `source` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, source = "<buffer>"): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new Error(`parseSafetensors: bytes must be a Uint8Array`);
  if (bytes.length < 8) throw new Error(`safetensors ${source}: truncated file (${bytes.length} bytes; the 8-byte header length is missing)`);
  const n = readU64(bytes, source);
  if (8 + n > bytes.length) throw new Error(`safetensors ${source}: header length ${n} goes beyond the end of the file (${bytes.length} bytes): truncated or not a safetensors file`);
  const json = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  const data = bytes.subarray(8 + n);
  const { entries, metadata } = parseHeader(json, data.length, source);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) tensors.set(e.name, decode(e, data, source));
  return { tensors, metadata };
}

/** The header of a file on disk, checked against the file's size before any data is read. */
function openHeader(file: string, fd: number): { entries: Entry[]; metadata: Record<string, string>; dataStart: number } {
  const size = fs.fstatSync(fd).size;
  const head = new Uint8Array(8);
  if (size < 8 || fs.readSync(fd, head, 0, 8, 0) < 8) throw new Error(`safetensors ${file}: truncated file (${size} bytes; the 8-byte header length is missing)`);
  const n = readU64(head, file);
  if (8 + n > size) throw new Error(`safetensors ${file}: header length ${n} goes beyond the end of the file (${size} bytes): truncated or not a safetensors file`);
  const json = Buffer.alloc(n);
  fs.readSync(fd, json, 0, n, 8);
  const { entries, metadata } = parseHeader(json.toString("utf8"), size - 8 - n, file);
  return { entries, metadata, dataStart: 8 + n };
}

/**
 * Reads one tensor's bytes into a buffer of its own. An F32 tensor is read straight into the
 * Float32Array it comes back as; other dtypes are widened from a temporary byte buffer.
 */
function readEntry(fd: number, e: Entry, dataStart: number, file: string): SafeTensor {
  const len = e.end - e.begin;
  const out = e.dtype === "F32" ? new Float32Array(len / 4) : null;
  const bytes = out ? new Uint8Array(out.buffer) : new Uint8Array(len);
  let got = 0;
  while (got < len) {
    const r = fs.readSync(fd, bytes, got, Math.min(len - got, 1 << 30), dataStart + e.begin + got);
    if (r <= 0) throw new Error(`safetensors ${file}: file ended while reading tensor "${e.name}" (the file changed after it was opened?)`);
    got += r;
  }
  if (out) return { dtype: e.dtype, shape: e.shape, data: out };
  return decode({ ...e, begin: 0, end: len }, bytes, file);
}

function withFile<T>(file: string, f: (fd: number) => T): T {
  const fd = fs.openSync(file, "r");
  try {
    return f(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Reads a safetensors file, checking the header before the data is read. Each tensor gets a buffer
 * of its own (no view into a file-sized buffer), so dropping a tensor frees its memory.
 */
export function readSafetensors(file: string): SafetensorsFile {
  if (!fs.existsSync(file)) throw new Error(`safetensors ${file}: no such file`);
  return withFile(file, (fd) => {
    const { entries, metadata, dataStart } = openHeader(file, fd);
    const tensors = new Map<string, SafeTensor>();
    for (const e of entries) tensors.set(e.name, readEntry(fd, e, dataStart, file));
    return { tensors, metadata };
  });
}

/**
 * Opens a safetensors file for a loader that uses each tensor once: the header is read and
 * checked now, and each tensor's `data` is read from the file when it is accessed, into a fresh
 * buffer, every time it is accessed (nothing is cached). So a model loader holds one tensor on the
 * host at a time instead of the whole file (lib/model/hf.ts hands each to the backend at once);
 * a caller that edits `data` must keep the array it got (or use readSafetensors).
 */
export function openSafetensors(file: string): SafetensorsFile {
  if (!fs.existsSync(file)) throw new Error(`safetensors ${file}: no such file`);
  const { entries, metadata, dataStart } = withFile(file, (fd) => openHeader(file, fd));
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const t = { dtype: e.dtype, shape: e.shape } as SafeTensor;
    Object.defineProperty(t, "data", {
      enumerable: true,
      get: () => {
        if (!fs.existsSync(file)) throw new Error(`safetensors ${file}: the file was removed after it was opened (reading tensor "${e.name}")`);
        return withFile(file, (fd) => readEntry(fd, e, dataStart, file)).data;
      },
    });
    tensors.set(e.name, t);
  }
  return { tensors, metadata };
}

export type WriteDtype = "F32" | "F16" | "BF16" | "I32" | "I64";
export interface TensorToWrite {
  /** Default: F32 for Float32Array data, I32 for Int32Array data. */
  dtype?: WriteDtype;
  shape: number[];
  data: Float32Array | Int32Array | number[];
}

function encodeTensor(name: string, t: TensorToWrite): { dtype: WriteDtype; bytes: Uint8Array } {
  if (!t || !Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`writeSafetensors: tensor "${name}" needs a shape of non-negative integers; got ${JSON.stringify(t?.shape)}`);
  }
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (!t.data || t.data.length !== n) throw new Error(`writeSafetensors: tensor "${name}" has ${t.data?.length} values but shape ${JSON.stringify(t.shape)} needs ${n}`);
  const dtype: WriteDtype = t.dtype ?? (t.data instanceof Int32Array ? "I32" : "F32");
  const src = t.data;
  switch (dtype) {
    case "F32": return { dtype, bytes: new Uint8Array(Float32Array.from(src).buffer) };
    case "I32": return { dtype, bytes: new Uint8Array(Int32Array.from(src).buffer) };
    case "I64": return { dtype, bytes: new Uint8Array(BigInt64Array.from(Array.from(src), (v) => BigInt(Math.trunc(v))).buffer) };
    case "F16": return { dtype, bytes: new Uint8Array(Uint16Array.from(Array.from(src), floatToF16Bits).buffer) };
    case "BF16": return { dtype, bytes: new Uint8Array(Uint16Array.from(Array.from(src), floatToBf16Bits).buffer) };
    default: throw new Error(`writeSafetensors: tensor "${name}" dtype must be one of F32, F16, BF16, I32, I64; got ${JSON.stringify(dtype)}`);
  }
}

/** Encodes tensors (sorted by name) and metadata into the bytes of a safetensors file. */
export function serializeSafetensors(
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  list.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of list) {
    if (name === "__metadata__") throw new Error(`writeSafetensors: "__metadata__" is reserved and cannot name a tensor`);
    const { dtype, bytes } = encodeTensor(name, t);
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const jsonBytes = () => Buffer.byteLength(json, "utf8");
  while ((8 + jsonBytes()) % 8 !== 0) json += " ";
  const headBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headBytes.length), true);
  out.set(headBytes, 8);
  let at = 8 + headBytes.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Writes a safetensors file atomically (temporary file, then rename). */
export function writeSafetensors(
  file: string,
  tensors: Map<string, TensorToWrite> | Record<string, TensorToWrite>,
  metadata: Record<string, string> = {},
): void {
  const bytes = serializeSafetensors(tensors, metadata);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, bytes);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
