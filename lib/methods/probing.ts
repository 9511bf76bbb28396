/**
 * Probing frozen activations with control tasks (Hewitt & Liang 2019). Examples are sentences
 * given as words with one label per word; each word is represented by its first or last
 * sub-word token, or the mean of its tokens. Sentences are split (seeded) into train /
 * validation / test; a probe is trained for every (site, layer) on the task labels and on
 * control labels (each word type — lower-cased — gets a fixed label drawn from the empirical
 * label distribution of the training words). Selectivity = task accuracy − control accuracy.
 * Test accuracy comes with a 95% Wilson score interval.
 *
 * Activations come from one cached forward pass per batch of sentences (right-padded rows; a
 * padded position changes no real token's activations: causal models never look ahead, and
 * encoders mask padding out of attention), keeping only the hooks of the probed layers and
 * stopping after the last block they need (no unembedding: its logits would be the largest
 * tensor of the pass, [batch, pos, vocab], and a probe never reads them).
 */
import type { TransformerModel } from "../model/types";
import { embedTokens, hookState, runBlocks, type ForwardModel } from "../model/forward";
import { actName, type HookName } from "../hooks/names";
import { alignWords, type SubwordChoice } from "./align";
import { WorkProgress, yieldToEventLoop, type RunOptions, DEFAULT_MEMORY_BUDGET } from "./progress";
import { Rng } from "./rng";
import { trainProbe, wilsonInterval, type ProbeTrainOptions } from "./probe_train";

export type ProbeSite = "resid_pre" | "resid_post" | "attn_out" | "mlp_out";

export interface ProbeExample {
  words: string[];
  labels: string[];
}

export interface ProbingOptions extends RunOptions, ProbeTrainOptions {
  sites?: ProbeSite[];
  subword?: SubwordChoice;
  /** Fractions of sentences for train / validation (the rest is test). */
  split?: [number, number];
  control?: boolean;
  /**
   * Layers to probe (default all). For "resid_pre", layer l is the residual stream after l
   * blocks: 0 = the embeddings and nLayers = the final stream (blocks.{nLayers-1}.hook_resid_post),
   * as in TransformerLens' accumulated_resid.
   */
  layers?: number[];
  /** Put the tokenizer's BOS first in every sentence (a model trained on documents that start with one). */
  prependBos?: boolean;
  /** Sentences per forward pass (default 32). */
  batchSize?: number;
}

export interface ProbingResult {
  kind: "probe-results";
  sites: ProbeSite[];
  labels: string[];
  /** The probed layers (the columns of the grids). */
  layers: number[];
  /** [site, layer] grids. */
  accuracy: Float32Array;
  ciLow: Float32Array;
  ciHigh: Float32Array;
  controlAccuracy: Float32Array;
  selectivity: Float32Array;
  epochs: Int32Array;
  shape: [number, number];
  majorityBaseline: number;
  counts: { train: number; val: number; test: number; sentences: [number, number, number] };
  partial: boolean;
  settings: Required<Pick<ProbingOptions, "subword" | "split" | "probe" | "l2" | "learningRate" | "maxEpochs" | "patience" | "seed">> & { hidden: number | null; ci: string; controlTask: string; optimiser: string };
}

