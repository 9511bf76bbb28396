/** Data-parallel worker: receives parameters and a slice of the batch, returns gradients. */
import { parentPort, workerData } from "worker_threads";
import type { ModelConfig } from "../../lib/model/types";
import type { Batch } from "./forward";
import { computeGrads, computeLoss, useBackend } from "./grads";
import type { ParamTable } from "./params";

interface Job {
  kind: "grad" | "loss";
  params: ParamTable;
  batch: Batch;
  denominator: number;
}

const cfg = (workerData as { cfg: ModelConfig }).cfg;
const port = parentPort;
if (!port) throw new Error("worker.ts must run as a worker thread");
port.on("message", async (job: Job) => {
  try {
    await useBackend();
    if (job.kind === "loss") {
      port.postMessage({ loss: computeLoss(cfg, job.params, job.batch, job.denominator) });
    } else {
      const r = computeGrads(cfg, job.params, job.batch, job.denominator);
      // Copies first: a typed array from the backend may view memory that must not be detached.
      for (const k of Object.keys(r.grads)) r.grads[k] = r.grads[k].slice();
      port.postMessage(r, Object.values(r.grads).map((a) => a.buffer as ArrayBuffer));
    }
  } catch (e) {
    port.postMessage({ error: e instanceof Error ? e.stack ?? e.message : String(e) });
  }
});
