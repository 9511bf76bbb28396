/** safetensors reading (against files the Python `safetensors` package wrote), writing and errors. */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  f16BitsToFloat, floatToBf16Bits, floatToF16Bits, openSafetensors, parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors,
} from "../../../lib/io";

const FIX = path.join(__dirname, "../../fixtures/io");
const ROOT = path.join(__dirname, "../../..");
const PY = path.join(ROOT, ".venv/bin/python");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-st-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function num(v: number | string): number {
  return v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number);
}

describe("reading files written by Python safetensors", () => {
  const expected = JSON.parse(fs.readFileSync(path.join(FIX, "mixed.expected.json"), "utf8"));
  const file = path.join(FIX, "mixed.safetensors");

  test.each(["readSafetensors", "parseSafetensors"])("%s: every dtype, shape and value", (how) => {
    const st = how === "readSafetensors" ? readSafetensors(file) : parseSafetensors(fs.readFileSync(file), file);
    expect(st.metadata).toEqual(expected.metadata);
    expect([...st.tensors.keys()].sort()).toEqual(Object.keys(expected.tensors).sort());
    for (const [name, want] of Object.entries<{ shape: number[]; values: (number | string)[] }>(expected.tensors)) {
      const t = st.tensors.get(name)!;
      expect(t.shape).toEqual(want.shape);
      const wantVals = want.values.map(num).map((v) => (t.data instanceof Float32Array ? Math.fround(v) : v));
      expect(Array.from(t.data)).toEqual(wantVals);
    }
    expect(st.tensors.get("w.i64")!.data).toBeInstanceOf(Int32Array);
    expect(st.tensors.get("w.bf16")!.dtype).toBe("BF16");
    expect(Object.is(st.tensors.get("w.f16")!.data[expected.tensors["w.f16"].negzero_index], -0)).toBe(true);
  });
});

describe("openSafetensors", () => {
  const file = path.join(FIX, "mixed.safetensors");

  test("the same tensors and metadata as readSafetensors, each in a buffer of its own", () => {
    const lazy = openSafetensors(file);
    const eager = readSafetensors(file);
    expect(lazy.metadata).toEqual(eager.metadata);
    expect([...lazy.tensors.keys()]).toEqual([...eager.tensors.keys()]);
    for (const [name, t] of eager.tensors) {
      const l = lazy.tensors.get(name)!;
      expect([l.dtype, l.shape]).toEqual([t.dtype, t.shape]);
      expect(l.data.constructor).toBe(t.data.constructor);
      expect(Array.from(l.data)).toEqual(Array.from(t.data));
      // No view into a file-sized buffer: dropping the tensor frees its bytes.
      expect(t.data.byteOffset).toBe(0);
      expect(t.data.buffer.byteLength).toBe(t.data.byteLength);
    }
  });

  test("reads a tensor's data when it is accessed, afresh each time (nothing cached)", () => {
    const copy = path.join(tmp, "lazy.safetensors");
    writeSafetensors(copy, { a: { shape: [2], data: new Float32Array([1, 2]) } });
    const st = openSafetensors(copy);
    const first = st.tensors.get("a")!.data;
    first[0] = 99;
    expect(Array.from(st.tensors.get("a")!.data)).toEqual([1, 2]);
    writeSafetensors(copy, { a: { shape: [2], data: new Float32Array([3, 4]) } });
    expect(Array.from(st.tensors.get("a")!.data)).toEqual([3, 4]);
    fs.rmSync(copy);
    expect(() => st.tensors.get("a")!.data).toThrow(/lazy\.safetensors: the file was removed after it was opened \(reading tensor "a"\)/);
  });

  test("checks the header when opened: a truncated file is refused before any tensor is read", () => {
    const bytes = serializeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) } });
    const cut = path.join(tmp, "cut-open.safetensors");
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 4));
    expect(() => openSafetensors(cut)).toThrow(/cut-open\.safetensors.*run past the end of the data/);
    expect(() => openSafetensors(path.join(tmp, "nope.safetensors"))).toThrow(/nope\.safetensors: no such file/);
  });
});

