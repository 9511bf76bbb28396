/**
 * Worker side of causal tracing: rebuilds the weights, runs the same clean/corrupted base runs
 * as the main thread (same noise, so the same states) and traces the positions it was given,
 * posting each position's probabilities as soon as they are ready.
 */
import * as tf from "@tensorflow/tfjs";
import { parentPort, workerData } from "worker_threads";
import { setBackend, type BackendName } from "../backend";
import type { LayerWeights, ModelConfig, ModelWeights } from "../model/types";
import { TraceEngine, type EngineInput, type TraceCell } from "./trace_engine";

export interface PackedWeights {
  config: ModelConfig;
  arrays: Record<string, { data: Float32Array; shape: number[] }>;
}

const LAYER_KEYS = ["W_Q", "b_Q", "W_K", "b_K", "W_V", "b_V", "W_O", "b_O", "ln1_w", "ln1_b", "ln2_w", "ln2_b", "W_gate", "W_in", "b_in", "W_out", "b_out"] as const;

/** Copies the weights a trace needs into plain arrays (a tied W_U is not copied; unpackWeights rebuilds it). */
export function packWeights(view: { config: ModelConfig; weights: ModelWeights }): PackedWeights {
  const arrays: PackedWeights["arrays"] = {};
  const put = (k: string, t: tf.Tensor | undefined) => {
    if (t) arrays[k] = { data: (t.dataSync() as Float32Array).slice(), shape: t.shape.slice() };
  };
  const w = view.weights;
  put("W_E", w.W_E);
  put("W_pos", w.W_pos);
  put("ln_final_w", w.ln_final_w);
  put("ln_final_b", w.ln_final_b);
  put("b_U", w.b_U);
  if (!view.config.tiedUnembed) put("W_U", w.W_U);
  w.blocks.forEach((b, l) => LAYER_KEYS.forEach((k) => put(`blocks.${l}.${k}`, b[k] as tf.Tensor | undefined)));
  return { config: view.config, arrays };
}

export function unpackWeights(p: PackedWeights): ModelWeights {
  const t = (k: string) => (p.arrays[k] ? tf.tensor(p.arrays[k].data, p.arrays[k].shape) : undefined);
  const blocks: LayerWeights[] = [];
  for (let l = 0; l < p.config.nLayers; l++) {
    const b: Record<string, tf.Tensor | undefined> = {};
    for (const k of LAYER_KEYS) b[k] = t(`blocks.${l}.${k}`);
    blocks.push(b as unknown as LayerWeights);
  }
  const W_E = t("W_E") as tf.Tensor2D;
  return {
    W_E, W_pos: t("W_pos") as tf.Tensor2D | undefined, blocks,
    ln_final_w: t("ln_final_w") as tf.Tensor1D, ln_final_b: t("ln_final_b") as tf.Tensor1D | undefined,
    b_U: t("b_U") as tf.Tensor1D, W_U: (t("W_U") as tf.Tensor2D | undefined) ?? (tf.transpose(W_E) as tf.Tensor2D),
  };
}

export interface WorkerJob {
  kind: "attnlab-trace";
  weights: PackedWeights;
  input: EngineInput;
  answer: number;
  cells: TraceCell[];
  /** Cells per sweep (memory budget). */
  cellsPerSweep: number;
  /** The main thread's backend, so both compute alike (tfjs-node loads in worker threads too). */
  backend: BackendName;
}

/** Messages: main -> worker {type: "trace", pos} | {type: "stop"}; worker -> main {type: "ready"} | {type: "position", pos, probs} | {type: "error", message}. */
async function main(job: WorkerJob): Promise<void> {
  await setBackend(job.backend);
  const weights = unpackWeights(job.weights);
  const engine = new TraceEngine({ config: job.weights.config, weights });
  engine.prepare(job.input, job.answer);
  const port = parentPort!;
  port.on("message", (m: { type: string; pos?: number }) => {
    if (m.type === "stop") {
      port.close();
      return;
    }
    try {
      const p = m.pos!;
      const out = new Float32Array(job.cells.length);
      for (let i = 0; i < job.cells.length; i += job.cellsPerSweep) out.set(engine.tracePosition(p, job.cells.slice(i, i + job.cellsPerSweep)), i);
      port.postMessage({ type: "position", pos: p, probs: out });
    } catch (e) {
      port.postMessage({ type: "error", message: String((e as Error)?.stack ?? e) });
    }
  });
  port.postMessage({ type: "ready" });
}

if (parentPort && workerData && (workerData as WorkerJob).kind === "attnlab-trace") {
  main(workerData as WorkerJob).catch((e) => parentPort!.postMessage({ type: "error", message: String(e?.stack ?? e) }));
}
