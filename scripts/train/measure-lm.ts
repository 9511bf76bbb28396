/**
 * Measures brown-gpt / facts-gpt / brown-bert for their model cards with attnlab's own methods:
 * validation perplexity (GPT) or masked-token accuracy (BERT), head scores (previous-token, sink,
 * duplicate, induction) on validation sentences, a syntactic score on POS-derived word pairs, and
 * universal-POS probes with control tasks (Hewitt & Liang) by layer.
 *
 *   node dist/scripts/train/measure-lm.js models/brown-gpt [--sentences 600]
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { loadPretrained } from "../../lib/pretrained";
import { headScores, runPatterns } from "../../lib/methods/patterns";
import { alignWords, wordToken } from "../../lib/methods/align";
import { probe } from "../../lib/methods/probing";
import { tokenLosses } from "../../lib/methods/metrics";
import type { TransformerModel } from "../../lib/model/types";
import type { BrownSentence } from "../data/brown";
import { brownDataDir, readTokens } from "../data/lm";
import { mlmBatch, readDocs } from "./brown-bert";
import { parseArgs } from "./cli";

/** Validation sentences of min..max words, from the prepared sentences.jsonl unless `all` is given (e.g. `readBrown()`). */
export function validSentences(min = 8, max = 30, all?: BrownSentence[]): BrownSentence[] {
  const source =
    all ??
    fs
      .readFileSync(path.join(brownDataDir(), "sentences.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as BrownSentence);
  return source.filter((s) => s.split === "valid" && s.words.length >= min && s.words.length <= max);
}

/** Mean next-token loss over the first maxWindows <bos> + 127-token windows of the validation stream. */
export function gptValidLoss(model: TransformerModel, maxWindows = 500): { loss: number; tokens: number } {
  const stream = readTokens(path.join(brownDataDir(), "valid.bpe.u16"));
  const W = model.config.nCtx - 1;
  let sum = 0;
  let n = 0;
  const rows: number[][] = [];
  const flush = () => {
    if (rows.length === 0) return;
    const logits = model.run(rows);
    const { data } = tokenLosses(logits, rows.flat());
    logits.dispose();
    for (const v of data) sum += v;
    n += data.length;
    rows.length = 0;
  };
  for (let s = 0, w = 0; s + W <= stream.length && w < maxWindows; s += W, w++) {
    rows.push([0, ...stream.subarray(s, s + W)]);
    if (rows.length === 8) flush();
  }
  flush();
  return { loss: sum / n, tokens: n };
}

/** Masked-token top-1 accuracy on validation rows masked as in training (all chosen positions). */
export function bertMaskedAccuracy(model: TransformerModel, batches = 8): { accuracy: number; maskedOnly: number; positions: number } {
  const docs = readDocs("valid");
  let hit = 0;
  let n = 0;
  let hitM = 0;
  let nM = 0;
  for (let i = 0; i < batches; i++) {
    const b = mlmBatch(docs, 1234, i, 8, model.config.nCtx, model.config.dVocab);
    const logits = model.run({ ids: b.input, shape: b.shape, attentionMask: new Int32Array(b.input.length).fill(1) });
    const pred = tf.tidy(() => logits.argMax(-1).dataSync() as Int32Array);
    logits.dispose();
    b.weight.forEach((w, j) => {
      if (!w) return;
      n++;
      if (pred[j] === b.target[j]) hit++;
      if (b.input[j] === 4) {
        nM++;
        if (pred[j] === b.target[j]) hitM++;
      }
    });
  }
  return { accuracy: hit / n, maskedOnly: hitM / nM, positions: n };
}

/**
 * Word pairs from POS tags alone (the corpus has no parses), as [dependent, head]:
 * "modifier": a DET/ADJ directly before a NOUN -> that noun; "object": the first NOUN/PRON within
 * three words after a VERB -> the verb; "subject": the nearest NOUN/PRON before a VERB (at most
 * three words back, nothing but ADV/VERB between) -> the verb.
 */
export function posPairs(s: BrownSentence, kind: "modifier" | "object" | "subject"): [number, number][] {
  const t = s.tags;
  const out: [number, number][] = [];
  for (let i = 0; i < t.length; i++) {
    if (kind === "modifier" && (t[i] === "ADJ" || t[i] === "DET") && t[i + 1] === "NOUN") out.push([i, i + 1]);
    if (kind === "object" && t[i] === "VERB") {
      for (let j = i + 1; j <= i + 3 && j < t.length; j++) {
        if (t[j] === "NOUN" || t[j] === "PRON") {
          out.push([j, i]);
          break;
        }
        if (!["DET", "ADJ", "ADV", "NUM"].includes(t[j])) break;
      }
    }
    if (kind === "subject" && t[i] === "VERB" && (i === 0 || t[i - 1] !== "VERB")) {
      for (let j = i - 1; j >= Math.max(0, i - 3); j--) {
        if (t[j] === "NOUN" || t[j] === "PRON") {
          out.push([j, i]);
          break;
        }
        if (t[j] !== "ADV") break;
      }
    }
  }
  return out;
}

/**
 * Syntactic attention of every head on one sentence, with a positional baseline (after Clark et al.
 * 2019, who compare each relation with a fixed-offset guess): for a pair whose head word sits o
 * tokens from its dependent, the baseline is the head's mean attention at offset o from every word
 * token of the sentence. A head scoring above its baseline prefers the syntactic partner over any
 * token at the same distance; a purely positional head scores at its baseline.
 */
export function syntacticWithBaseline(model: TransformerModel, words: string[], pairs: [number, number][], subword: "first" | "last"): { score: Float32Array; baseline: Float32Array; pairs: number } | null {
  const fn = "syntacticWithBaseline";
  const { nLayers: L, nHeads: H, arch } = model.config;
  const al = alignWords(model, words, fn);
  const inWord = new Set(al.wordTokens.flat());
  const tp: [number, number][] = [];
  for (const [d, h] of pairs) {
    const q = wordToken(al.wordTokens[d], subword);
    const k = wordToken(al.wordTokens[h], subword);
    if (arch !== "gpt2" || k <= q) tp.push([q, k]);
  }
  if (tp.length === 0) return null;
  const n = al.ids.length;
  const pats = runPatterns(model, al.ids, Array.from({ length: L }, (_, l) => l), fn);
  const score = new Float32Array(L * H);
  const baseline = new Float32Array(L * H);
  for (let l = 0; l < L; l++)
    for (let h = 0; h < H; h++) {
      const at = (q: number, k: number) => pats[l][h * n * n + q * n + k];
      let s = 0;
      let b = 0;
      for (const [q, k] of tp) {
        s += at(q, k);
        let sum = 0;
        let cnt = 0;
        for (const q2 of inWord) {
          const k2 = q2 + (k - q);
          if (inWord.has(k2)) {
            sum += at(q2, k2);
            cnt++;
          }
        }
        b += sum / cnt; // cnt >= 1: the pair's own query counts
      }
      score[l * H + h] = s / tp.length;
      baseline[l * H + h] = b / tp.length;
    }
  return { score, baseline, pairs: tp.length };
}

const grid = (g: Float32Array, L: number, H: number) => Array.from({ length: L }, (_, l) => Array.from(g.subarray(l * H, (l + 1) * H), (x) => +x.toFixed(3)));

function best(g: Float32Array, H: number): { layer: number; head: number; score: number } {
  let k = 0;
  g.forEach((v, i) => {
    if (v > g[k]) k = i;
  });
  return { layer: Math.floor(k / H), head: k % H, score: +g[k].toFixed(4) };
}

/**
 * One relation's syntactic scores over the first 160 sentences that have such pairs: every head's
 * score and positional baseline, and the head most above its baseline, chosen on half the sentences
 * and measured on the other half, so picking the best of L×H heads does not inflate its lift.
 */
export function syntacticStudy(model: TransformerModel, sents: BrownSentence[], kind: "modifier" | "object" | "subject") {
  const { nLayers: L, nHeads: H } = model.config;
  const per: { score: Float32Array; baseline: Float32Array }[] = [];
  let pairs = 0;
  for (const s of sents.slice(0, 1000)) {
    const r = syntacticWithBaseline(model, s.words, posPairs(s, kind), "last");
    if (!r) continue;
    per.push(r);
    pairs += r.pairs;
    if (per.length >= 160) break;
  }
  if (per.length < 4) return null;
  const meanOf = (rs: typeof per, key: "score" | "baseline") => {
    const g = new Float32Array(L * H);
    for (const r of rs) r[key].forEach((v, i) => (g[i] += v / rs.length));
    return g;
  };
  const acc = meanOf(per, "score");
  const base = meanOf(per, "baseline");
  const pick = per.filter((_, i) => i % 2 === 0);
  const held = per.filter((_, i) => i % 2 === 1);
  const pickBase = meanOf(pick, "baseline");
  const pickLift = meanOf(pick, "score").map((v, i) => v - pickBase[i]);
  const top = best(pickLift, H);
  const k = top.layer * H + top.head;
  const lifts = held.map((r) => r.score[k] - r.baseline[k]);
  const lift = lifts.reduce((x, y) => x + y, 0) / lifts.length;
  const sd = Math.sqrt(lifts.reduce((x, y) => x + (y - lift) ** 2, 0) / Math.max(1, lifts.length - 1));
  const mean = acc.reduce((x, y) => x + y, 0) / acc.length;
  return {
    sentences: per.length,
    pairs,
    grid: grid(acc, L, H),
    baseline: grid(base, L, H),
    best: best(acc, H),
    bestAboveBaseline: {
      layer: top.layer,
      head: top.head,
      chosenOn: pick.length,
      measuredOn: held.length,
      score: +(held.reduce((x, r) => x + r.score[k], 0) / held.length).toFixed(4),
      baseline: +(held.reduce((x, r) => x + r.baseline[k], 0) / held.length).toFixed(4),
      lift: +lift.toFixed(4),
      ci95: +((1.96 * sd) / Math.sqrt(lifts.length)).toFixed(4),
    },
    meanOverHeads: +mean.toFixed(4),
  };
}

export async function measureLM(model: TransformerModel, nSentences: number): Promise<Record<string, unknown>> {
  const { nLayers: L, nHeads: H, arch } = model.config;
  const out: Record<string, unknown> = {};
  const t0 = Date.now();
  if (arch === "gpt2") {
    const v = gptValidLoss(model);
    out.validation = { loss: +v.loss.toFixed(4), perplexity: +Math.exp(v.loss).toFixed(2), tokens: v.tokens };
  } else {
    out.validation = bertMaskedAccuracy(model);
  }
  console.log(`validation done (${Math.round((Date.now() - t0) / 1000)} s): ${JSON.stringify(out.validation)}`);
  const sents = validSentences();
  const few = sents.filter((_, i) => i % 25 === 0).slice(0, 30);
  const bos = model.tokenizer?.specialIds.bos;
  const inputs = few.map((s) => (arch === "gpt2" && bos !== undefined ? [bos, ...model.tokenizer!.encode(s.text).ids] : s.text));
  const hs = headScores(model, inputs, { detectors: ["previous_token", "duplicate_token", "induction"] });
  out.headScores = { sentences: few.length, ...Object.fromEntries(Object.entries(hs.scores).map(([k, g]) => [k, grid(g, L, H)])) };
  out.bestHeads = Object.fromEntries(Object.entries(hs.scores).map(([k, g]) => [k, best(g, H)]));
  const syn: Record<string, unknown> = {};
  for (const kind of ["modifier", "object", "subject"] as const) {
    const r = syntacticStudy(model, sents, kind);
    if (r) syn[kind] = r;
  }
  out.syntactic = syn;
  console.log(`head scores done (${Math.round((Date.now() - t0) / 1000)} s)`);
  const examples = sents.slice(0, nSentences).map((s) => ({ words: s.words, labels: s.tags }));
  const pr = await probe(model, examples, { sites: ["resid_pre", "resid_post"], subword: arch === "gpt2" ? "last" : "first", seed: 0 });
  const S = pr.sites.length;
  const byLayer = (g: Float32Array) => pr.sites.map((site, si) => ({ site, values: Array.from(g.subarray(si * L, (si + 1) * L), (x) => +x.toFixed(4)) }));
  out.posProbe = {
    sentences: examples.length,
    counts: pr.counts,
    majorityBaseline: +pr.majorityBaseline.toFixed(4),
    accuracy: byLayer(pr.accuracy),
    controlAccuracy: byLayer(pr.controlAccuracy),
    selectivity: byLayer(pr.selectivity),
    ciLow: byLayer(pr.ciLow),
    ciHigh: byLayer(pr.ciHigh),
    settings: pr.settings,
    shape: [S, L],
  };
  console.log(`probes done (${Math.round((Date.now() - t0) / 1000)} s)`);
  return out;
}

async function main(): Promise<void> {
  const dir = path.resolve(process.argv[2]);
  const args = parseArgs(process.argv.slice(3), path.basename(dir), { seed: 0 });
  const model = await loadPretrained(dir, { bundled: false });
  const m = await measureLM(model, typeof args.sentences === "number" ? args.sentences : 600);
  fs.writeFileSync(path.join(dir, "measurements.json"), JSON.stringify(m, null, 2) + "\n");
  console.log(JSON.stringify({ validation: m.validation, bestHeads: m.bestHeads, posProbe: { majority: (m.posProbe as { majorityBaseline: number }).majorityBaseline } }, null, 2));
  model.dispose();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
