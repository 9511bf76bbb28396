/**
 * The training loop: AdamW with linear warm-up and cosine decay, global-norm gradient clipping,
 * deterministic batches (a pure function of the step), data parallelism over worker threads
 * (each on its own backend instance; gradients are summed in a fixed order, so a run is reproducible),
 * progress with an ETA, periodic validation and checkpoints.
 */
import * as fs from "fs";
import * as path from "path";
import { Worker } from "worker_threads";
import type { ModelConfig } from "../../lib/model/types";
import type { Batch } from "./forward";
import { computeGrads, computeLoss, useBackend, type GradResult } from "./grads";
import { initParams, paramSpecs, type ParamTable } from "./params";

export interface TrainOptions {
  cfg: ModelConfig;
  seed: number;
  steps: number;
  /** Deterministic batch for a step. */
  batch: (step: number) => Batch;
  lr: number;
  warmup?: number;
  /** Final learning rate as a fraction of lr (cosine decay). */
  minLrFrac?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  clip?: number;
  /** 0 = compute in this thread; n >= 1 = n worker threads, the batch rows split between them. */
  workers?: number;
  evalBatches?: Batch[];
  evalEvery?: number;
  logEvery?: number;
  log?: (line: string) => void;
  init?: ParamTable;
  onCheckpoint?: (params: ParamTable, step: number) => void;
  checkpointEvery?: number;
  label?: string;
}

export interface TrainResult {
  params: ParamTable;
  history: { step: number; loss: number; evalLoss?: number; lr: number }[];
  seconds: number;
}

