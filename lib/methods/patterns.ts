/**
 * Attention patterns and per-head scores: the TransformerLens `detect_head` detectors
 * (previous-token, duplicate-token, induction, with `mul` and `abs` error measures) and the
 * scores attnlab adds: first-token sink, copy/self (diagonal) and syntactic attention.
 */
import type { TransformerModel, ActivationCache } from "../model/types";
import { architecture } from "../model/architectures";
import { actName, type HookName } from "../hooks/names";
import { checkHead, checkLayer, prepareSingle, promptList } from "./common";
import { alignWords, wordToken } from "./align";

export type ErrorMeasure = "mul" | "abs";
export type DetectorName = "previous_token" | "duplicate_token" | "induction";

export interface AttentionPatternResult {
  kind: "attention-pattern";
  data: Float32Array; // [head, query, key]; [query, key] when one head was asked for; [layer, head, query, key] over `layers`
  shape: number[];
  tokens: string[];
  /** `layers`: the model layer of each entry of the layer axis, when several were asked for. */
  settings: { layer: number; head: number | null; layers?: number[] };
}

/** All heads' patterns of the given layers for one sequence: layer -> [h, q, k]. Reads the cache; never writes it. */
export function readPatterns(cache: ActivationCache, layers: number[], fn: string): Float32Array[] {
  return layers.map((l) => {
    const name = actName("pattern", l);
    if (!cache.has(name)) throw new Error(`${fn}: cache has no ${name}; run the model with that hook cached`);
    const t = cache.get(name);
    if (t.shape[0] !== 1) throw new Error(`${fn}: expected a cache of one sequence; got batch ${t.shape[0]}`);
    // dataSync may hand back the backend's own buffer; slice so later edits never reach the cache.
    return (t.dataSync() as Float32Array).slice();
  });
}

export function runPatterns(model: TransformerModel, ids: number[], layers: number[], fn: string): Float32Array[] {
  const names = layers.map((l) => actName("pattern", l)) as HookName[];
  const { logits, cache } = model.runWithCache([ids], { names });
  try {
    return readPatterns(cache, layers, fn);
  } finally {
    logits.dispose();
    cache.dispose();
  }
}

/**
 * One layer's attention: every head [head, query, key], or one head [query, key] with `head`.
 * With `layers` (model layer numbers, or "all") instead of `layer`: [layer, head, query, key]
 * from one forward pass, which figure() shows as a heatmap with Layer and Head menus.
 */
export function attentionPattern(
  model: TransformerModel,
  input: string | number[],
  opts: { layer: number; head?: number } | { layers: number[] | "all" },
): AttentionPatternResult {
  const fn = "attentionPattern";
  if (opts && "layers" in opts && opts.layers !== undefined) {
    if ("layer" in opts || "head" in opts) throw new Error(`${fn}: give opts.layer (and opts.head) or opts.layers, not both`);
    const layers = opts.layers === "all" ? Array.from({ length: model.config.nLayers }, (_, i) => i) : opts.layers;
    if (!Array.isArray(layers) || layers.length === 0) throw new Error(`${fn}: opts.layers must be "all" or a non-empty array of layer numbers, got ${JSON.stringify(opts.layers)}`);
    for (const l of layers) checkLayer(model, l, fn, "layers[]");
    const { ids, tokens } = prepareSingle(model, input, fn);
    const per = runPatterns(model, ids, layers, fn); // layer -> [head, query, key]
    const n = ids.length;
    const h = model.config.nHeads;
    const data = new Float32Array(layers.length * h * n * n);
    per.forEach((p, i) => data.set(p, i * h * n * n));
    return { kind: "attention-pattern", data, shape: [layers.length, h, n, n], tokens, settings: { layer: layers[0], head: null, layers: [...layers] } };
  }
  if (!opts || !("layer" in opts)) throw new Error(`${fn}: expected opts {layer, head?} or {layers}`);
  checkLayer(model, opts.layer, fn);
  if (opts.head !== undefined) checkHead(model, opts.head, fn);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const [all] = runPatterns(model, ids, [opts.layer], fn);
  const n = ids.length;
  const h = model.config.nHeads;
  if (opts.head === undefined) return { kind: "attention-pattern", data: all, shape: [h, n, n], tokens, settings: { layer: opts.layer, head: null } };
  return {
    kind: "attention-pattern",
    data: all.slice(opts.head * n * n, (opts.head + 1) * n * n),
    shape: [n, n],
    tokens,
    settings: { layer: opts.layer, head: opts.head },
  };
}

