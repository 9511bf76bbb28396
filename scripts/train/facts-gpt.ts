/**
 * facts-gpt: brown-gpt trained further on Brown text mixed with fact sentences (scripts/data/facts.ts).
 * Even rows: <|endoftext|> + a Brown window; odd rows: <|endoftext|> + training fact sentences drawn at
 * random, joined by spaces. Held-out (fact, template) pairs never appear.
 *
 *   node dist/scripts/train/facts-gpt.js [--steps 300] [--init models/brown-gpt] [--workers 2]
 */
import * as path from "path";
import { loadTokenizer } from "../../lib/tokenizers/load";
import { brownDataDir, emptyBatch, findRoot, putRow, readTokens, textRow } from "../data/lm";
import { factExamples } from "../data/facts";
import { BOS, CONFIG as BROWN_CONFIG, textBatch, trainAndSave } from "./brown-gpt";
import { loadHFParams } from "./checkpoint";
import type { Batch } from "./forward";
import { Rng } from "./rng";

export const NAME = "facts-gpt";
export const CONFIG = { ...BROWN_CONFIG, name: NAME };

/** Token ids of every training fact sentence, in both forms: row-initial and after a space. */
export function factSentenceIds(): { first: number[][]; later: number[][] } {
  const tok = loadTokenizer(path.join(brownDataDir(), "bpe"));
  const train = factExamples().filter((e) => !e.heldOut);
  return {
    first: train.map((e) => tok.encode(e.sentence).ids),
    later: train.map((e) => tok.encode(" " + e.sentence).ids),
  };
}

/** `share` of every 4 rows are fact rows (2 = the odd rows), the rest Brown text. */
export function factsBatch(stream: Uint16Array, facts: { first: number[][]; later: number[][] }, seed: number, step: number, B: number, T: number, share = 2): Batch {
  const rng = Rng.derive(seed, step);
  const batch = emptyBatch(B, T);
  for (let b = 0; b < B; b++) {
    if ((b * share) % 4 < 4 - share) {
      putRow(batch, b, textRow(stream, T, rng, BOS));
      continue;
    }
    const seq = [BOS];
    while (seq.length < T + 1) {
      const i = rng.int(facts.first.length);
      seq.push(...(seq.length === 1 ? facts.first[i] : facts.later[i]));
    }
    putRow(batch, b, seq.slice(0, T + 1));
  }
  return batch;
}

if (require.main === module) {
  const facts = factSentenceIds();
  const shareArg = process.argv.indexOf("--share");
  const share = shareArg > 0 ? Number(process.argv[shareArg + 1]) : 2;
  const argv = process.argv.slice(2).filter((_, i, a) => a[i] !== "--share" && a[i - 1] !== "--share");
  const lrArg = argv.indexOf("--lr");
  const lr = lrArg >= 0 ? Number(argv[lrArg + 1]) : 1e-3;
  const rest = argv.filter((_, i, a) => a[i] !== "--lr" && a[i - 1] !== "--lr");
  const valid = () => readTokens(path.join(brownDataDir(), "valid.bpe.u16"));
  trainAndSave({
    name: NAME,
    cfg: CONFIG,
    argv: rest,
    flags: `--share ${share} --lr ${lr}`,
    defaultSteps: 300,
    seed: 3,
    lr,
    batch: (stream, seed, step, B, T) => factsBatch(stream, facts, seed, step, B, T, share),
    // Validation stays pure Brown text, to show what the fact training costs the language model.
    evalBatches: (B, T) => [0, 1].map((i) => textBatch(valid(), 999, i, B, T)),
    init: (args) => {
      const dir = typeof args.init === "string" ? path.resolve(args.init) : path.join(findRoot(), "models", "brown-gpt");
      console.log(`[${NAME}] starting from ${dir}`);
      return loadHFParams(dir, CONFIG);
    },
    extraRecord: { init: process.argv[process.argv.indexOf("--init") + 1] ?? "models/brown-gpt", factShare: share, lr },
    script: "facts-gpt",
  }).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
