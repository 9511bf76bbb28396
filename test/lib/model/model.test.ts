/** Forward-pass behaviour of createModel's models: determinism, padding, caching, partial runs, validation. */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { actName } from "../../../lib/hooks/names";
import { embedTokens, hookState, runBlocks, unembed } from "../../../lib/model/forward";
import { createModel } from "../../../lib/model/init";
import type { TokenBatch } from "../../../lib/model/types";
import { maxAbsDiff, TINY_ATTN_ONLY, TINY_BERT, TINY_GPT2 } from "./tiny";

beforeAll(async () => {
  await ready();
});

describe("createModel", () => {
  test("is deterministic per seed and differs across seeds", () => {
    const a = createModel(TINY_GPT2, { seed: 1 });
    const b = createModel(TINY_GPT2, { seed: 1 });
    const c = createModel(TINY_GPT2, { seed: 2 });
    const ids = [1, 2, 3, 4, 5];
    expect(maxAbsDiff(a.run(ids), b.run(ids))).toBe(0);
    expect(maxAbsDiff(a.run(ids), c.run(ids))).toBeGreaterThan(1e-4);
    const std = tf.moments(a.weights.blocks[0].W_Q).variance.sqrt().dataSync()[0];
    expect(std).toBeGreaterThan(0.017);
    expect(std).toBeLessThan(0.023);
    [a, b, c].forEach((m) => m.dispose());
  });

  test("rejects bad configs with the field name", () => {
    expect(() => createModel({ ...TINY_GPT2, dModel: 18 })).toThrow(/dModel \(18\) must be divisible by nHeads \(4\)/);
    expect(() => createModel({ ...TINY_BERT, attnOnly: true })).toThrow(/attnOnly: BERT models always have an MLP/);
    expect(() => createModel({ ...TINY_GPT2, nLayers: 0 })).toThrow(/nLayers must be a positive integer/);
    expect(() => createModel({ ...TINY_GPT2, arch: "t5" as "gpt2" })).toThrow(/arch must be "gpt2", "bert" or "llama"/);
  });

  test("dispose frees every weight (including a lazily built tied W_U)", () => {
    const before = tf.memory().numTensors;
    const m = createModel(TINY_GPT2, { seed: 0 });
    const WU = m.weights.W_U;
    expect(WU.shape).toEqual([16, 23]);
    expect(tf.tidy(() => maxAbsDiff(WU, tf.transpose(m.weights.W_E)))).toBe(0);
    expect(m.numParams()).toBeGreaterThan(0);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.run([1, 2])).toThrow(/disposed/);
  });

  test("rich display describes the config", () => {
    const m = createModel({ ...TINY_ATTN_ONLY, name: "toy <attn>" }, { seed: 0 });
    const out = (m as unknown as Record<symbol, () => Record<string, string>>)[Symbol.for("attnlab.display")]();
    expect(out["text/plain"]).toMatch(/toy <attn>/);
    expect(out["text/plain"]).toMatch(/d_mlp: none \(attention-only\)/);
    expect(out["text/html"]).toMatch(/<table>/);
    expect(out["text/html"]).toContain("toy &lt;attn&gt;");
    m.dispose();
  });
});