/** Ones on the sub-diagonal: query i attends to key i − 1. [n, n] */
export function previousTokenDetection(n: number): Float32Array {
  const p = new Float32Array(n * n);
  for (let i = 1; i < n; i++) p[i * n + i - 1] = 1;
  return p;
}

/** P[i, j] = 1 when token i equals token j and j < i. */
export function duplicateTokenDetection(ids: number[]): Float32Array {
  const n = ids.length;
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) if (ids[i] === ids[j]) p[i * n + j] = 1;
  return p;
}

/** The duplicate pattern shifted one key to the right, first column zero, kept lower-triangular. */
export function inductionDetection(ids: number[]): Float32Array {
  const n = ids.length;
  const dup = duplicateTokenDetection(ids);
  const p = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 1; j <= i; j++) p[i * n + j] = dup[i * n + j - 1];
  return p;
}

export function detectionPattern(name: DetectorName, ids: number[]): Float32Array {
  if (name === "previous_token") return previousTokenDetection(ids.length);
  if (name === "duplicate_token") return duplicateTokenDetection(ids);
  if (name === "induction") return inductionDetection(ids);
  throw new Error(`detectionPattern: detector must be "previous_token", "duplicate_token" or "induction"; got ${JSON.stringify(name)}`);
}

export interface ScoreOptions {
  errorMeasure?: ErrorMeasure;
  excludeBos?: boolean;
  excludeCurrentToken?: boolean;
}

/**
 * Similarity of one head's pattern A [n, n] to a detection pattern P [n, n]:
 * mul = Σ(A⊙P)/ΣA, abs = 1 − round(Σ|A−P|/n, 3), after zeroing key 0 (excludeBos) and the
 * diagonal (excludeCurrentToken). Works on a copy: A is left as it was.
 */
export function scoreHeadPattern(A: Float32Array, P: Float32Array, n: number, opts: ScoreOptions = {}): number {
  const measure = opts.errorMeasure ?? "mul";
  if (measure !== "mul" && measure !== "abs") throw new Error(`scoreHeadPattern: errorMeasure must be "mul" or "abs"; got ${JSON.stringify(measure)}`);
  if (A.length !== n * n || P.length !== n * n) throw new Error(`scoreHeadPattern: pattern and detection pattern must both be [${n}, ${n}]`);
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
    if (P[i * n + j] !== 0) throw new Error("scoreHeadPattern: detection pattern must be lower-triangular");
  }
  const keep = (i: number, j: number) => !((opts.excludeBos && j === 0) || (opts.excludeCurrentToken && i === j));
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (!keep(i, j)) continue;
      const a = A[i * n + j];
      if (measure === "mul") {
        num += a * P[i * n + j];
        den += a;
      } else {
        num += Math.abs(a - P[i * n + j]);
      }
    }
  }
  if (measure === "mul") return den === 0 ? 0 : num / den;
  return 1 - Math.round((num / n) * 1000) / 1000;
}

export interface HeadScoreResult {
  kind: "head-scores";
  /** One [layer, head] grid per score name. */
  scores: Record<string, Float32Array>;
  shape: [number, number];
  tokens: string[][];
  settings: Required<ScoreOptions> & { detectors: string[]; prompts: number; syntacticPairs: number; syntacticSubword: string };
}

export interface HeadScoreOptions extends ScoreOptions {
  detectors?: DetectorName[];
  /** Word-level dependency pairs for the syntactic score; the prompt is words.join(" "). */
  syntactic?: { words: string[]; pairs: [dependent: number, head: number][]; subword?: "first" | "last" };
}

/**
 * Scores every head of every layer on each prompt (averaged over prompts):
 * - previous_token / duplicate_token / induction: `detect_head` with the chosen error measure;
 * - sink: mean over queries of the attention on key 0;
 * - self: mean of the diagonal (attention of each token to itself);
 * - syntactic (when pairs are given): mean attention from each dependent word's token to its
 *   head word's token, over pairs whose head word comes first (a causal model cannot attend forward).
 */
