/**
 * attn-only-2l: a two-layer attention-only GPT-2 trained so that a previous-token head (layer 0) and
 * an induction head (layer 1, by K-composition) form. Half of each batch is Brown text, half is
 * random-token segments each followed by its repeat (only the repeats are scored).
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/train/attn-only-2l.js [--steps 1200] [--batch 16] [--repeat 2] [--lr 1e-3] [--nudge 0] [--nudge-induction 0] [--score-first 0|1] [--ctx 128] [--seg-min 8] [--seg-max 60] [--gap 0] [--init DIR] [--workers 2]
 */
import * as path from "path";
import type { ModelConfig } from "../../lib/model/types";
import { brownDataDir, emptyBatch, putRow, readTokens, repeatedRow, textRow } from "../data/lm";
import { loadHFParams, saveHF } from "./checkpoint";
import { parseArgs, writeTrainingRecord } from "./cli";
import type { AuxTarget, Batch } from "./forward";
import { countParams } from "./params";
import { Rng } from "./rng";
import { train } from "./trainer";

export const NAME = "attn-only-2l";
export const BOS = 0; // <|endoftext|> of the Brown BPE tokenizer

export const CONFIG: ModelConfig = {
  arch: "gpt2",
  nLayers: 2,
  dModel: 128,
  nHeads: 4,
  dHead: 32,
  dMlp: 0,
  nCtx: 128,
  dVocab: 4096,
  lnEps: 1e-5,
  act: "gelu_new",
  attnOnly: true,
  tiedUnembed: true,
  name: NAME,
};

/** repeatShare of every 4 rows are repeated random tokens, the rest Brown text. */
export function makeBatch(stream: Uint16Array, seed: number, step: number, B: number, T: number, vocab: number, repeatShare = 2, scoreFirst = false, seg: [number, number] = [8, 60], maxGap = 0): Batch {
  const rng = Rng.derive(seed, step);
  const batch = emptyBatch(B, T);
  for (let b = 0; b < B; b++) {
    if ((b * repeatShare) % 4 < repeatShare) {
      const { seq, weight } = repeatedRow(T, rng, vocab, BOS, seg[0], seg[1], maxGap);
      // scoreFirst: also score first occurrences, so the model learns to stay uncertain (not copy) there.
      putRow(batch, b, seq, scoreFirst ? weight.map(() => 1) : weight);
    } else putRow(batch, b, textRow(stream, T, rng, BOS));
  }
  return batch;
}

/** Every query i >= 1 of every row should attend to key i - 1. */
export function previousTokenTarget(B: number, T: number, layer: number, head: number): AuxTarget {
  const target = new Float32Array(B * T * T);
  for (let b = 0; b < B; b++) for (let i = 1; i < T; i++) target[(b * T + i) * T + i - 1] = 1;
  return { layer, head, weight: 1, target, norm: B * (T - 1) };
}

/**
 * On the repeated-token rows, a query whose token occurred before should attend to the token right
 * after that earlier occurrence (the latest one), i.e. TransformerLens' induction pattern.
 */