describe.each([
  ["gpt2", TINY_GPT2],
  ["bert", TINY_BERT],
] as const)("forward (%s)", (arch, spec) => {
  test("a right-padded batch gives each row the same outputs as running it alone", () => {
    const m = createModel(spec, { seed: 5, initStd: 0.2 });
    const long = [3, 1, 4, 1, 5, 9, 2];
    const short = [2, 7, 1];
    const batch = m.toTokens([long, short]);
    expect(batch.shape).toEqual([2, 7]);
    expect(Array.from(batch.attentionMask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    const both = m.run(batch);
    const alone = m.run(short);
    const row = tf.slice(both, [1, 0, 0], [1, 3, -1]);
    expect(maxAbsDiff(row, alone)).toBeLessThan(1e-5);
    expect(maxAbsDiff(tf.slice(both, [0, 0, 0], [1, 7, -1]), m.run(long))).toBeLessThan(1e-5);
    const { cache } = m.runWithCache(batch, { names: [actName("attn_scores", 1), actName("pattern", 1)] });
    const scores = cache.get(actName("attn_scores", 1)).arraySync() as number[][][][];
    const pattern = cache.get(actName("pattern", 1)).arraySync() as number[][][][];
    // Row 1, query 0: keys 3.. are padding (and, for GPT-2, also in the future).
    expect(scores[1][0][0][3]).toBe(-Infinity);
    expect(pattern[1][0][0][3]).toBe(0);
    if (arch === "gpt2") expect(pattern[0][0][0][1]).toBe(0); // causal
    else expect(pattern[0][0][0][1]).toBeGreaterThan(0); // bidirectional
    cache.dispose();
    m.dispose();
  });

  test("runWithCache keeps exactly the requested names, and memory follows", () => {
    const m = createModel(spec, { seed: 0 });
    m.run([1]).dispose(); // builds the cached W_U of a tied model once
    const before = tf.memory().numTensors;
    const names = [actName("z", 0), actName("resid_post", 1)];
    const { logits, cache } = m.runWithCache([1, 2, 3], { names });
    expect(cache.names().sort()).toEqual([...names].sort());
    expect(tf.memory().numTensors).toBe(before + 1 + names.length);
    expect(cache.get(actName("z", 0)).shape).toEqual([1, 3, 4, 4]);
    expect(() => cache.get(actName("q", 0))).toThrow(/"blocks.0.attn.hook_q" was not cached/);
    cache.dispose();
    logits.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const full = m.runWithCache([1, 2, 3]);
    expect(full.cache.names()).toEqual(m.hookNames());
    full.cache.dispose();
    full.logits.dispose();
    const pred = m.runWithCache([1, 2, 3], { names: (n) => n.endsWith("hook_pattern") });
    expect(pred.cache.names()).toEqual([actName("pattern", 0), actName("pattern", 1)]);
    pred.cache.dispose();
    pred.logits.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => m.runWithCache([1], { names: ["blocks.9.hook_resid_pre" as never] })).toThrow(/unknown hook name "blocks.9.hook_resid_pre"/);
    m.dispose();
  });

  test("cached activations obey their definitions (result sums to attn_out, pattern = softmax(scores), LayerNorm hooks)", () => {
    const m = createModel(spec, { seed: 2, initStd: 0.2 });
    const { cache } = m.runWithCache([4, 8, 15, 16, 23 % 23, 42 % 23]);
    const L = 1;
    const attnOut = cache.get(actName("attn_out", L));
    const summed = tf.add(tf.sum(cache.get(actName("result", L)), 2), m.weights.blocks[L].b_O);
    expect(maxAbsDiff(summed, attnOut)).toBeLessThan(1e-5);
    expect(maxAbsDiff(tf.softmax(cache.get(actName("attn_scores", L))), cache.get(actName("pattern", L)))).toBeLessThan(1e-6);
    expect(cache.get(actName("ln1_scale", L)).shape).toEqual([1, 6, 1]);
    const normed = cache.get(actName("ln2_normalized", L));
    expect(tf.max(tf.abs(tf.mean(normed, -1))).dataSync()[0]).toBeLessThan(1e-5);
    expect(cache.get(actName("result", L)).shape).toEqual([1, 6, 4, 16]);
    expect(cache.get(actName("pre", L)).shape).toEqual([1, 6, 64]);
    if (arch === "gpt2") {
      const mid = tf.add(cache.get(actName("resid_pre", L)), attnOut);
      expect(maxAbsDiff(mid, cache.get(actName("resid_mid", L)))).toBeLessThan(1e-6);
    } else {
      expect(cache.has(actName("token_type_embed"))).toBe(true);
    }
    cache.dispose();
    m.dispose();
  });

  test("runWithCache makes hook_result when it is read: the value a hook sees, logits equal to run(), no tensor left", () => {
    const m = createModel(spec, { seed: 3, initStd: 0.2 });
    const ids = [5, 1, 9, 2, 6];
    const before = tf.memory().numTensors;
    const { logits, cache } = m.runWithCache(ids);
    // Without a hook on hook_result the attention output is the fused W_O matmul, as in run().
    const plain = m.run(ids);
    expect(maxAbsDiff(logits, plain)).toBe(0);
    let seen: tf.Tensor | null = null;
    const hooked = m.runWithHooks(ids, [{ name: actName("result", 1), fn: (a) => void (seen = tf.keep(a.clone())) }]);
    const result = cache.get(actName("result", 1));
    expect(result.shape).toEqual(seen!.shape);
    expect(maxAbsDiff(result, seen!)).toBe(0);
    expect(cache.get(actName("result", 1))).toBe(result); // made once
    [logits, plain, hooked.logits, seen!].forEach((t) => t.dispose());
    cache.dispose(); // frees the made value and the inputs kept for the unread layers
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  test("embedTokens / runBlocks / unembed reproduce run(), including a restart from a middle layer", () => {
    const m = createModel(spec, { seed: 9, initStd: 0.2 });
    const batch = m.toTokens([[1, 2, 3, 4], [5, 6]]);
    const full = m.run(batch);
    const st = hookState(m, { names: [actName("resid_pre", 1)] });
    const e = embedTokens(m, batch, st);
    const mid = runBlocks(m, e, { toLayer: 1, attentionMask: batch.attentionMask, state: st });
    const end = runBlocks(m, mid, { fromLayer: 1, attentionMask: batch.attentionMask, state: st });
    const logits = unembed(m, end, st);
    expect(maxAbsDiff(logits, full)).toBe(0);
    expect(maxAbsDiff(st.cache!.get(actName("resid_pre", 1)), mid)).toBe(0);
    // Without a state: no hooks, no cache, same numbers.
    expect(maxAbsDiff(unembed(m, runBlocks(m, embedTokens(m, batch), { attentionMask: batch.attentionMask })), full)).toBe(0);
    expect(() => unembed(m, tf.zeros([2, 3]) as unknown as tf.Tensor3D)).toThrow(/unembed: resid must be a \[batch, pos, 16\] tensor; got \[2, 3\]/);
    expect(() => runBlocks(m, mid, { fromLayer: 3, state: st })).toThrow(/fromLayer must be an integer in \[0, 2\]/);
    expect(() => runBlocks(m, tf.zeros([1, 2, 5]) as tf.Tensor3D, { state: st })).toThrow(/resid must be a \[batch, pos, 16\] tensor/);
    st.cache!.dispose();
    m.dispose();
  });
});

describe("attention-only model", () => {
  test("has no MLP hooks and its resid_post is resid_pre + attn_out", () => {
    const m = createModel(TINY_ATTN_ONLY, { seed: 0 });
    const names = m.hookNames();
    expect(names.some((n) => /mlp|resid_mid|ln2/.test(n))).toBe(false);
    expect(names[0]).toBe("hook_embed");
    expect(names[names.length - 1]).toBe("hook_logits");
    const { cache } = m.runWithCache([1, 2, 3]);
    const sum = tf.add(cache.get(actName("resid_pre", 0)), cache.get(actName("attn_out", 0)));
    expect(maxAbsDiff(sum, cache.get(actName("resid_post", 0)))).toBe(0);
    expect(m.weights.W_U.shape).toEqual([16, 23]);
    cache.dispose();
    m.dispose();
  });
});

describe("input validation names the argument", () => {
  const m = () => createModel(TINY_GPT2, { seed: 0 });
  test.each<[string, unknown, RegExp]>([
    ["id out of range", [1, 23], /token id 23 at \[0, 1\] is out of range; ids must be integers in \[0, 23\)/],
    ["non-integer id", [1, 2.5], /token id 2.5/],
    ["too long", Array(13).fill(1), /sequence length 13 exceeds the model's context length nCtx = 12/],
    ["text without tokenizer", "hello", /text input needs a tokenizer/],
    ["empty row", [[1, 2], []], /input\[1\]: sequence is empty/],
    ["empty list", [], /expected a string, string\[\], number\[\]/],
    ["wrong ids length", { ids: new Int32Array(5), shape: [2, 3], attentionMask: new Int32Array(6).fill(1) }, /input.ids has length 5; expected batch\*pos = 2\*3 = 6/],
    ["wrong mask length", { ids: new Int32Array(6), shape: [2, 3], attentionMask: new Int32Array(4) }, /input.attentionMask has length 4; expected 6/],
    ["left padding", { ids: new Int32Array(3), shape: [1, 3], attentionMask: Int32Array.from([0, 1, 1]) }, /starts with padding; attnlab uses right padding/],
    ["token types on gpt2", { ids: new Int32Array(3), shape: [1, 3], attentionMask: Int32Array.from([1, 1, 1]), tokenTypeIds: new Int32Array(3) }, /tokenTypeIds is only for BERT/],
  ])("%s", (_l, input, re) => {
    const model = m();
    expect(() => model.run(input as TokenBatch)).toThrow(re);
    model.dispose();
  });

  test("BERT token types are range-checked", () => {
    const b = createModel(TINY_BERT, { seed: 0 });
    const batch = { ids: Int32Array.from([1, 2]), shape: [1, 2] as [number, number], attentionMask: Int32Array.from([1, 1]), tokenTypeIds: Int32Array.from([0, 2]) };
    expect(() => b.run(batch)).toThrow(/tokenTypeIds: value 2 at index 1 is out of range \[0, 2\)/);
    b.dispose();
  });
});
