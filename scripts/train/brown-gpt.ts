/**
 * brown-gpt: a small GPT-2 language model of the Brown corpus (byte-level BPE, 4096 tokens, trained
 * by scripts/data/train_tokenizers.py on the same training split). Each row is <|endoftext|> followed
 * by a random 127-token window of the training stream.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/train/brown-gpt.js [--steps 700] [--batch 16] [--workers 2]
 */
import * as path from "path";
import type { ModelConfig } from "../../lib/model/types";
import { brownDataDir, emptyBatch, putRow, readTokens, textRow } from "../data/lm";
import { saveHF } from "./checkpoint";
import { parseArgs, writeTrainingRecord } from "./cli";
import type { Batch } from "./forward";
import { countParams, type ParamTable } from "./params";
import { Rng } from "./rng";
import { train, type TrainResult } from "./trainer";

export const NAME = "brown-gpt";
export const BOS = 0;

export const CONFIG: ModelConfig = {
  arch: "gpt2",
  nLayers: 4,
  dModel: 128,
  nHeads: 4,
  dHead: 32,
  dMlp: 512,
  nCtx: 128,
  dVocab: 4096,
  lnEps: 1e-5,
  act: "gelu_new",
  attnOnly: false,
  tiedUnembed: true,
  name: NAME,
};

export function textBatch(stream: Uint16Array, seed: number, step: number, B: number, T: number): Batch {
  const rng = Rng.derive(seed, step);
  const batch = emptyBatch(B, T);
  for (let b = 0; b < B; b++) putRow(batch, b, textRow(stream, T, rng, BOS));
  return batch;
}

export function bpeFiles(): string[] {
  return ["vocab.json", "merges.txt", "tokenizer.json"].map((f) => path.join(brownDataDir(), "bpe", f));
}

/** Shared by brown-gpt and facts-gpt: train, save in HF format, write training.json. */
export async function trainAndSave(o: {
  name: string;
  cfg: ModelConfig;
  argv: string[];
  /** Flags the caller parsed out of argv itself, for the record's command. */
  flags?: string;
  defaultSteps: number;
  seed: number;
  lr: number;
  batch: (stream: Uint16Array, seed: number, step: number, B: number, T: number) => Batch;
  evalBatches: (B: number, T: number) => Batch[];
  init?: (args: Record<string, unknown>) => ParamTable | undefined;
  extraRecord?: Record<string, unknown>;
  script: string;
}): Promise<TrainResult> {
  const args = parseArgs(o.argv, o.name, { seed: o.seed });
  const steps = args.steps ?? o.defaultSteps;
  const B = typeof args.batch === "number" ? args.batch : 16;
  const T = o.cfg.nCtx;
  const stream = readTokens(path.join(brownDataDir(), "train.bpe.u16"));
  console.log(`[${o.name}] ${countParams(o.cfg)} parameters, ${steps} steps of ${B}x${T}, ${args.workers} workers`);
  const r = await train({
    cfg: o.cfg,
    seed: args.seed,
    steps,
    batch: (s) => o.batch(stream, args.seed, s, B, T),
    lr: o.lr,
    warmup: Math.min(100, Math.floor(steps / 10)),
    minLrFrac: 0.1,
    weightDecay: 0.05,
    workers: args.workers,
    evalBatches: o.evalBatches(16, T),
    evalEvery: 100,
    logEvery: 10,
    init: o.init?.(args),
    label: o.name,
    // Intermediate checkpoints let a run that is cut short still be measured.
    checkpointEvery: 100,
    onCheckpoint: (p) => saveHF(args.out, o.cfg, p, { tokenizerFiles: bpeFiles(), specialIds: { bos: BOS, eos: BOS } }),
  });
  // The record's command carries every flag the script was given, so it reproduces the run.
  const own = ["--steps", "--batch", "--workers", "--seed", "--out"];
  const extra = o.argv.filter((a, i, all) => !own.includes(a) && !own.includes(all[i - 1]));
  writeTrainingRecord(args.out, [`node dist/scripts/train/${o.script}.js --steps ${steps} --batch ${B}`, ...(o.flags ? [o.flags] : []), ...extra, `--workers ${args.workers} --seed ${args.seed}`].join(" "), args, r, { batch: [B, T], ...(o.extraRecord ?? {}) });
  console.log(`[${o.name}] saved to ${args.out} after ${Math.round(r.seconds)} s`);
  return r;
}

if (require.main === module) {
  const valid = () => readTokens(path.join(brownDataDir(), "valid.bpe.u16"));
  trainAndSave({
    name: NAME,
    cfg: CONFIG,
    argv: process.argv.slice(2),
    defaultSteps: 700,
    seed: 2,
    lr: 2e-3,
    batch: textBatch,
    evalBatches: (B, T) => [0, 1].map((i) => textBatch(valid(), 999, i, B, T)),
    script: "brown-gpt",
  }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
