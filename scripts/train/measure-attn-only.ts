/**
 * Measures attn-only-2l for its model card with attnlab's own methods: detect_head scores on repeated
 * random tokens (previous-token, induction), K-composition, and zero-ablation of the best induction
 * head (loss on the first block and on the repeat).
 *
 *   node dist/scripts/train/measure-attn-only.js [modelDir=models/attn-only-2l] [--seq 50]
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { loadPretrained } from "../../lib/pretrained";
import { actName } from "../../lib/hooks/names";
import { headScores } from "../../lib/methods/patterns";
import { inductionScores, kComposition, repeatedRandomTokens } from "../../lib/methods/induction";
import { tokenLosses } from "../../lib/methods/metrics";
import type { TransformerModel } from "../../lib/model/types";
import { findRoot } from "../data/lm";

export interface AttnOnlyMeasurements {
  setup: { seqLen: number; rows: number; seed: number; bos: number };
  previousToken: number[][]; // [layer][head]
  /** detect_head "mul" induction score: over all queries, so at most ~seqLen/(2·seqLen+1) ≈ 0.5 here. */
  induction: number[][];
  /** Olsson et al.'s prefix matching (attnlab inductionScores): mean attention from repeat tokens to the induction target. */
  prefixMatching: number[][];
  copying: number[][];
  bestPrev: { layer: number; head: number; score: number };
  bestInduction: { layer: number; head: number; score: number };
  /** K-composition of each layer-0 head into the best induction head. */
  kComposition: number[];
  loss: { firstBlock: number; repeat: number; firstBlockAblated: number; repeatAblated: number };
}

function argmax(grid: Float32Array, H: number, layer: number): { layer: number; head: number; score: number } {
  let best = 0;
  for (let h = 1; h < H; h++) if (grid[layer * H + h] > grid[layer * H + best]) best = h;
  return { layer, head: best, score: grid[layer * H + best] };
}

/** Mean losses over the first block (excluding its unpredictable first token) and over the repeat. */
function halfLosses(model: TransformerModel, rows: number[][], seqLen: number, ablate?: { layer: number; head: number }): { first: number; repeat: number } {
  const hooks = ablate
    ? [
        {
          name: actName("z", ablate.layer),
          fn: (z: tf.Tensor) => {
            const H = z.shape[2]!;
            const keep = new Float32Array(H).fill(1);
            keep[ablate.head] = 0;
            return z.mul(tf.tensor4d(keep, [1, 1, H, 1]));
          },
        },
      ]
    : [];
  const { logits } = model.runWithHooks(rows, hooks);
  const { data, shape } = tokenLosses(logits, rows.flat());
  logits.dispose();
  let first = 0;
  let nf = 0;
  let rep = 0;
  let nr = 0;
  // Position t predicts token t + 1; token 1 + i is block[i] (bos at 0), token 1 + seqLen + i its repeat.
  for (let r = 0; r < shape[0]; r++) {
    for (let t = 0; t < shape[1]; t++) {
      const tok = t + 1;
      const v = data[r * shape[1] + t];
      if (tok >= 2 && tok <= seqLen) {
        first += v;
        nf++;
      } else if (tok > seqLen + 1) {
        rep += v;
        nr++;
      }
    }
  }
  return { first: first / nf, repeat: rep / nr };
}

export async function measureAttnOnly(model: TransformerModel, rowsN = 20, seqLen = 50, seed = 0): Promise<AttnOnlyMeasurements> {
  const { nLayers: L, nHeads: H, dVocab: V } = model.config;
  const bos = model.tokenizer?.specialIds.bos ?? model.tokenizer?.specialIds.eos ?? 0;
  const { ids } = repeatedRandomTokens(V, { seqLen, batch: rowsN, seed, bos });
  const hs = headScores(model, ids, { detectors: ["previous_token", "induction"] });
  const grid = (g: Float32Array) => Array.from({ length: L }, (_, l) => Array.from(g.subarray(l * H, (l + 1) * H), (x) => +x.toFixed(4)));
  const bestPrev = argmax(hs.scores.previous_token, H, 0);
  const bestInduction = argmax(hs.scores.induction, H, L - 1);
  const ind = inductionScores(model, { seqLen, batch: rowsN, seed, bos });
  const clean = halfLosses(model, ids, seqLen);
  const abl = halfLosses(model, ids, seqLen, bestInduction);
  // K-composition from each layer-0 head into the induction head: [head in layer 0].
  const k = kComposition(model);
  const kc = Array.from({ length: H }, (_, ha) => +k.scores[((0 * H + ha) * L + bestInduction.layer) * H + bestInduction.head].toFixed(4));
  return {
    setup: { seqLen, rows: rowsN, seed, bos },
    previousToken: grid(hs.scores.previous_token),
    induction: grid(hs.scores.induction),
    prefixMatching: grid(ind.prefixMatching),
    copying: grid(ind.copying),
    bestPrev,
    bestInduction,
    kComposition: kc,
    loss: { firstBlock: clean.first, repeat: clean.repeat, firstBlockAblated: abl.first, repeatAblated: abl.repeat },
  };
}

async function main(): Promise<void> {
  const dir = process.argv[2] && !process.argv[2].startsWith("--") ? path.resolve(process.argv[2]) : path.join(findRoot(), "models", "attn-only-2l");
  const model = await loadPretrained(dir, { bundled: false });
  const seqAt = process.argv.indexOf("--seq");
  const seqLen = seqAt > 0 ? Number(process.argv[seqAt + 1]) : 50;
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new Error(`--seq must be an integer >= 2; got ${process.argv[seqAt + 1]}`);
  const m = await measureAttnOnly(model, 20, seqLen);
  fs.writeFileSync(path.join(dir, "measurements.json"), JSON.stringify(m, null, 2) + "\n");
  console.log(JSON.stringify(m, null, 2));
  model.dispose();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
