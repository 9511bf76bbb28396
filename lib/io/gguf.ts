/**
 * GGUF, llama.cpp's single-file checkpoint format (version 3, little-endian; versions 2 and 3 share
 * the layout read here):
 *
 *   "GGUF" magic, u32 version, u64 tensor count, u64 metadata count,
 *   metadata: key (u64 length + UTF-8), u32 value type, value  (types 0-12 below; arrays are
 *             u32 element type + u64 count + elements),
 *   tensor infos: name, u32 n_dims, u64 dims innermost-first (dims[0] = row length), u32 ggml type,
 *             u64 offset into the data section,
 *   padding to `general.alignment` (default 32), then the data section.
 *
 * `tensor(name)` returns float32 in row-major order with the shape outermost-first, so a tensor
 * stored with dims [576, 192] (192 rows of 576) comes back with shape [192, 576], the layout
 * PyTorch and gguf-py use. Quantized types are dequantized block by block along each row with
 * float32 arithmetic in the order gguf-py's numpy code uses, so the values equal gguf-py's
 * `dequantize` bit for bit (test/lib/io/gguf.test.ts checks that on files gguf-py writes).
 *
 * For the Llama loader: llama.cpp's converter permutes the rows of `attn_q` and `attn_k` so its
 * RoPE can rotate adjacent pairs (2i, 2i+1) instead of HF's halves (i, i + d_head/2). For a weight
 * W of shape [n_head * d_head, d_model] (n_head = KV heads for attn_k) it stores
 *   W.reshape(n_head, 2, d_head/2, d_model).swapaxes(1, 2).reshape(W.shape),
 * i.e. file row h*d_head + 2i + j holds HF row h*d_head + j*(d_head/2) + i (j in {0, 1}). This reader
 * returns the rows as stored; undo it with reshape(n_head, d_head/2, 2, d_model).swapaxes(1, 2)
 * (as transformers' GGUF loader does) before using rotate-half RoPE.
 *
 * The header is read in chunks and each tensor's bytes only when asked for, so a file larger than
 * memory can be opened; parseGguf() does the same on bytes already in memory.
 */
import * as fs from "fs";
import { DECODERS, TYPES, TYPE_BY_NAME, ggufTensorBytes, GGUF_READABLE_TYPES, type Bytes } from "./gguf_quant";

export { GGUF_READABLE_TYPES, ggufTensorBytes } from "./gguf_quant";

/** Metadata value: integers as number (64-bit ones as bigint when beyond 2^53), arrays as arrays. */
export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** Dimensions as stored: innermost first (dims[0] is the length of a row). */
  dims: number[];
  /** ggml type name: "F32", "F16", "Q4_1", "Q8_0", ... */
  type: string;
  /** Byte offset of the tensor's data from the start of the data section. */
  offset: number;
}

export interface GgufTensor {
  data: Float32Array;
  /** Outermost first (the reverse of GgufTensorInfo.dims), row-major. */
  shape: number[];
}

export interface GgufFile {
  version: number;
  metadata: Record<string, GgufValue>;
  tensors: GgufTensorInfo[];
  /**
   * Dequantized to float32; throws naming the tensor and type when the type cannot be read. `into`
   * (exactly the tensor's size) is written and returned instead of a new array: a loader that
   * hands each tensor on at once reuses one array rather than paying for fresh memory per tensor.
   */
  tensor(name: string, into?: Float32Array): GgufTensor;
}


/** Random access to the bytes of a file or buffer. */
interface Source {
  size: number;
  read(offset: number, length: number): Uint8Array;
}

function bufferSource(bytes: Uint8Array): Source {
  return { size: bytes.length, read: (offset, length) => bytes.subarray(offset, offset + length) };
}

/** Reads from the file on each call (open, read, close), so nothing stays open between calls. */
function fileSource(path: string): Source {
  const size = fs.statSync(path).size;
  return {
    size,
    read(offset, length) {
      const buf = Buffer.allocUnsafe(length);
      const fd = fs.openSync(path, "r");
      try {
        let got = 0;
        while (got < length) {
          const n = fs.readSync(fd, buf, got, length - got, offset + got);
          if (n === 0) throw new Error(`gguf ${path}: truncated file: unexpected end of file at byte ${offset + got} (the file changed after it was opened?)`);
          got += n;
        }
      } finally {
        fs.closeSync(fd);
      }
      return buf;
    },
  };
}

const VALUE_TYPES = ["u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64"];

/** Sequential little-endian reader over a Source, pulling the header in chunks as it goes. */
class HeaderReader {
  pos = 0;
  private chunk = Buffer.alloc(0);
  private view = new DataView(this.chunk.buffer);
  private chunkStart = 0;

  constructor(private readonly src: Source, private readonly where: string) {}