export function headScores(model: TransformerModel, inputs: string | number[] | (string | number[])[], opts: HeadScoreOptions = {}): HeadScoreResult {
  const fn = "headScores";
  const { nLayers: L, nHeads: H } = model.config;
  const detectors = opts.detectors ?? ["previous_token", "duplicate_token", "induction"];
  const list = promptList(inputs);
  if (list.length === 0) throw new Error(`${fn}: give at least one prompt`);
  const names = [...detectors, "sink", "self"];
  const scores: Record<string, Float32Array> = {};
  for (const k of names) scores[k] = new Float32Array(L * H);
  const layers = Array.from({ length: L }, (_, l) => l);
  const allTokens: string[][] = [];
  for (const input of list) {
    const { ids, tokens } = prepareSingle(model, input, fn);
    if (ids.length < 2) throw new Error(`${fn}: each prompt needs at least 2 tokens; got ${ids.length}`);
    allTokens.push(tokens);
    const n = ids.length;
    const pats = runPatterns(model, ids, layers, fn);
    const dets = detectors.map((d) => detectionPattern(d, ids));
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        const A = pats[l].subarray(h * n * n, (h + 1) * n * n);
        dets.forEach((P, di) => (scores[detectors[di]][l * H + h] += scoreHeadPattern(A, P, n, opts) / list.length));
        let sink = 0;
        let self = 0;
        for (let i = 0; i < n; i++) {
          sink += A[i * n];
          self += A[i * n + i];
        }
        scores.sink[l * H + h] += sink / n / list.length;
        scores.self[l * H + h] += self / n / list.length;
      }
    }
  }
  let nPairs = 0;
  if (opts.syntactic) {
    const syn = syntacticScores(model, opts.syntactic);
    scores.syntactic = syn.scores;
    nPairs = syn.used;
    allTokens.push(syn.tokens);
  }
  return {
    kind: "head-scores",
    scores,
    shape: [L, H],
    tokens: allTokens,
    settings: {
      errorMeasure: opts.errorMeasure ?? "mul",
      excludeBos: opts.excludeBos ?? false,
      excludeCurrentToken: opts.excludeCurrentToken ?? false,
      detectors,
      prompts: list.length,
      syntacticPairs: nPairs,
      syntacticSubword: opts.syntactic?.subword ?? "first",
    },
  };
}

function syntacticScores(model: TransformerModel, syn: NonNullable<HeadScoreOptions["syntactic"]>): { scores: Float32Array; used: number; tokens: string[] } {
  const fn = "headScores (syntactic)";
  const { nLayers: L, nHeads: H } = model.config;
  const al = alignWords(model, syn.words, fn);
  const choice = syn.subword ?? "first";
  const causal = architecture(model.config).causal;
  const pairs: [number, number][] = [];
  for (const [d, h] of syn.pairs) {
    for (const [w, what] of [[d, "dependent"], [h, "head"]] as const) {
      if (!Number.isInteger(w) || w < 0 || w >= syn.words.length) throw new Error(`${fn}: ${what} word index must be in [0, ${syn.words.length - 1}]; got ${w}`);
    }
    const q = wordToken(al.wordTokens[d], choice);
    const k = wordToken(al.wordTokens[h], choice);
    if (!causal || k <= q) pairs.push([q, k]);
  }
  if (pairs.length === 0) throw new Error(`${fn}: no usable pair (in a causal model the head word must come before its dependent)`);
  const n = al.ids.length;
  const pats = runPatterns(model, al.ids, Array.from({ length: L }, (_, l) => l), fn);
  const scores = new Float32Array(L * H);
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) {
    let s = 0;
    for (const [q, k] of pairs) s += pats[l][h * n * n + q * n + k];
    scores[l * H + h] = s / pairs.length;
  }
  return { scores, used: pairs.length, tokens: al.tokens };
}

/** TransformerLens-style detector for a single detection pattern (named or given [n, n]). */
export function detectHead(
  model: TransformerModel,
  input: string | number[],
  detection: DetectorName | Float32Array,
  opts: ScoreOptions = {},
): { kind: "head-detection"; scores: Float32Array; shape: [number, number]; tokens: string[]; settings: Required<ScoreOptions> & { detection: string } } {
  const fn = "detectHead";
  const { ids, tokens } = prepareSingle(model, input, fn);
  const n = ids.length;
  const P = typeof detection === "string" ? detectionPattern(detection, ids) : detection;
  if (P.length !== n * n) throw new Error(`${fn}: detection pattern must be [${n}, ${n}] for this ${n}-token input; got ${P.length} values`);
  const { nLayers: L, nHeads: H } = model.config;
  const pats = runPatterns(model, ids, Array.from({ length: L }, (_, l) => l), fn);
  const scores = new Float32Array(L * H);
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) scores[l * H + h] = scoreHeadPattern(pats[l].subarray(h * n * n, (h + 1) * n * n), P, n, opts);
  return {
    kind: "head-detection",
    scores,
    shape: [L, H],
    tokens,
    settings: {
      errorMeasure: opts.errorMeasure ?? "mul",
      excludeBos: opts.excludeBos ?? false,
      excludeCurrentToken: opts.excludeCurrentToken ?? false,
      detection: typeof detection === "string" ? detection : "custom",
    },
  };
}
