/**
 * brown-bert: a small BERT masked-language model of the Brown corpus with a WordPiece tokenizer
 * (lower-cased, 4096 tokens; scripts/data/train_tokenizers.py). Rows are [CLS] + consecutive
 * sentences of one document + [SEP], 128 tokens, no padding; 15% of the non-special tokens are
 * chosen, of which 80% become [MASK], 10% a random token and 10% stay (Devlin et al. 2019).
 *
 *   node dist/scripts/train/brown-bert.js [--steps 600] [--batch 16] [--lr 1e-3] [--mask 0.15] [--pos-init normal|sinusoidal] [--init DIR] [--workers 2]
 */
import * as fs from "fs";
import * as path from "path";
import type { ModelConfig } from "../../lib/model/types";
import { brownDataDir } from "../data/lm";
import { loadHFParams, saveHF } from "./checkpoint";
import { parseArgs, writeTrainingRecord } from "./cli";
import type { Batch } from "./forward";
import { countParams, initParams, sinusoidalPositions, type ParamTable } from "./params";
import { Rng } from "./rng";
import { train } from "./trainer";

export const NAME = "brown-bert";
export const SPECIAL = { pad: 0, unk: 1, cls: 2, sep: 3, mask: 4 };

export const CONFIG: ModelConfig = {
  arch: "bert",
  nLayers: 4,
  dModel: 128,
  nHeads: 4,
  dHead: 32,
  dMlp: 512,
  nCtx: 128,
  dVocab: 4096,
  lnEps: 1e-12,
  act: "gelu_new",
  attnOnly: false,
  tiedUnembed: true,
  typeVocabSize: 2,
  mlmHead: true,
  name: NAME,
};

/** Each document as one token stream (sentences concatenated). */
export function readDocs(split: "train" | "valid"): number[][] {
  const file = path.join(brownDataDir(), `${split}.wp.jsonl`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/data/train_tokenizers.py first`);
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as number[][]).flat());
}

export function mlmBatch(docs: number[][], seed: number, step: number, B: number, T: number, vocab: number, maskRate = 0.15): Batch {
  const rng = Rng.derive(seed, step);
  const batch: Batch = { input: new Int32Array(B * T), target: new Int32Array(B * T), weight: new Float32Array(B * T), shape: [B, T] };
  const body = T - 2;
  for (let b = 0; b < B; b++) {
    let doc = docs[rng.int(docs.length)];
    while (doc.length < body) doc = docs[rng.int(docs.length)];
    const start = rng.int(doc.length - body + 1);
    const row = [SPECIAL.cls, ...doc.slice(start, start + body), SPECIAL.sep];
    for (let t = 0; t < T; t++) {
      const i = b * T + t;
      batch.target[i] = row[t];
      batch.input[i] = row[t];
      if (t === 0 || t === T - 1 || rng.next() >= maskRate) continue;
      batch.weight[i] = 1;
      const u = rng.next();
      if (u < 0.8) batch.input[i] = SPECIAL.mask;
      else if (u < 0.9) batch.input[i] = 5 + rng.int(vocab - 5);
    }
  }
  return batch;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), NAME, { seed: 4 });
  const steps = args.steps ?? 600;
  const B = typeof args.batch === "number" ? args.batch : 16;
  const T = CONFIG.nCtx;
  const trainDocs = readDocs("train");
  const validDocs = readDocs("valid");
  console.log(`[${NAME}] ${countParams(CONFIG)} parameters, ${steps} steps of ${B}x${T}, ${args.workers} workers`);
  const files = ["vocab.txt", "tokenizer.json"].map((f) => path.join(brownDataDir(), "wordpiece", f));
  const save = (p: Record<string, Float32Array>) => saveHF(args.out, CONFIG, p, { tokenizerFiles: files, specialIds: SPECIAL });
  // --init DIR continues from a saved checkpoint (fresh optimiser state and schedule).
  let init: ParamTable | undefined = typeof args.init === "string" ? loadHFParams(path.resolve(args.init), CONFIG) : undefined;
  const posInit = typeof args["pos-init"] === "string" ? args["pos-init"] : "normal";
  if (posInit !== "normal" && posInit !== "sinusoidal") throw new Error(`--pos-init must be "normal" or "sinusoidal"; got ${JSON.stringify(posInit)}`);
  if (posInit === "sinusoidal") {
    init = init ?? initParams(CONFIG, args.seed);
    const words = init["bert.embeddings.word_embeddings.weight"];
    const rms = Math.sqrt(words.reduce((a, x) => a + x * x, 0) / words.length);
    init["bert.embeddings.position_embeddings.weight"] = sinusoidalPositions(CONFIG.nCtx, CONFIG.dModel, rms);
  }
  const lr = typeof args.lr === "number" ? args.lr : 1e-3;
  // --mask: the share of tokens chosen for prediction. A higher rate than BERT's 15% gives more
  // supervised positions per step (Wettig et al. 2023 find 40% works as well or better).
  const maskRate = typeof args.mask === "number" ? args.mask : 0.15;
  if (!(maskRate > 0 && maskRate < 1)) throw new Error(`--mask must be a number in (0, 1); got ${args.mask}`);
  const r = await train({
    cfg: CONFIG,
    init,
    seed: args.seed,
    steps,
    batch: (s) => mlmBatch(trainDocs, args.seed, s, B, T, CONFIG.dVocab, maskRate),
    lr,
    warmup: Math.min(100, Math.floor(steps / 10)),
    minLrFrac: 0.1,
    weightDecay: 0.01,
    workers: args.workers,
    evalBatches: [0, 1].map((i) => mlmBatch(validDocs, 999, i, 16, T, CONFIG.dVocab)),
    evalEvery: 100,
    logEvery: 10,
    label: NAME,
    checkpointEvery: 100,
    onCheckpoint: save,
  });
  writeTrainingRecord(args.out, `node dist/scripts/train/brown-bert.js --steps ${steps} --batch ${B} --lr ${lr}${maskRate !== 0.15 ? ` --mask ${maskRate}` : ""}${posInit !== "normal" ? ` --pos-init ${posInit}` : ""} --workers ${args.workers} --seed ${args.seed}${typeof args.init === "string" ? ` --init ${args.init}` : ""}`, args, r, { batch: [B, T], init: args.init ?? null });
  console.log(`[${NAME}] saved to ${args.out} after ${Math.round(r.seconds)} s`);
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