export async function probe(model: TransformerModel, examples: ProbeExample[], opts: ProbingOptions = {}): Promise<ProbingResult> {
  const fn = "probe";
  const sites = opts.sites ?? ["resid_post", "attn_out", "mlp_out"];
  for (const s of sites) {
    if (!["resid_pre", "resid_post", "attn_out", "mlp_out"].includes(s)) throw new Error(`${fn}: sites must be resid_pre, resid_post, attn_out or mlp_out; got ${JSON.stringify(s)}`);
    if (s === "mlp_out" && model.config.attnOnly) throw new Error(`${fn}: an attention-only model has no mlp_out`);
  }
  const subword = opts.subword ?? "first";
  if (!["first", "last", "mean"].includes(subword)) throw new Error(`${fn}: subword must be "first", "last" or "mean"; got ${JSON.stringify(subword)}`);
  const split = opts.split ?? [0.7, 0.15];
  if (!(split[0] > 0 && split[1] > 0 && split[0] + split[1] < 1)) throw new Error(`${fn}: split must be [train, val] fractions with train, val > 0 and train + val < 1; got [${split.join(", ")}]`);
  const seed = opts.seed ?? 0;
  if (!Array.isArray(examples) || examples.length === 0) throw new Error(`${fn}: examples must be a non-empty array of {words, labels}`);
  examples.forEach((ex, i) => {
    if (!ex || !Array.isArray(ex.words) || !Array.isArray(ex.labels)) throw new Error(`${fn}: example ${i} must have words and labels arrays`);
    if (ex.words.length !== ex.labels.length) throw new Error(`${fn}: example ${i} has ${ex.words.length} words but ${ex.labels.length} labels; labels must align one per word`);
  });
  const L = model.config.nLayers;
  const layers = opts.layers ?? Array.from({ length: L }, (_, l) => l);
  const top = sites.every((s) => s === "resid_pre") ? L : L - 1;
  if (!Array.isArray(layers) || layers.length === 0 || layers.some((l) => !Number.isInteger(l) || l < 0 || l > top) || new Set(layers).size !== layers.length)
    throw new Error(`${fn}: layers must be distinct integers in 0..${top}${top === L ? " (resid_pre: nLayers is the final residual stream)" : ""}; got ${JSON.stringify(opts.layers)}`);
  const batchSize = opts.batchSize ?? 32;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`${fn}: batchSize must be a positive integer; got ${JSON.stringify(opts.batchSize)}`);
  const aligned = examples.map((ex, i) => alignWords(model, ex.words, `${fn} (example ${i})`, { prependBos: opts.prependBos }));
  aligned.forEach((a, i) => {
    if (a.ids.length > model.config.nCtx) throw new Error(`${fn}: example ${i} has ${a.ids.length} tokens, more than the model's context ${model.config.nCtx}`);
  });
  // Split by sentence so no sentence's words leak between train and test.
  const order = new Rng(seed).permutation(examples.length);
  const nTr = Math.round(split[0] * examples.length);
  const nVa = Math.round(split[1] * examples.length);
  const nTe = examples.length - nTr - nVa;
  if (nTr < 1 || nVa < 1 || nTe < 1) throw new Error(`${fn}: too few examples to split: ${examples.length} sentences give ${nTr} train / ${nVa} validation / ${nTe} test; need at least one sentence in each`);
  const part = new Int8Array(examples.length);
  order.forEach((e, k) => (part[e] = k < nTr ? 0 : k < nTr + nVa ? 1 : 2));
  const labelSet = [...new Set(examples.flatMap((e) => e.labels))].sort();
  const labelId = new Map(labelSet.map((l, i) => [l, i]));
  const y: Int32Array[] = [new Int32Array(0), new Int32Array(0), new Int32Array(0)];
  const words: string[][] = [[], [], []];
  const ys: number[][] = [[], [], []];
  examples.forEach((ex, i) => ex.labels.forEach((l, w) => (ys[part[i]].push(labelId.get(l)!), words[part[i]].push(ex.words[w].toLowerCase()))));
  for (let k = 0; k < 3; k++) y[k] = Int32Array.from(ys[k]);
  // Control labels: one per word type, drawn from the training label distribution.
  const ctrlRng = new Rng(seed + 1);
  const typeLabel = new Map<string, number>();
  const trainLabels = ys[0];
  const ctrlOf = (w: string) => {
    if (!typeLabel.has(w)) typeLabel.set(w, trainLabels[ctrlRng.int(trainLabels.length)]);
    return typeLabel.get(w)!;
  };
  const yc = words.map((ws) => Int32Array.from(ws.map(ctrlOf)));
  const counts = new Array(labelSet.length).fill(0);
  for (const l of y[0]) counts[l]++;
  const majority = counts.indexOf(Math.max(...counts));
  const majorityBaseline = y[2].filter((l) => l === majority).length / y[2].length;

  const d = model.config.dModel;
  const pairs: [ProbeSite, number][] = sites.flatMap((s) => layers.map((l) => [s, l] as [ProbeSite, number]));
  const fwd: ForwardModel = { config: model.config, weights: model.weights, hookNameSet: new Set(model.hookNames()) };
  const hook = (s: ProbeSite, l: number) => (s === "resid_pre" && l === L ? actName("resid_post", L - 1) : actName(s, l));
  const nWords = y[0].length + y[1].length + y[2].length;
  const perPair = nWords * d * 4;
  const pairsPerPass = Math.max(1, Math.floor((opts.memoryBudgetBytes ?? DEFAULT_MEMORY_BUDGET) / perPair));
  const control = opts.control ?? true;
  const nBatches = Math.ceil(examples.length / batchSize);
  const nForwards = Math.ceil(pairs.length / pairsPerPass) * nBatches;
  // Progress counts forward passes and probes, so the bar moves while features are collected too.
  const progress = new WorkProgress(nForwards + pairs.length, opts, "probe");
  let probesDone = 0;
  progress.plan(nForwards, `${pairs.length} probes${control ? " (+ control)" : ""}; features of ${pairsPerPass} (site, layer) pairs per pass over ${examples.length} sentences, ${batchSize} per forward`);
  const n = pairs.length;
  const accuracy = new Float32Array(n).fill(NaN);
  const ciLow = new Float32Array(n).fill(NaN);
  const ciHigh = new Float32Array(n).fill(NaN);
  const controlAccuracy = new Float32Array(n).fill(NaN);
  const epochs = new Int32Array(n);
  for (let g = 0; g < n && !progress.aborted; g += pairsPerPass) {
    const group = pairs.slice(g, g + pairsPerPass);
    const names = [...new Set(group.map(([s, l]) => hook(s, l)))] as HookName[];
    // One past the last block whose hooks are read (resid_pre l is read at the start of block l).
    const toLayer = Math.min(L, 1 + Math.max(...group.map(([, l]) => l)));
    const feats = group.map(() => [new Float32Array(y[0].length * d), new Float32Array(y[1].length * d), new Float32Array(y[2].length * d)]);
    const fill = [0, 0, 0];
    for (let b0 = 0; b0 < examples.length; b0 += batchSize) {
      const rows = aligned.slice(b0, b0 + batchSize);
      const P = Math.max(...rows.map((a) => a.ids.length));
      const batch = model.toTokens(rows.map((a) => a.ids));
      const state = hookState(fwd, { names, where: fn });
      const resid0 = embedTokens(fwd, batch, state);
      runBlocks(fwd, resid0, { toLayer, attentionMask: batch.attentionMask, state }).dispose();
      resid0.dispose();
      const cache = state.cache!;
      const acts = group.map(([s, l]) => cache.get(hook(s, l)).dataSync() as Float32Array); // [rows, P, d] each
      cache.dispose();
      progress.tick();
      await yieldToEventLoop();
      if (progress.aborted) break;
      rows.forEach((a, r) => {
        const k = part[b0 + r];
        acts.forEach((act, gi) => {
          a.wordTokens.forEach((toks, w) => {
            const use = subword === "first" ? [toks[0]] : subword === "last" ? [toks[toks.length - 1]] : toks;
            const off = (fill[k] + w) * d;
            for (const t of use) for (let j = 0; j < d; j++) feats[gi][k][off + j] += act[(r * P + t) * d + j] / use.length;
          });
        });
        fill[k] += a.wordTokens.length;
      });
    }
    for (let gi = 0; gi < group.length; gi++) {
      if (progress.aborted) break;
      const [tr, va, te] = feats[gi];
      const idx = g + gi;
      const fit = (ytr: Int32Array, yva: Int32Array, yte: Int32Array) => {
        const p = trainProbe(tr, ytr, va, yva, d, labelSet.length, opts);
        const pred = p.predict(te, yte.length);
        p.dispose();
        return { correct: pred.reduce((a, v, i) => a + (v === yte[i] ? 1 : 0), 0), epochs: p.epochs };
      };
      const task = fit(y[0], y[1], y[2]);
      accuracy[idx] = task.correct / y[2].length;
      [ciLow[idx], ciHigh[idx]] = wilsonInterval(task.correct, y[2].length);
      epochs[idx] = task.epochs;
      if (control) controlAccuracy[idx] = fit(yc[0], yc[1], yc[2]).correct / y[2].length;
      probesDone++;
      progress.tick();
      await yieldToEventLoop();
    }
  }
  return {
    kind: "probe-results", sites, labels: labelSet, accuracy, ciLow, ciHigh, controlAccuracy,
    layers, selectivity: accuracy.map((a, i) => a - controlAccuracy[i]), epochs, shape: [sites.length, layers.length], majorityBaseline,
    counts: { train: y[0].length, val: y[1].length, test: y[2].length, sentences: [nTr, nVa, nTe] },
    partial: probesDone < n,
    settings: {
      subword, split, seed, probe: opts.probe ?? "linear", hidden: opts.probe === "mlp" ? opts.hidden ?? 128 : null, l2: opts.l2 ?? 1e-3,
      learningRate: opts.learningRate ?? 0.05, maxEpochs: opts.maxEpochs ?? 300, patience: opts.patience ?? 20,
      ci: "Wilson score interval, 95%", controlTask: "Hewitt & Liang: one label per lower-cased word type, drawn from the training label distribution",
      optimiser: "full-batch Adam (tfjs) on standardised features, early stopping on validation loss",
    },
  };
}
