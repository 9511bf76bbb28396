/**
 * Tokenizer and safetensors throughput: encodes a ~500 KB English text (the MiniLM package's
 * README, repeated) with the MiniLM WordPiece tokenizer and the fixture byte-level BPE, and reads
 * MiniLM's 90 MB model.safetensors. Prints one JSON line; bench/tokenizers.sh compares it with
 * Hugging Face `tokenizers` (Rust) and `safetensors` measured in the same run.
 * Usage: node dist/bench/tokenizers.js MINILM_DIR BPE_DIR [--reps 3]
 */
import * as fs from "fs";
import * as path from "path";
import { loadTokenizer } from "../lib/tokenizers/load";
import { readSafetensors } from "../lib/io/safetensors";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const [minilm, bpeDir] = process.argv.slice(2);
  const i = process.argv.indexOf("--reps");
  const reps = i >= 0 ? Number(process.argv[i + 1]) : 3;
  const lines = fs.readFileSync(path.join(minilm, "README.md"), "utf8").split("\n").filter((l) => l.trim());
  const texts: string[] = [];
  for (let k = 0; k < 50; k++) texts.push(...lines);
  const chars = texts.reduce((a, t) => a + t.length, 0);
  const out: Record<string, number | string> = { lines: texts.length, chars };
  for (const [name, dir] of [["wordpiece", minilm], ["bpe", bpeDir]] as const) {
    const tok = loadTokenizer(dir);
    let tokens = 0;
    const times: number[] = [];
    for (let r = 0; r < reps; r++) {
      tokens = 0;
      const s = performance.now();
      for (const t of texts) tokens += tok.encode(t).ids.length;
      times.push(performance.now() - s);
    }
    out[`${name}_ms`] = median(times);
    out[`${name}_tokens`] = tokens;
  }
  const st: number[] = [];
  for (let r = 0; r < reps; r++) {
    const s = performance.now();
    readSafetensors(path.join(minilm, "model.safetensors"));
    st.push(performance.now() - s);
  }
  out.safetensors_ms = median(st);
  console.log(JSON.stringify(out));
}

main();
