/**
 * Language-model batches from the prepared Brown token stream, and the synthetic repeated-random-token
 * sequences that teach induction. All batches are pure functions of (seed, step).
 */
import * as fs from "fs";
import * as path from "path";
import type { Batch } from "../train/forward";
import { Rng } from "../train/rng";

/** Where prepared data lives: <root>/.cache/data/brown whether running from dist/ or from sources. */
export function brownDataDir(root = findRoot()): string {
  return process.env.ATTNLAB_DATA ?? path.join(root, ".cache/data/brown");
}

export function findRoot(start = __dirname): string {
  let d = start;
  for (let i = 0; i < 6; i++) {
    if (fs.existsSync(path.join(d, "package.json")) && fs.existsSync(path.join(d, "lib"))) return d;
    d = path.dirname(d);
  }
  throw new Error(`cannot find the attnlab package root above ${start}`);
}

export function readTokens(file: string): Uint16Array {
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: run \`node dist/scripts/data/brown.js && .venv/bin/python scripts/data/train_tokenizers.py\``);
  }
  const buf = fs.readFileSync(file);
  return new Uint16Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** Fills row b of a batch with seq (length T+1): input = seq[:-1], target = seq[1:]. */
export function putRow(batch: Batch, b: number, seq: ArrayLike<number>, weight?: ArrayLike<number>): void {
  const T = batch.shape[1];
  if (seq.length !== T + 1) throw new Error(`putRow: sequence length must be ${T + 1}; got ${seq.length}`);
  for (let t = 0; t < T; t++) {
    batch.input[b * T + t] = seq[t];
    batch.target[b * T + t] = seq[t + 1];
    batch.weight[b * T + t] = weight ? weight[t] : 1;
  }
}

export function emptyBatch(B: number, T: number): Batch {
  return { input: new Int32Array(B * T), target: new Int32Array(B * T), weight: new Float32Array(B * T), shape: [B, T] };
}

/** bos + a random window of the stream (T tokens), so every row starts like an evaluation prompt. */
export function textRow(stream: Uint16Array, T: number, rng: Rng, bos: number): number[] {
  const start = rng.int(stream.length - T);
  return [bos, ...stream.subarray(start, start + T)];
}

/**
 * bos, then random segments each followed by an exact repeat, until T+1 tokens. The weights score
 * only the repeats (first occurrences are unpredictable noise). With maxGap > 0, 0..maxGap unscored
 * random tokens come before each segment and between it and its repeat, so the distance from a
 * repeat back to its first occurrence varies and only content (induction), not position, finds it.
 */
export function repeatedRow(T: number, rng: Rng, vocab: number, bos: number, minLen: number, maxLen: number, maxGap = 0): { seq: number[]; weight: number[] } {
  const seq = [bos];
  const weight: number[] = [];
  const draw = () => {
    let id = rng.int(vocab);
    while (id === bos) id = rng.int(vocab);
    return id;
  };
  const filler = () => {
    if (maxGap <= 0) return;
    for (let n = rng.int(maxGap + 1); n > 0; n--) {
      weight.push(0);
      seq.push(draw());
    }
  };
  while (seq.length < T + 1) {
    const L = minLen + rng.int(maxLen - minLen + 1);
    const seg: number[] = [];
    for (let i = 0; i < L; i++) seg.push(draw());
    filler();
    for (const id of seg) {
      weight.push(0);
      seq.push(id);
    }
    filler();
    // The first token of a repeat follows a token that never preceded it: unpredictable.
    seg.forEach((id, i) => {
      weight.push(i === 0 ? 0 : 1);
      seq.push(id);
    });
  }
  // weight[t] scores the prediction of seq[t+1], made at position t.
  return { seq: seq.slice(0, T + 1), weight: weight.slice(0, T) };
}
