/** Shared command-line handling for the training scripts: `--steps N --workers N --seed N --out DIR`. */
import * as fs from "fs";
import * as path from "path";
import { findRoot } from "../data/lm";
import type { TrainResult } from "./trainer";

export interface CliArgs {
  steps?: number;
  workers: number;
  seed: number;
  out: string;
  [k: string]: string | number | undefined;
}

export function parseArgs(argv: string[], name: string, defaults: { seed: number }): CliArgs {
  const out: CliArgs = { workers: 2, seed: defaults.seed, out: path.join(findRoot(), "models", name) };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (!m || i + 1 >= argv.length) throw new Error(`usage: --steps N --workers N --seed N --out DIR; could not read "${argv[i]}"`);
    const v = argv[++i];
    const num = Number(v);
    out[m[1]] = m[1] === "out" ? path.resolve(v) : Number.isFinite(num) ? num : v;
  }
  if (!Number.isInteger(out.workers) || out.workers < 0) throw new Error(`--workers must be a non-negative integer; got ${out.workers}`);
  return out;
}

/** A record of how the weights were made, saved next to them. */
export function writeTrainingRecord(dir: string, command: string, args: CliArgs, r: TrainResult, extra: Record<string, unknown> = {}): void {
  const last = r.history[r.history.length - 1];
  const evals = r.history.filter((h) => h.evalLoss !== undefined).map((h) => ({ step: h.step + 1, validLoss: h.evalLoss }));
  const curve = r.history.filter((_, i) => i % Math.max(1, Math.floor(r.history.length / 50)) === 0).map((h) => ({ step: h.step + 1, loss: h.loss }));
  fs.writeFileSync(
    path.join(dir, "training.json"),
    JSON.stringify({ command, seed: args.seed, workers: args.workers, steps: r.history.length, seconds: Math.round(r.seconds), finalLoss: last.loss, evals, curve, ...extra }, null, 2) + "\n",
  );
}