export function inductionTarget(b: Batch, share: number, layer: number, head: number): AuxTarget {
  const [B, T] = b.shape;
  const target = new Float32Array(B * T * T);
  let n = 0;
  for (let r = 0; r < B; r++) {
    if ((r * share) % 4 >= share) continue;
    const last = new Map<number, number>();
    for (let i = 0; i < T; i++) {
      const tok = b.input[r * T + i];
      const j = last.get(tok);
      if (j !== undefined && i > 0 && tok !== BOS) {
        target[(r * T + i) * T + j + 1] = 1;
        n++;
      }
      last.set(tok, i);
    }
  }
  return { layer, head, weight: 1, target, norm: Math.max(1, n) };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), NAME, { seed: 1 });
  const steps = args.steps ?? 1200;
  const data = brownDataDir();
  const trainStream = readTokens(path.join(data, "train.bpe.u16"));
  const validStream = readTokens(path.join(data, "valid.bpe.u16"));
  const B = typeof args.batch === "number" ? args.batch : 16;
  // --ctx: shorter training rows (a curriculum: with fewer keys to choose from, the induction
  // circuit's first gradients are larger); evaluation always uses the full context.
  const T = typeof args.ctx === "number" ? args.ctx : CONFIG.nCtx;
  if (!Number.isInteger(T) || T < 4 || T > CONFIG.nCtx) throw new Error(`--ctx must be an integer in [4, ${CONFIG.nCtx}]; got ${args.ctx}`);
  const seg: [number, number] = [typeof args["seg-min"] === "number" ? args["seg-min"] : 8, typeof args["seg-max"] === "number" ? args["seg-max"] : 60];
  if (!(seg[0] >= 1 && seg[1] >= seg[0])) throw new Error(`--seg-min/--seg-max must satisfy 1 <= min <= max; got ${seg}`);
  const gap = typeof args.gap === "number" ? args.gap : 0;
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`--gap must be a non-negative integer; got ${args.gap}`);
  const evalBatches = [0, 1].map((i) => makeBatch(validStream, 999, i, 16, CONFIG.nCtx, CONFIG.dVocab));
  const share = typeof args.repeat === "number" ? args.repeat : 2;
  const lr = typeof args.lr === "number" ? args.lr : 1e-3;
  const nudge = typeof args.nudge === "number" ? args.nudge : 0;
  const scoreFirst = args["score-first"] === 1;
  const nudgeInduction = typeof args["nudge-induction"] === "number" ? args["nudge-induction"] : 0;
  console.log(`[${NAME}] ${countParams(CONFIG)} parameters, ${steps} steps of ${B}x${T} (${share}/4 rows repeated tokens), lr ${lr}, ${args.workers} workers`);
  const files = ["vocab.json", "merges.txt", "tokenizer.json"].map((f) => path.join(data, "bpe", f));
  const save = (p: Record<string, Float32Array>) => saveHF(args.out, CONFIG, p, { tokenizerFiles: files, specialIds: { bos: BOS, eos: BOS } });
  // --init DIR continues from a saved checkpoint (fresh optimiser state and schedule; use another --seed).
  const init = typeof args.init === "string" ? loadHFParams(path.resolve(args.init), CONFIG) : undefined;
  const r = await train({
    cfg: CONFIG,
    init,
    seed: args.seed,
    steps,
    batch: (s) => {
      const b = makeBatch(trainStream, args.seed, s, B, T, CONFIG.dVocab, share, scoreFirst, seg, gap);
      // Optional nudges (see the model card): for the first --nudge steps head 0.0 is pushed towards
      // the previous token; for the first --nudge-induction steps head 1.0 is pushed towards the
      // induction target on the repeated-token rows. Afterwards only the LM loss trains.
      const aux: AuxTarget[] = [];
      if (s < nudge) aux.push(previousTokenTarget(B, T, 0, 0));
      if (s < nudgeInduction) aux.push(inductionTarget(b, share, 1, 0));
      if (aux.length) b.aux = aux;
      return b;
    },
    lr,
    warmup: 100,
    minLrFrac: 0.1,
    weightDecay: 0.01,
    workers: args.workers,
    evalBatches,
    evalEvery: 250,
    logEvery: 10,
    label: NAME,
    checkpointEvery: 100,
    onCheckpoint: save,
  });
  writeTrainingRecord(args.out, `node dist/scripts/train/attn-only-2l.js --steps ${steps} --batch ${B} --repeat ${share} --lr ${lr} --nudge ${nudge} --nudge-induction ${nudgeInduction} --score-first ${scoreFirst ? 1 : 0}${T !== CONFIG.nCtx ? ` --ctx ${T}` : ""}${seg[0] !== 8 || seg[1] !== 60 ? ` --seg-min ${seg[0]} --seg-max ${seg[1]}` : ""}${gap ? ` --gap ${gap}` : ""} --workers ${args.workers} --seed ${args.seed}${init ? ` --init ${args.init}` : ""}`, args, r, { batch: [B, T], init: args.init ?? null });
  console.log(`[${NAME}] saved to ${args.out} after ${Math.round(r.seconds)} s`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
