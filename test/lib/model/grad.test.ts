/** Gradients through the whole model on the default backend (tfjs-node where built, else wasm), checked by finite differences. */
import * as tf from "@tensorflow/tfjs";
import { activeBackend, ready } from "../../../lib/backend";
import { createModel } from "../../../lib/model/init";
import { HookedTransformer } from "../../../lib/model/model";
import { nextTokenLoss, TINY_ATTN_ONLY, TINY_BERT, TINY_GPT2, weightList } from "./tiny";
import type { ModelSpec } from "../../../lib/model/config";

beforeAll(async () => {
  await ready();
});

const IDS = [
  [1, 5, 9, 2, 5, 7],
  [3, 3, 8, 1, 0, 4],
];

/** Loss of `m` with its weights replaced by `ws` (same order as weightList). */
function lossWith(m: HookedTransformer, ws: tf.Tensor[]): tf.Scalar {
  const names = weightList(m).map(([n]) => n);
  const w: any = { ...m.weights, blocks: m.weights.blocks.map((b) => ({ ...b })) };
  if (m.config.tiedUnembed) delete w.W_U;
  names.forEach((n, i) => {
    const parts = n.split(".");
    if (parts[0] === "blocks") w.blocks[Number(parts[1])][parts[2]] = ws[i];
    else w[n] = ws[i];
  });
  const tmp = new HookedTransformer(m.config, w);
  return nextTokenLoss(tmp.run(IDS), IDS);
}

describe.each<[string, ModelSpec]>([
  ["gpt2", TINY_GPT2],
  ["attention-only gpt2 (untied)", TINY_ATTN_ONLY],
  ["bert", TINY_BERT],
])("gradients: %s", (_label, spec) => {
  test("tf.grads wrt every weight matches a finite-difference directional derivative", () => {
    const m = createModel(spec, { seed: 3, initStd: 0.3 });
    const ws = weightList(m).map(([, t]) => t);
    const grads = tf.grads((...xs: tf.Tensor[]) => nextTokenLoss(m.run(IDS), IDS))(ws);
    expect(tf.getBackend()).toBe(activeBackend());
    grads.forEach((g, i) => {
      expect(g.shape).toEqual(ws[i].shape);
      expect(Number.isFinite(tf.sum(tf.abs(g)).dataSync()[0])).toBe(true);
    });
    // Every weight matters for this loss except, by construction, nothing: check a few are non-zero.
    const nonZero = grads.filter((g) => tf.max(tf.abs(g)).dataSync()[0] > 0).length;
    expect(nonZero).toBeGreaterThan(grads.length * 0.7);

    // Directional derivative along a random direction, in float64 arithmetic on the JS side.
    const dirs = ws.map((w, i) => tf.randomNormal(w.shape, 0, 1, "float32", 100 + i));
    let analytic = 0;
    grads.forEach((g, i) => {
      const gd = g.dataSync();
      const dd = dirs[i].dataSync();
      for (let j = 0; j < gd.length; j++) analytic += gd[j] * dd[j];
    });
    const eps = 2e-3;
    const shifted = (s: number) => tf.tidy(() => lossWith(m, ws.map((w, i) => tf.add(w, tf.mul(dirs[i], s * eps)))).dataSync()[0]);
    const numeric = (shifted(1) - shifted(-1)) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThan(0.01 * Math.abs(analytic) + 3e-3);
    m.dispose();
  });

  test("gradient wrt the input token embeddings (via a hook_embed replacement) matches finite differences", () => {
    const m = createModel(spec, { seed: 4, initStd: 0.3 });
    const { cache, logits } = m.runWithCache(IDS, { names: ["hook_embed"] });
    logits.dispose();
    const emb = cache.get("hook_embed");
    const f = (x: tf.Tensor) => nextTokenLoss(m.runWithHooks(IDS, [{ name: "hook_embed", fn: () => x }]).logits, IDS);
    const g = tf.grad(f)(emb);
    expect(g.shape).toEqual([2, 6, spec.dModel]);
    const dir = tf.randomNormal(emb.shape, 0, 1, "float32", 7);
    const analytic = tf.sum(tf.mul(g, dir)).dataSync()[0];
    const eps = 2e-3;
    const at = (s: number) => tf.tidy(() => f(tf.add(emb, tf.mul(dir, s * eps))).dataSync()[0]);
    const numeric = (at(1) - at(-1)) / (2 * eps);
    expect(Math.abs(analytic)).toBeGreaterThan(1e-3);
    expect(Math.abs(numeric - analytic)).toBeLessThan(0.01 * Math.abs(analytic) + 3e-3);
    cache.dispose();
    m.dispose();
  });
});