export function learningRate(step: number, o: Pick<TrainOptions, "lr" | "warmup" | "minLrFrac" | "steps">): number {
  const warm = o.warmup ?? 0;
  if (step < warm) return (o.lr * (step + 1)) / warm;
  const frac = o.steps <= warm ? 1 : (step - warm) / Math.max(1, o.steps - warm);
  const min = o.lr * (o.minLrFrac ?? 0.1);
  return min + 0.5 * (o.lr - min) * (1 + Math.cos(Math.PI * Math.min(1, frac)));
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, "0")}s` : `${s.toFixed(1)}s`;
}

function sliceRows(b: Batch, r0: number, r1: number): Batch {
  const T = b.shape[1];
  return {
    input: b.input.slice(r0 * T, r1 * T),
    target: b.target.slice(r0 * T, r1 * T),
    weight: b.weight.slice(r0 * T, r1 * T),
    shape: [r1 - r0, T],
    aux: b.aux?.map((a) => ({ ...a, target: a.target.slice(r0 * T * T, r1 * T * T) })),
  };
}

function batchWeight(b: Batch): number {
  let w = 0;
  for (const x of b.weight) w += x;
  return w;
}

/** Runs gradient/loss jobs on worker threads, or in this thread when n = 0. */
export class GradPool {
  private workers: Worker[] = [];
  constructor(private cfg: ModelConfig, n: number) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`workers must be a non-negative integer; got ${n}`);
    const file = workerFile();
    for (let i = 0; i < n; i++) this.workers.push(new Worker(file, { workerData: { cfg } }));
  }

  private run<T>(w: Worker, job: object): Promise<T> {
    return new Promise((resolve, reject) => {
      const onMsg = (m: T & { error?: string }) => {
        w.off("error", onErr);
        if (m.error) reject(new Error(`training worker: ${m.error}`));
        else resolve(m);
      };
      const onErr = (e: Error) => {
        w.off("message", onMsg);
        reject(e);
      };
      w.once("message", onMsg);
      w.once("error", onErr);
      w.postMessage(job);
    });
  }

  private parts(b: Batch): Batch[] {
    const n = Math.min(Math.max(1, this.workers.length), b.shape[0]);
    const out: Batch[] = [];
    for (let i = 0; i < n; i++) out.push(sliceRows(b, Math.floor((i * b.shape[0]) / n), Math.floor(((i + 1) * b.shape[0]) / n)));
    return out;
  }

  async grads(params: ParamTable, b: Batch): Promise<GradResult> {
    const den = Math.max(1e-9, batchWeight(b));
    if (this.workers.length === 0) {
      await useBackend();
      return computeGrads(this.cfg, params, b, den);
    }
    const parts = this.parts(b);
    const rs = await Promise.all(parts.map((p, i) => this.run<GradResult>(this.workers[i], { kind: "grad", params, batch: p, denominator: den })));
    const total = rs[0];
    for (const r of rs.slice(1)) {
      total.loss += r.loss;
      for (const k of Object.keys(total.grads)) {
        const a = total.grads[k];
        const g = r.grads[k];
        for (let j = 0; j < a.length; j++) a[j] += g[j];
      }
    }
    return total;
  }

  async loss(params: ParamTable, b: Batch): Promise<number> {
    const den = Math.max(1e-9, batchWeight(b));
    if (this.workers.length === 0) {
      await useBackend();
      return computeLoss(this.cfg, params, b, den);
    }
    const parts = this.parts(b);
    const rs = await Promise.all(parts.map((p, i) => this.run<{ loss: number }>(this.workers[i], { kind: "loss", params, batch: p, denominator: den })));
    return rs.reduce((s, r) => s + r.loss, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers = [];
  }
}

/** The compiled worker: next to this file when running from dist/, else dist/ of the package. */
function workerFile(): string {
  const here = path.join(__dirname, "worker.js");
  if (fs.existsSync(here)) return here;
  const dist = path.resolve(__dirname, "../../dist/scripts/train/worker.js");
  if (fs.existsSync(dist)) return dist;
  throw new Error(`training workers need the compiled worker (${dist}); run \`npx tsc -p tsconfig.json\` first`);
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  if (!Number.isInteger(o.steps) || o.steps < 1) throw new Error(`steps must be a positive integer; got ${o.steps}`);
  if (!(o.lr > 0)) throw new Error(`lr must be positive; got ${o.lr}`);
  const log = o.log ?? ((s: string) => console.log(s));
  const label = o.label ?? o.cfg.name ?? "train";
  const specs = paramSpecs(o.cfg);
  const params = o.init ?? initParams(o.cfg, o.seed);
  const m: ParamTable = {};
  const v: ParamTable = {};
  for (const s of specs) {
    m[s.name] = new Float32Array(params[s.name].length);
    v[s.name] = new Float32Array(params[s.name].length);
  }
  const b1 = o.beta1 ?? 0.9;
  const b2 = o.beta2 ?? 0.95;
  const wd = o.weightDecay ?? 0.01;
  const clip = o.clip ?? 1.0;
  const pool = new GradPool(o.cfg, o.workers ?? 0);
  const history: TrainResult["history"] = [];
  const t0 = Date.now();
  let ema = NaN;
  try {
    for (let step = 0; step < o.steps; step++) {
      const lr = learningRate(step, o);
      const { loss, grads } = await pool.grads(params, o.batch(step));
      if (!Number.isFinite(loss)) throw new Error(`${label}: loss became ${loss} at step ${step}`);
      let sq = 0;
      for (const s of specs) for (const g of grads[s.name]) sq += g * g;
      const scale = Math.sqrt(sq) > clip ? clip / Math.sqrt(sq) : 1;
      const c1 = 1 - Math.pow(b1, step + 1);
      const c2 = 1 - Math.pow(b2, step + 1);
      for (const s of specs) {
        const p = params[s.name];
        const g = grads[s.name];
        const mm = m[s.name];
        const vv = v[s.name];
        const decay = s.decay ? lr * wd : 0;
        for (let j = 0; j < p.length; j++) {
          const gj = g[j] * scale;
          mm[j] = b1 * mm[j] + (1 - b1) * gj;
          vv[j] = b2 * vv[j] + (1 - b2) * gj * gj;
          p[j] -= lr * (mm[j] / c1 / (Math.sqrt(vv[j] / c2) + 1e-8)) + decay * p[j];
        }
      }
      ema = Number.isNaN(ema) ? loss : 0.95 * ema + 0.05 * loss;
      const entry: TrainResult["history"][number] = { step, loss, lr };
      const last = step === o.steps - 1;
      if (o.evalBatches && o.evalBatches.length > 0 && ((o.evalEvery && (step + 1) % o.evalEvery === 0) || last)) {
        let tot = 0;
        for (const eb of o.evalBatches) tot += await pool.loss(params, eb);
        entry.evalLoss = tot / o.evalBatches.length;
      }
      history.push(entry);
      if ((step + 1) % (o.logEvery ?? 10) === 0 || last || entry.evalLoss !== undefined) {
        const el = (Date.now() - t0) / 1000;
        const per = el / (step + 1);
        log(
          `[${label}] step ${step + 1}/${o.steps} loss ${loss.toFixed(4)} (ema ${ema.toFixed(4)})` +
            (entry.evalLoss !== undefined ? ` valid ${entry.evalLoss.toFixed(4)}` : "") +
            ` lr ${lr.toExponential(2)} ${(per * 1000).toFixed(0)} ms/step elapsed ${formatDuration(el)} ETA ${formatDuration(per * (o.steps - step - 1))}`,
        );
      }
      if (o.onCheckpoint && ((o.checkpointEvery && (step + 1) % o.checkpointEvery === 0) || last)) o.onCheckpoint(params, step + 1);
    }
  } finally {
    await pool.close();
  }
  return { params, history, seconds: (Date.now() - t0) / 1000 };
}
