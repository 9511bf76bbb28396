/**
 * Logit lens: read each layer's residual stream (blocks.L.hook_resid_pre, then the final
 * block's resid_post) through the architecture's own final norm and unembedding, as if the
 * model stopped there. The last row is exactly the model's own output.
 */
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { checkInt, prepareSingle } from "./common";
import { architecture } from "../model/architectures";
import { HookState } from "../model/hooked";

export interface LogitLensResult {
  kind: "logit-lens";
  tokens: string[];
  /** Row labels: "resid_pre 0" … "resid_pre L−1", "resid_post L−1 (output)". */
  layers: string[];
  /** Top-k ids and probabilities: [layer, pos, k]. */
  topIds: Int32Array;
  topProbs: Float32Array;
  topTokens: string[][][];
  /** Probability and rank (0 = top) of the target token: [layer, pos]; null without a target. */
  targetProb: Float32Array | null;
  targetRank: Int32Array | null;
  shape: [number, number, number];
  settings: { topK: number; target: number | null };
}

export function logitLens(model: TransformerModel, input: string | number[], opts: { topK?: number; target?: number } = {}): LogitLensResult {
  const fn = "logitLens";
  const cfg = model.config;
  const arch = architecture(cfg);
  if (!arch.preNorm) throw new Error(`${fn}: the logit lens needs a pre-norm decoder (a final norm then the unembedding reading the residual stream); ${arch.label} is not`);
  const k = opts.topK ?? 5;
  checkInt(k, 1, cfg.dVocab, "topK", fn);
  if (opts.target !== undefined) checkInt(opts.target, 0, cfg.dVocab - 1, "target", fn);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  const L = cfg.nLayers;
  const names: HookName[] = [...Array.from({ length: L }, (_, l) => actName("resid_pre", l)), actName("resid_post", L - 1)];
  const { logits, cache } = model.runWithCache([ids], { names });
  const n = names.length;
  const topIds = new Int32Array(n * P * k);
  const topProbs = new Float32Array(n * P * k);
  const targetProb = opts.target !== undefined ? new Float32Array(n * P) : null;
  const targetRank = opts.target !== undefined ? new Int32Array(n * P) : null;
  try {
    names.forEach((name, i) => {
      tf.tidy(() => {
        // The model's own final norm and unembedding, without hooks.
        const lg = arch.unembed(model, cache.get(name) as tf.Tensor3D, new HookState(new Set())).reshape([P, cfg.dVocab]);
        const pr = tf.softmax(lg);
        const top = tf.topk(pr, k);
        topIds.set(top.indices.dataSync(), i * P * k);
        topProbs.set(top.values.dataSync(), i * P * k);
        if (opts.target !== undefined) {
          const tp = pr.slice([0, opts.target], [P, 1]);
          targetProb!.set(tp.reshape([P]).dataSync(), i * P);
          targetRank!.set(pr.greater(tp).cast("int32").sum(1).dataSync() as Int32Array, i * P);
        }
      });
    });
  } finally {
    logits.dispose();
    cache.dispose();
  }
  const str = (id: number) => {
    try {
      return model.toStrTokens([id])[0];
    } catch {
      return String(id);
    }
  };
  const topTokens = Array.from({ length: n }, (_, i) => Array.from({ length: P }, (_, p) => Array.from(topIds.subarray((i * P + p) * k, (i * P + p + 1) * k), str)));
  return {
    kind: "logit-lens",
    tokens,
    layers: [...Array.from({ length: L }, (_, l) => `resid_pre ${l}`), `resid_post ${L - 1} (output)`],
    topIds, topProbs, topTokens, targetProb, targetRank,
    shape: [n, P, k],
    settings: { topK: k, target: opts.target ?? null },
  };
}