describe("writing", () => {
  const tensors = {
    "b.f32": { shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, 1e30, 0, -0]) },
    "a.i32": { shape: [3], data: new Int32Array([1, -2, 2147483647]) },
    "c.i64": { dtype: "I64" as const, shape: [2], data: [5, -7] },
    "d.f16": { dtype: "F16" as const, shape: [4], data: [1.5, -65504, 0.1, 1e-7] },
    "e.bf16": { dtype: "BF16" as const, shape: [1, 2], data: [3.140625, -1e20] },
    scalar: { shape: [], data: new Float32Array([7]) },
  };

  test("round trip through our reader, header aligned to 8 bytes", () => {
    const file = path.join(tmp, "rt.safetensors");
    writeSafetensors(file, tensors, { format: "attnlab" });
    const bytes = fs.readFileSync(file);
    expect(Number(bytes.readBigUInt64LE(0)) % 8).toBe(0);
    const st = readSafetensors(file);
    expect(st.metadata).toEqual({ format: "attnlab" });
    expect(Array.from(st.tensors.get("b.f32")!.data)).toEqual(Array.from(tensors["b.f32"].data));
    expect(Array.from(st.tensors.get("a.i32")!.data)).toEqual([1, -2, 2147483647]);
    expect(Array.from(st.tensors.get("c.i64")!.data)).toEqual([5, -7]);
    expect(Array.from(st.tensors.get("d.f16")!.data)).toEqual([1.5, -65504, f16BitsToFloat(floatToF16Bits(0.1)), f16BitsToFloat(floatToF16Bits(1e-7))]);
    expect(st.tensors.get("scalar")!.shape).toEqual([]);
    expect(fs.readdirSync(tmp).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  test("Python safetensors + torch read what we wrote", () => {
    const file = path.join(tmp, "py.safetensors");
    writeSafetensors(file, tensors, { format: "pt" });
    const script = `
import json, sys
from safetensors.torch import load_file
from safetensors import safe_open
t = load_file(sys.argv[1])
with safe_open(sys.argv[1], "pt") as f: meta = f.metadata()
print(json.dumps({"meta": meta, "t": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "v": v.float().flatten().tolist()} for k, v in t.items()}}))`;
    const out = JSON.parse(execFileSync(PY, ["-c", script, file], { encoding: "utf8" }));
    expect(out.meta).toEqual({ format: "pt" });
    expect(out.t["c.i64"]).toEqual({ dtype: "torch.int64", shape: [2], v: [5, -7] });
    expect(out.t["e.bf16"].dtype).toBe("torch.bfloat16");
    expect(out.t["e.bf16"].v[0]).toBe(3.140625);
    expect(out.t["d.f16"].v[0]).toBe(1.5);
    expect(out.t["b.f32"].v.slice(0, 2)).toEqual([1, -2.5]);
    expect(out.t["scalar"]).toEqual({ dtype: "torch.float32", shape: [], v: [7] });
  });

  test("bad tensors are refused with their name", () => {
    expect(() => serializeSafetensors({ x: { shape: [2, 2], data: new Float32Array(3) } })).toThrow(/tensor "x" has 3 values but shape \[2,2\] needs 4/);
    expect(() => serializeSafetensors({ x: { shape: [-1], data: [] } })).toThrow(/tensor "x" needs a shape/);
    expect(() => serializeSafetensors({ x: { dtype: "U16" as never, shape: [1], data: [1] } })).toThrow(/dtype must be one of/);
  });
});

describe("half precision conversions", () => {
  test("every F16 bit pattern survives float and back", () => {
    let bad = 0;
    for (let h = 0; h < 65536; h++) {
      const x = f16BitsToFloat(h);
      if (Number.isNaN(x)) continue;
      if (floatToF16Bits(x) !== h) bad++;
    }
    expect(bad).toBe(0);
  });

  test("rounding to nearest even and overflow", () => {
    expect(floatToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: rounds to even (1)
    expect(floatToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToF16Bits(70000)).toBe(0x7c00);
    expect(floatToBf16Bits(1)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
  });
});

describe("corrupt files: each error names the file and the problem", () => {
  const good = serializeSafetensors({ a: { shape: [2], data: new Float32Array([1, 2]) }, b: { shape: [1], data: new Float32Array([3]) } });
  const headerOf = (bytes: Uint8Array) => {
    const n = Number(Buffer.from(bytes).readBigUInt64LE(0));
    return JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString());
  };
  function withHeader(header: unknown, dataBytes: number): Buffer {
    const json = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(json.length));
    return Buffer.concat([len, json, Buffer.alloc(dataBytes)]);
  }
  function both(name: string, bytes: Uint8Array, pattern: RegExp) {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    expect(() => readSafetensors(file)).toThrow(new RegExp(`${name}.*${pattern.source}`));
    expect(() => parseSafetensors(bytes, file)).toThrow(new RegExp(`${name}.*${pattern.source}`));
  }

  test("shorter than the 8-byte length", () => both("tiny.safetensors", good.subarray(0, 5), /truncated file \(5 bytes/));
  test("header length beyond the file", () => both("cut-header.safetensors", good.subarray(0, 20), /header length \d+ goes beyond the end of the file \(20 bytes\)/));
  test("header length absurdly large", () => {
    const b = Buffer.from(good);
    b.writeBigUInt64LE(2n ** 60n);
    both("huge.safetensors", b, /header length \d+ bytes is implausible/);
  });
  test("malformed JSON header", () => {
    const b = Buffer.from(good);
    b[8] = "x".charCodeAt(0);
    both("badjson.safetensors", b, /malformed JSON header/);
  });
  test("data cut short (offsets out of range)", () => both("cut-data.safetensors", good.subarray(0, good.length - 4), /tensor "b" data_offsets \[8, 12\] run past the end of the data \(8 bytes\): the file is truncated/));
  test("overlapping tensors", () => {
    const h = headerOf(good);
    h.b.data_offsets = [4, 8];
    both("overlap.safetensors", withHeader(h, 12), /tensors "a" \[0, 8\] and "b" \[4, 8\] overlap/);
  });
  test("unsupported dtype", () => {
    const h = headerOf(good);
    h.a.dtype = "F8_E4M3";
    both("dtype.safetensors", withHeader(h, 12), /tensor "a" has unsupported dtype "F8_E4M3"/);
  });
  test("byte length that does not match dtype and shape", () => {
    const h = headerOf(good);
    h.a.shape = [3];
    both("len.safetensors", withHeader(h, 12), /tensor "a" \(F32 \[3\]\) needs 12 bytes but data_offsets \[0, 8\] hold 8/);
  });
  test("missing file", () => {
    expect(() => readSafetensors(path.join(tmp, "absent.safetensors"))).toThrow(/absent\.safetensors: no such file/);
  });
});
