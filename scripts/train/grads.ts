/**
 * One gradient evaluation on attnlab's backend (tfjs-node where the set-up built it, else wasm):
 * used in-process and by each data-parallel worker.
 */
import * as tf from "@tensorflow/tfjs";
import { ready as backendReady } from "../../lib/backend";
import type { ModelConfig } from "../../lib/model/types";
import { batchLoss, type Batch, type TensorTable } from "./forward";
import { paramSpecs, type ParamTable } from "./params";

let ready: Promise<void> | null = null;

/** Selects attnlab's backend once (never the pure-JS cpu fallback: its numerics and speed differ). */
export function useBackend(): Promise<void> {
  if (!ready) {
    ready = (async () => {
      const b = await backendReady();
      if (b === "cpu") throw new Error("training needs the tensorflow (tfjs-node) or wasm backend; only the cpu fallback initialised");
    })();
  }
  return ready;
}

export function tensorTable(cfg: ModelConfig, params: ParamTable): TensorTable {
  const out: TensorTable = {};
  for (const s of paramSpecs(cfg)) {
    const a = params[s.name];
    if (!a) throw new Error(`params: missing "${s.name}"`);
    out[s.name] = tf.tensor(a, s.shape);
  }
  return out;
}

export interface GradResult {
  /** This batch's share of the loss: weighted loss sum / denominator. */
  loss: number;
  grads: ParamTable;
}

export function computeGrads(cfg: ModelConfig, params: ParamTable, batch: Batch, denominator: number): GradResult {
  const specs = paramSpecs(cfg);
  const names = specs.map((s) => s.name);
  const outs = tf.tidy(() => {
    const table = tensorTable(cfg, params);
    const xs = names.map((n) => table[n]);
    const f = (...args: tf.Tensor[]) => {
      const t: TensorTable = {};
      names.forEach((n, i) => (t[n] = args[i]));
      return batchLoss(t, cfg, batch, denominator);
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return [value, ...grads];
  });
  const loss = outs[0].dataSync()[0];
  const grads: ParamTable = {};
  names.forEach((n, i) => (grads[n] = outs[i + 1].dataSync() as Float32Array));
  outs.forEach((t) => t.dispose());
  return { loss, grads };
}

/** Weighted loss sum / denominator without gradients (validation). */
export function computeLoss(cfg: ModelConfig, params: ParamTable, batch: Batch, denominator: number): number {
  const t = tf.tidy(() => batchLoss(tensorTable(cfg, params), cfg, batch, denominator));
  const v = t.dataSync()[0];
  t.dispose();
  return v;
}
