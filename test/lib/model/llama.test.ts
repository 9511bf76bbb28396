/** Llama-family decoder: parity with transformers on tiny random checkpoints (scripts/make_llama_fixtures.py), HF folders and GGUF. */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { actName } from "../../../lib/hooks/names";
import { openGguf } from "../../../lib/io/gguf";
import { readSafetensors } from "../../../lib/io/safetensors";
import { createModel } from "../../../lib/model";
import { configFromHF, modelFromHF, type HFTensor } from "../../../lib/model/hf";
import { configFromGguf, modelFromGguf, unpermuteRows } from "../../../lib/model/llama_load";
import type { TokenBatch, TransformerModel } from "../../../lib/model/types";
import { loadPretrained } from "../../../lib/pretrained";
import { maskedMaxDiff } from "./fixtures";

const FIX = path.join(__dirname, "..", "..", "fixtures", "llama");

interface LlamaFixture {
  name: string;
  cases: string[];
  gguf: { file: string; type: string; reference: string }[];
}

function index(): { models: LlamaFixture[]; tolerance: number } {
  const file = path.join(FIX, "index.json");
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/setup.sh (step 65-llama-fixtures)`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function loadHF(name: string): TransformerModel {
  const dir = path.join(FIX, name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  return modelFromHF(config, readSafetensors(path.join(dir, "model.safetensors")).tensors as Map<string, HFTensor>);
}

function reference(file: string, c: string) {
  const t = readSafetensors(file).tensors;
  const g = (k: string) => t.get(`${c}.${k}`)!;
  const batch: TokenBatch = { ids: Int32Array.from(g("ids").data), shape: g("ids").shape as [number, number], attentionMask: Int32Array.from(g("mask").data) };
  const f = (k: string) => tf.tensor(g(k).data as Float32Array, g(k).shape);
  return { batch, logits: f("logits"), hidden: f("hidden"), attn: f("attn") };
}

/** Logits, every resid_pre, every pattern and HF's normed last hidden state within tol. */
function checkParity(model: TransformerModel, refFile: string, caseName: string, tol: number): void {
  const ref = reference(refFile, caseName);
  const n = model.config.nLayers;
  const names = [
    ...Array.from({ length: n }, (_, l) => actName("resid_pre", l)),
    ...Array.from({ length: n }, (_, l) => actName("pattern", l)),
    actName("ln_final_normalized"),
  ];
  const { logits, cache } = model.runWithCache(ref.batch, { names });
  const mask = ref.batch.attentionMask;
  expect(maskedMaxDiff(logits, ref.logits, mask)).toBeLessThanOrEqual(tol);
  for (let l = 0; l < n; l++) {
    expect(maskedMaxDiff(cache.get(actName("resid_pre", l)), tf.squeeze(tf.slice(ref.hidden, [l], [1]), [0]), mask)).toBeLessThanOrEqual(tol);
    expect(maskedMaxDiff(cache.get(actName("pattern", l)), tf.squeeze(tf.slice(ref.attn, [l], [1]), [0]), mask, 2)).toBeLessThanOrEqual(tol);
  }
  const last = tf.mul(cache.get(actName("ln_final_normalized")), model.weights.ln_final_w!);
  expect(maskedMaxDiff(last, tf.squeeze(tf.slice(ref.hidden, [n], [1]), [0]), mask)).toBeLessThanOrEqual(tol);
  cache.dispose();
  logits.dispose();
}

beforeAll(async () => {
  await ready();
});

const idx = index();

describe.each(idx.models.map((m) => [m.name, m] as const))("Llama parity: %s", (name, fx) => {
  test.each(fx.cases)("modelFromHF, case %s: logits, hidden states and patterns within 1e-4 of transformers", (c) => {
    const model = loadHF(name);
    checkParity(model, path.join(FIX, name, "reference.safetensors"), c, idx.tolerance);
    model.dispose();
  });

  test.each(fx.gguf.map((g) => [g.type, g] as const))("modelFromGguf (%s): every case within 1e-4 of transformers loading the same GGUF", (_t, g) => {
    const model = modelFromGguf(openGguf(path.join(FIX, name, g.file)));
    for (const c of fx.cases) checkParity(model, path.join(FIX, name, g.reference), c, idx.tolerance);
    model.dispose();
  });
});

describe("Llama config and hooks", () => {
  test("configFromHF and configFromGguf read the same config from the HF folder and the GGUF", () => {
    const dir = path.join(FIX, "llama-gqa-tied");
    const hf = configFromHF(JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")));
    expect(hf).toMatchObject({ arch: "llama", nLayers: 2, dModel: 64, nHeads: 4, nKVHeads: 2, dHead: 16, dMlp: 128, dVocab: 96, nCtx: 64, act: "silu", tiedUnembed: true, rotaryBase: 100000, rotaryDim: 16, lnEps: 1e-5 });
    const gg = configFromGguf(openGguf(path.join(dir, "llama-gqa-tied.F32.gguf")));
    expect({ ...gg, name: undefined, lnEps: 0 }).toEqual({ ...hf, name: undefined, lnEps: 0 });
    expect(gg.lnEps).toBeCloseTo(1e-5, 10); // stored as float32 in GGUF
    expect(configFromHF(JSON.parse(fs.readFileSync(path.join(FIX, "llama-mha-untied", "config.json"), "utf8")))).toMatchObject({ nKVHeads: 4, tiedUnembed: false, rotaryBase: 10000 });
  });

  test("loadPretrained reads an HF Llama folder (config.json + model.safetensors)", async () => {
    const m = await loadPretrained(path.join(FIX, "llama-mha-untied"));
    expect(m.config).toMatchObject({ arch: "llama", nKVHeads: 4, tiedUnembed: false });
    m.dispose();
  });

  test("configFromHF refuses Llama options attnlab does not implement, by name", () => {
    const c = JSON.parse(fs.readFileSync(path.join(FIX, "llama-gqa-tied", "config.json"), "utf8"));
    expect(() => configFromHF({ ...c, rope_scaling: { rope_type: "llama3", factor: 8 } })).toThrow(/rope_scaling/);
    expect(() => configFromHF({ ...c, attention_bias: true })).toThrow(/attention_bias/);
    expect(() => configFromHF({ ...c, hidden_act: "gelu" })).toThrow(/hidden_act "gelu"/);
    expect(() => configFromHF({ ...c, architectures: ["LlamaForSequenceClassification"] })).toThrow(/LlamaForSequenceClassification is not supported/);
    expect(() => configFromHF({ ...c, num_key_value_heads: 3 })).toThrow(/nKVHeads must be a positive integer dividing nHeads/);
  });

  test("unpermuteRows undoes llama.cpp's Q/K row order (pairs i, i + e/2 made adjacent)", () => {
    // 1 head, e = 4, 1 column: HF rows [a0, a1, b0, b1] (pairs (a0,b0), (a1,b1)) are stored [a0, b0, a1, b1].
    expect(Array.from(unpermuteRows(Float32Array.from([10, 20, 11, 21]), 1, 1))).toEqual([10, 11, 20, 21]);
    // 2 heads, e = 2, 2 columns: each head's two rows swap nothing (one pair) and heads stay in place.
    expect(Array.from(unpermuteRows(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 2, 2))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test("hook points: TransformerLens names, hook_k/hook_v with the key/value heads, patterns per query head", () => {
    const m = createModel({ arch: "llama", nLayers: 1, dModel: 16, nHeads: 4, nKVHeads: 2, dVocab: 20, nCtx: 8, dMlp: 24 }, { seed: 3 });
    const names = m.hookNames();
    for (const n of ["attn.hook_rot_q", "attn.hook_rot_k", "mlp.hook_pre", "mlp.hook_pre_linear", "mlp.hook_post", "ln1.hook_scale"]) expect(names).toContain(`blocks.0.${n}`);
    expect(names).not.toContain("hook_pos_embed");
    const { logits, cache } = m.runWithCache([[1, 2, 3, 4, 5]]);
    expect(cache.get("blocks.0.attn.hook_q").shape).toEqual([1, 5, 4, 4]);
    expect(cache.get("blocks.0.attn.hook_k").shape).toEqual([1, 5, 2, 4]);
    expect(cache.get("blocks.0.attn.hook_rot_k").shape).toEqual([1, 5, 2, 4]);
    expect(cache.get("blocks.0.attn.hook_v").shape).toEqual([1, 5, 2, 4]);
    expect(cache.get("blocks.0.attn.hook_pattern").shape).toEqual([1, 4, 5, 5]);
    expect(cache.get("blocks.0.mlp.hook_pre_linear").shape).toEqual([1, 5, 24]);
    // Position 0 is not rotated; later positions are.
    const q = cache.get("blocks.0.attn.hook_q").arraySync() as number[][][][];
    const rq = cache.get("blocks.0.attn.hook_rot_q").arraySync() as number[][][][];
    expect(rq[0][0][1]).toEqual(q[0][0][1]);
    expect(rq[0][3][1]).not.toEqual(q[0][3][1]);
    // Query heads 0 and 1 read key/value head 0: zeroing KV head 1's values leaves their outputs alone.
    const zeroV = { name: "blocks.0.attn.hook_v" as const, fn: (v: tf.Tensor) => tf.mul(v, tf.tensor([1, 0], [1, 1, 2, 1])) };
    const a = m.runWithHooks([[1, 2, 3, 4, 5]], [zeroV], { names: ["blocks.0.attn.hook_z"] });
    const z0 = cache.get("blocks.0.attn.hook_z").arraySync() as number[][][][];
    const z1 = a.cache!.get("blocks.0.attn.hook_z").arraySync() as number[][][][];
    expect(z1[0][4][1]).toEqual(z0[0][4][1]);
    expect(z1[0][4][2].every((x) => x === 0)).toBe(true);
    expect(m.numParams()).toBe(20 * 16 + (2 * 4 * 16 * 4 + 2 * 2 * 16 * 4 + 3 * 16 * 24 + 2 * 16) + 16 + 16 * 20);
    logits.dispose();
    a.logits.dispose();
    a.cache!.dispose();
    cache.dispose();
    m.dispose();
  });
});