  private need(n: number, what: string): number {
    if (this.pos + n > this.src.size) {
      throw new Error(`gguf ${this.where}: truncated file: ${what} at byte ${this.pos} needs ${n} bytes but the file ends at ${this.src.size}`);
    }
    const rel = this.pos - this.chunkStart;
    if (rel + n <= this.chunk.length) return rel;
    const len = Math.min(this.src.size - this.pos, Math.max(n, 1 << 20));
    const bytes = this.src.read(this.pos, len);
    // A Buffer view of the same bytes: its UTF-8 decoding is much faster than TextDecoder's on
    // 100k short strings (a vocabulary), and like it keeps a leading U+FEFF and writes U+FFFD.
    this.chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.chunkStart = this.pos;
    return 0;
  }

  u8(what: string): number { const r = this.need(1, what); this.pos += 1; return this.view.getUint8(r); }
  i8(what: string): number { const r = this.need(1, what); this.pos += 1; return this.view.getInt8(r); }
  u16(what: string): number { const r = this.need(2, what); this.pos += 2; return this.view.getUint16(r, true); }
  i16(what: string): number { const r = this.need(2, what); this.pos += 2; return this.view.getInt16(r, true); }
  u32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.view.getUint32(r, true); }
  i32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.view.getInt32(r, true); }
  f32(what: string): number { const r = this.need(4, what); this.pos += 4; return this.view.getFloat32(r, true); }
  f64(what: string): number { const r = this.need(8, what); this.pos += 8; return this.view.getFloat64(r, true); }
  u64(what: string): number | bigint {
    const r = this.need(8, what);
    this.pos += 8;
    const lo = this.view.getUint32(r, true);
    const hi = this.view.getUint32(r + 4, true);
    // Two u32 halves, not getBigUint64: a BigInt per string length made the header GC-bound.
    if (hi < 0x200000) return hi * 0x100000000 + lo;
    return this.view.getBigUint64(r, true);
  }
  i64(what: string): number | bigint {
    const r = this.need(8, what);
    this.pos += 8;
    const v = this.view.getBigInt64(r, true);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v;
  }
  /** A u64 that must be a count or offset within the file. */
  size(what: string): number {
    const v = this.u64(what);
    if (typeof v !== "number" || v > this.src.size) {
      throw new Error(`gguf ${this.where}: ${what} at byte ${this.pos - 8} is ${v}, more than the file's ${this.src.size} bytes: the file is corrupt or truncated`);
    }
    return v;
  }
  string(what: string): string {
    const n = this.size(`length of ${what}`);
    const r = this.need(n, what);
    this.pos += n;
    return this.chunk.toString("utf8", r, r + n);
  }
  value(type: number, what: string): GgufValue {
    switch (type) {
      case 0: return this.u8(what);
      case 1: return this.i8(what);
      case 2: return this.u16(what);
      case 3: return this.i16(what);
      case 4: return this.u32(what);
      case 5: return this.i32(what);
      case 6: return this.f32(what);
      case 7: {
        const b = this.u8(what);
        if (b > 1) throw new Error(`gguf ${this.where}: ${what} is a bool stored as ${b} (expected 0 or 1)`);
        return b === 1;
      }
      case 8: return this.string(what);
      case 9: {
        const elType = this.u32(`element type of ${what}`);
        if (elType >= VALUE_TYPES.length) {
          throw new Error(`gguf ${this.where}: ${what} is an array of unknown value type ${elType} (known: 0-12, ${VALUE_TYPES.join(", ")})`);
        }
        const n = this.size(`length of ${what}`);
        const out: GgufValue[] = new Array(n);
        const el = `an element of ${what}`; // one label for all elements: vocabularies have 100k
        for (let i = 0; i < n; i++) out[i] = this.value(elType, el);
        return out;
      }
      case 10: return this.u64(what);
      case 11: return this.i64(what);
      case 12: return this.f64(what);
      default:
        throw new Error(`gguf ${this.where}: ${what} has unknown value type ${type} (known: 0-12, ${VALUE_TYPES.join(", ")})`);
    }
  }
}

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32

