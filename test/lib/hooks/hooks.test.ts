/** runWithHooks: reading and replacing activations, per-head/position helpers, scoping and errors. */
import * as tf from "@tensorflow/tfjs";
import { ready } from "../../../lib/backend";
import { headHook, posHook, sliceHook } from "../../../lib/hooks/helpers";
import { actName, parseHookName, type HookName } from "../../../lib/hooks/names";
import { createModel } from "../../../lib/model/init";
import type { HookContext } from "../../../lib/model/types";
import { maxAbsDiff, TINY_BERT, TINY_GPT2 } from "../model/tiny";

beforeAll(async () => {
  await ready();
});

const IDS = [3, 1, 4, 1, 5, 9];

describe("runWithHooks", () => {
  test("read-only hooks see every hook point once, in forward order, with the documented shapes", () => {
    const m = createModel(TINY_GPT2, { seed: 1 });
    const seen: Array<[HookName, number | null, number[]]> = [];
    const { logits } = m.runWithHooks(IDS, [{ name: () => true, fn: (a, ctx: HookContext) => void seen.push([ctx.name, ctx.layer, a.shape]) }]);
    expect(seen.map((s) => s[0])).toEqual(m.hookNames());
    const shape = (n: string) => seen.find((s) => s[0] === n)![2];
    expect(shape("blocks.1.attn.hook_q")).toEqual([1, 6, 4, 4]);
    expect(shape("blocks.1.attn.hook_pattern")).toEqual([1, 4, 6, 6]);
    expect(shape("blocks.1.attn.hook_result")).toEqual([1, 6, 4, 16]);
    expect(shape("blocks.0.mlp.hook_post")).toEqual([1, 6, 64]);
    expect(shape("ln_final.hook_scale")).toEqual([1, 6, 1]);
    expect(shape("hook_logits")).toEqual([1, 6, 23]);
    for (const [name, layer] of seen) expect(layer).toBe(parseHookName(name).layer);
    // Reading without replacing changes nothing, up to float rounding: asking for hook_result makes
    // the attention output a sum over per-head results instead of one fused matmul.
    expect(maxAbsDiff(logits, m.run(IDS))).toBeLessThan(1e-6);
    const noResult = m.runWithHooks(IDS, [{ name: (n) => !n.endsWith("hook_result"), fn: () => undefined }]).logits;
    expect(maxAbsDiff(noResult, m.run(IDS))).toBe(0);
    m.dispose();
  });

  test("a replacement flows downstream: patching resid_pre of layer 1 from another run reproduces that run", () => {
    const m = createModel(TINY_GPT2, { seed: 2, initStd: 0.2 });
    const clean = [7, 7, 2, 9, 11, 3];
    const { logits: cleanLogits, cache } = m.runWithCache(clean, { names: [actName("resid_pre", 1)] });
    const patched = m.runWithHooks(IDS, [{ name: actName("resid_pre", 1), fn: () => cache.get(actName("resid_pre", 1)) }]);
    expect(maxAbsDiff(patched.logits, cleanLogits)).toBe(0);
    expect(maxAbsDiff(patched.logits, m.run(IDS))).toBeGreaterThan(1e-3);
    // The patched-in tensor belongs to the cache and must survive the call, even when it is what
    // the call returns and the caller disposes that.
    expect(cache.get(actName("resid_pre", 1)).isDisposed).toBe(false);
    const same = m.runWithHooks(IDS, [{ name: "hook_logits", fn: () => cleanLogits }]).logits;
    same.dispose();
    expect(cleanLogits.isDisposed).toBe(false);
    cache.dispose();
    m.dispose();
  });

  test("hooks compose in order, and the cache records the replaced value", () => {
    const m = createModel(TINY_BERT, { seed: 3 });
    const name = actName("attn_out", 0);
    const { cache } = m.runWithHooks(
      IDS,
      [
        { name, fn: (a) => tf.mul(a, 0) },
        { name, fn: (a) => tf.add(a, 2) },
      ],
      { names: [name] },
    );
    expect(Array.from(new Set(cache!.get(name).dataSync()))).toEqual([2]);
    cache!.dispose();
    m.dispose();
  });

  test("a throwing hook leaves no hook and no tensor behind", () => {
    const m = createModel(TINY_GPT2, { seed: 4 });
    const clean = m.run(IDS);
    const before = tf.memory().numTensors;
    let calls = 0;
    const boom = () => {
      calls++;
      throw new Error("boom");
    };
    expect(() => m.runWithHooks(IDS, [{ name: actName("mlp_out", 1), fn: boom }], { names: [actName("resid_pre", 0)] })).toThrow("boom");
    expect(calls).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const after = m.run(IDS);
    expect(calls).toBe(1);
    expect(maxAbsDiff(after, clean)).toBe(0);
    m.dispose();
  });

  test("bad hooks get clear errors naming the hook", () => {
    const m = createModel(TINY_GPT2, { seed: 5 });
    const before = tf.memory().numTensors;
    expect(() => m.runWithHooks(IDS, [{ name: "blocks.0.attn.hook_nope" as HookName, fn: () => undefined }])).toThrow(
      /hooks\[0\].name "blocks.0.attn.hook_nope" is not a hook point of this model/,
    );
    expect(() => m.runWithHooks(IDS, [{ name: "blocks.2.hook_resid_pre" as HookName, fn: () => undefined }])).toThrow(/not a hook point/);
    expect(() => m.runWithHooks(IDS, [{ name: actName("z", 0), fn: (a) => tf.zeros([1, 6, 4]) }])).toThrow(
      /hook on "blocks.0.attn.hook_z" returned shape \[1, 6, 4\]; expected \[1, 6, 4, 4\]/,
    );
    expect(() => m.runWithHooks(IDS, [{ name: actName("z", 0), fn: (a) => tf.cast(a, "int32") }])).toThrow(/returned dtype int32; expected float32/);
    expect(() => m.runWithHooks(IDS, [{ name: actName("z", 0), fn: () => 3 as unknown as tf.Tensor }])).toThrow(/returned number; expected a tf.Tensor/);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe("head and position helpers", () => {
  test("headHook replaces only the chosen head of hook_z", () => {
    const m = createModel(TINY_GPT2, { seed: 6, initStd: 0.2 });
    const name = actName("z", 1);
    const clean = m.runWithCache(IDS, { names: [name] });
    const { cache } = m.runWithHooks(IDS, [headHook(name, 2, (a) => tf.zerosLike(a))], { names: [name] });
    const z = cache!.get(name);
    const zc = clean.cache.get(name);
    expect(tf.max(tf.abs(tf.slice(z, [0, 0, 2, 0], [-1, -1, 1, -1]))).dataSync()[0]).toBe(0);
    for (const h of [0, 1, 3]) expect(maxAbsDiff(tf.slice(z, [0, 0, h, 0], [-1, -1, 1, -1]), tf.slice(zc, [0, 0, h, 0], [-1, -1, 1, -1]))).toBe(0);
    // Ablating a head through z equals removing its term from hook_result's sum.
    const res = m.runWithCache(IDS, { names: [actName("result", 1), actName("attn_out", 1)] }).cache;
    const ablated = m.runWithHooks(IDS, [headHook(name, 2, (a) => tf.zerosLike(a))], { names: [actName("attn_out", 1)] }).cache!;
    const head2 = tf.squeeze(tf.slice(res.get(actName("result", 1)), [0, 0, 2, 0], [-1, -1, 1, -1]), [2]);
    expect(maxAbsDiff(tf.sub(res.get(actName("attn_out", 1)), head2), ablated.get(actName("attn_out", 1)))).toBeLessThan(1e-6);
    [clean.cache, cache!, res, ablated].forEach((c) => c.dispose());
    m.dispose();
  });

  test("posHook replaces only the chosen positions; pattern hooks use the query axis", () => {
    const m = createModel(TINY_BERT, { seed: 7 });
    const name = actName("resid_mid", 0);
    const { cache } = m.runWithHooks(IDS, [posHook(name, [1, 4], (a) => tf.onesLike(a))], { names: [name] });
    const rows = cache!.get(name).arraySync() as number[][][];
    rows[0].forEach((row, p) => expect(row.every((x) => x === 1)).toBe(p === 1 || p === 4));
    const pat = actName("pattern", 0);
    const both = m.runWithHooks(IDS, [sliceHook(pat, { head: 1, pos: 0 }, (a) => tf.fill(a.shape, 0.5))], { names: [pat] }).cache!;
    const P = both.get(pat).arraySync() as number[][][][];
    expect(P[0][1][0].every((x) => x === 0.5)).toBe(true);
    expect(P[0][1][1].some((x) => x === 0.5)).toBe(false);
    expect(P[0][0][0].some((x) => x === 0.5)).toBe(false);
    cache!.dispose();
    both.dispose();
    m.dispose();
  });

  test("helpers validate their arguments", () => {
    expect(() => headHook(actName("resid_pre", 0), 0, () => undefined)).toThrow(/has no head axis/);
    expect(() => headHook(actName("z", 0), -1, () => undefined)).toThrow(/head must be a non-negative integer/);
    const m = createModel(TINY_GPT2, { seed: 0 });
    expect(() => m.runWithHooks(IDS, [headHook(actName("z", 0), 4, (a) => tf.zerosLike(a))])).toThrow(/index 4 is out of range for axis 2 of size 4/);
    m.dispose();
  });
});