function parse(src: Source, where: string): GgufFile {
  const r = new HeaderReader(src, where);
  if (src.size < 4) throw new Error(`gguf ${where}: truncated file: ${src.size} bytes, too short for the "GGUF" magic`);
  const magic = r.u32("magic");
  if (magic !== MAGIC) {
    const bytes = [magic & 255, (magic >> 8) & 255, (magic >> 16) & 255, magic >>> 24];
    const shown = bytes.map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
    throw new Error(`gguf ${where}: bad magic "${shown}": not a GGUF file (expected the bytes "GGUF")`);
  }
  const version = r.u32("version");
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 255) << 24) | (((version >> 8) & 255) << 16) | (((version >> 16) & 255) << 8) | (version >>> 24);
    const hint = version === 1 ? "; version 1 files predate 64-bit sizes, convert them with llama.cpp"
      : swapped === 2 || swapped === 3 ? "; this is a big-endian GGUF file, only little-endian files are read" : "";
    throw new Error(`gguf ${where}: unsupported version ${version} (this reader reads GGUF versions 2 and 3${hint})`);
  }
  const nTensors = r.size("tensor count");
  const nKv = r.size("metadata count");
  const metadata: Record<string, GgufValue> = {};
  for (let i = 0; i < nKv; i++) {
    const key = r.string(`metadata key ${i}`);
    const type = r.u32(`value type of "${key}"`);
    metadata[key] = r.value(type, `metadata "${key}"`);
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.string(`name of tensor ${i}`);
    const nDims = r.u32(`dimension count of tensor "${name}"`);
    if (nDims > 4) throw new Error(`gguf ${where}: tensor "${name}" has ${nDims} dimensions (ggml allows at most 4): the file is corrupt`);
    const dims: number[] = [];
    for (let k = 0; k < nDims; k++) {
      const d = r.u64(`dimension ${k} of tensor "${name}"`);
      if (typeof d !== "number") throw new Error(`gguf ${where}: tensor "${name}" dimension ${k} is ${d}, too large`);
      dims.push(d);
    }
    const typeId = r.u32(`type of tensor "${name}"`);
    const info = TYPES[typeId];
    if (!info) {
      throw new Error(`gguf ${where}: tensor "${name}" has unknown ggml type ${typeId} (known: ${Object.entries(TYPES).map(([id, t]) => `${id} ${t.name}`).join(", ")})`);
    }
    if ((dims[0] ?? 1) % info.block !== 0) {
      throw new Error(`gguf ${where}: tensor "${name}" (${info.name}) has rows of ${dims[0]} values, not a multiple of the type's block of ${info.block}`);
    }
    const offset = r.size(`data offset of tensor "${name}"`);
    tensors.push({ name, dims, type: info.name, offset });
  }
  const alignRaw = metadata["general.alignment"] ?? 32;
  if (typeof alignRaw !== "number" || !Number.isInteger(alignRaw) || alignRaw <= 0 || (alignRaw & (alignRaw - 1)) !== 0) {
    throw new Error(`gguf ${where}: general.alignment must be a positive power of two; got ${String(alignRaw)}`);
  }
  const dataStart = Math.ceil(r.pos / alignRaw) * alignRaw;
  const byName = new Map<string, GgufTensorInfo>();
  for (const t of tensors) {
    if (byName.has(t.name)) throw new Error(`gguf ${where}: tensor "${t.name}" appears twice`);
    byName.set(t.name, t);
    if (t.offset % alignRaw !== 0) {
      throw new Error(`gguf ${where}: tensor "${t.name}" data offset ${t.offset} is not a multiple of general.alignment ${alignRaw}`);
    }
    const end = dataStart + t.offset + ggufTensorBytes(t.type, t.dims);
    if (end > src.size) {
      throw new Error(`gguf ${where}: truncated file: tensor "${t.name}" (${t.type} [${t.dims.join(", ")}]) ends at byte ${end} but the file has ${src.size}`);
    }
  }
  return {
    version,
    metadata,
    tensors,
    tensor(name: string, into?: Float32Array): GgufTensor {
      const t = byName.get(name);
      if (!t) {
        const names = tensors.map((x) => x.name);
        throw new Error(`gguf ${where}: no tensor named ${JSON.stringify(name)} (the file has ${names.length}: ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", ..." : ""})`);
      }
      const decode = DECODERS[t.type];
      if (!decode) {
        throw new Error(`gguf ${where}: tensor "${name}" has type ${t.type}, which this reader cannot dequantize (readable: ${GGUF_READABLE_TYPES.join(", ")})`);
      }
      const bytes = src.read(dataStart + t.offset, ggufTensorBytes(t.type, t.dims));
      const view: Bytes = {
        u8: bytes, i8: new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
        view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      };
      const n = t.dims.reduce((a, b) => a * b, 1);
      const rowLen = t.dims[0] ?? 1;
      const rows = rowLen === 0 ? 0 : n / rowLen;
      const rowBytes = (rowLen / TYPE_BY_NAME.get(t.type)!.block) * TYPE_BY_NAME.get(t.type)!.bytes;
      if (into !== undefined && into.length !== n) throw new Error(`gguf ${where}: tensor "${name}" has ${n} values; the array given for them has ${into.length}`);
      const data = into ?? new Float32Array(n);
      for (let i = 0; i < rows; i++) decode(view, i * rowBytes, rowLen, data, i * rowLen);
      return { data, shape: [...t.dims].reverse() };
    },
  };
}

/** Parses GGUF bytes already in memory (`where` names them in errors). */
export function parseGguf(bytes: Uint8Array, where = "<bytes>"): GgufFile {
  if (!(bytes instanceof Uint8Array)) throw new Error(`parseGguf: bytes must be a Uint8Array; got ${typeof bytes}`);
  return parse(bufferSource(bytes), where);
}

/** Opens a GGUF file: reads the header now and each tensor's bytes when `tensor(name)` asks for them. */
export function openGguf(path: string): GgufFile {
  if (typeof path !== "string" || path === "") throw new Error(`openGguf: path must be a file path; got ${JSON.stringify(path)}`);
  if (!fs.existsSync(path)) throw new Error(`openGguf: no such file ${path}`);
  if (!fs.statSync(path).isFile()) throw new Error(`openGguf: ${path} is not a file`);
  return parse(fileSource(path), path);
}
