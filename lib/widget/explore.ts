/**
 * explore(model, {prompt?, layer?, head?}): the playground. A widget whose view
 * (widgets/src/views/explore.ts) has a prompt box over one head's attention heatmap, the
 * model's top predictions and the head-score grid. The view sends {event: "explore", id,
 * prompt, layer, head} as the student types (debounced there); the kernel runs the model
 * once per new prompt, keeps every layer's pattern of that run so another head costs no
 * second run, and answers with the result's tensors as float32 buffers (protocol.ts
 * packExplore). Requests are answered one at a time, in order: the forward pass is
 * synchronous, and the view keeps at most one request in flight.
 *
 * Works for any model attnlab loads by asking capabilities: a causal model predicts the next
 * token after the prompt; an encoder with a masked-LM head predicts at the first mask token;
 * an encoder without one (sentence embeddings) shows no predictions and says why.
 */
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel, TokenBatch } from "../model/types";
import { architecture } from "../model/architectures";
import { actName, type HookName } from "../hooks/names";
import { detectionPattern, readPatterns, scoreHeadPattern, type DetectorName } from "../methods/patterns";
import { FigureWidget } from "../figures/widgets";
import { packExplore, type ExploreRequest, type ExploreResult } from "../../widgets/src/protocol";

export interface ExploreOptions {
  /** The prompt shown first (default: a sentence with a repeat, so induction heads have something to do). */
  prompt?: string;
  /** The head shown first (default layer 0, head 0). */
  layer?: number;
  head?: number;
  /** How many predictions to list. Default 10. */
  topK?: number;
  /** Longest prompt accepted, in tokens. Default the smaller of 128 and the model's context. */
  maxTokens?: number;
  /** Pause after the last keystroke before the view asks the kernel (ms). Default 250. */
  debounceMs?: number;
}

const DETECTORS: DetectorName[] = ["previous_token", "duplicate_token", "induction"];
const DEFAULT_PROMPT = "The cat sat on the mat. The cat sat on the";

/** One run's patterns, kept so another layer or head is a slice, not a second forward pass. */
interface Run {
  prompt: string;
  tokens: string[];
  patterns: Float32Array[]; // per layer [head, query, key]
  predictions: ExploreResult["predictions"];
  note?: string;
  scores: Record<string, { data: Float32Array; shape: number[] }>;
}

function isModel(m: unknown): m is TransformerModel {
  const x = m as TransformerModel;
  return !!x && typeof x === "object" && !!x.config && typeof x.runWithCache === "function" && typeof x.toTokens === "function";
}

function checkIndex(value: unknown, n: number, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) >= n) {
    throw new Error(`explore: ${what} must be an integer in [0, ${n - 1}], got ${JSON.stringify(value)}`);
  }
  return value as number;
}

export class ExploreWidget extends FigureWidget {
  private readonly model: TransformerModel;
  private readonly topK: number;
  private readonly maxTokens: number;
  private last: Run | null = null;

  constructor(model: TransformerModel, opts: ExploreOptions = {}) {
    if (!isModel(model)) throw new Error("explore: model must be an attnlab model (loadModel(...), loadPretrained(...) or createModel(...))");
    if (opts === null || typeof opts !== "object") throw new Error(`explore: options must be {prompt?, layer?, head?}, got ${opts === null ? "null" : typeof opts}`);
    const known = ["prompt", "layer", "head", "topK", "maxTokens", "debounceMs"];
    for (const k of Object.keys(opts)) if (!known.includes(k)) throw new Error(`explore: unknown option ${JSON.stringify(k)}; known: ${known.join(", ")}`);
    const { nLayers, nHeads, nCtx, dVocab } = model.config;
    const topK = opts.topK ?? 10;
    if (!Number.isInteger(topK) || topK < 1) throw new Error(`explore: topK must be a positive integer, got ${JSON.stringify(opts.topK)}`);
    const maxTokens = opts.maxTokens ?? Math.min(128, nCtx);
    if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > nCtx) throw new Error(`explore: maxTokens must be an integer in [1, ${nCtx}] (the model's context), got ${JSON.stringify(opts.maxTokens)}`);
    const debounceMs = opts.debounceMs ?? 250;
    if (typeof debounceMs !== "number" || !(debounceMs >= 0)) throw new Error(`explore: debounceMs must be a number ≥ 0, got ${JSON.stringify(opts.debounceMs)}`);
    const layer = checkIndex(opts.layer ?? 0, nLayers, "layer");
    const head = checkIndex(opts.head ?? 0, nHeads, "head");
    const prompt = opts.prompt ?? DEFAULT_PROMPT;
    const k = Math.min(topK, dVocab);
    const first = runModel(model, prompt, k, maxTokens);
    const name = model.config.name ?? architecture(model.config).label.replace(/ \(.*$/, "");
    super("explore", { ...resultOf(first, layer, head, nLayers, nHeads), title: `Playground: ${name}` }, { debounceMs });
    this.model = model;
    this.topK = k;
    this.maxTokens = maxTokens;
    this.last = first;
    this.onMsg((content) => this.answer(content));
  }

  /**
   * What the view gets for `prompt` with (layer, head) on show: the head's pattern, the
   * predictions and every head's scores. Throws a message for the student on a bad prompt.
   */
  result(prompt: string, layer: number, head: number): ExploreResult {
    const { nLayers, nHeads } = this.model.config;
    checkIndex(layer, nLayers, "layer");
    checkIndex(head, nHeads, "head");
    if (!this.last || this.last.prompt !== prompt) this.last = runModel(this.model, prompt, this.topK, this.maxTokens);
    return resultOf(this.last, layer, head, nLayers, nHeads);
  }

  private answer(content: unknown): void {
    const m = content as ExploreRequest;
    if (!m || m.event !== "explore") return;
    const id = Number(m.id) || 0;
    try {
      const { content: reply, buffers } = packExplore(id, this.result(m.prompt, m.layer, m.head));
      this.send(reply, buffers);
    } catch (e) {
      this.send({ event: "explore-error", id, message: (e as Error).message.replace(/^explore: /, "") });
    }
  }

  toString(): string {
    const d = this.get("data") as ExploreResult & { title?: string };
    const p = d.predictions;
    const top = p && p.tokens.length ? `; top prediction ${JSON.stringify(p.tokens[0])} (p = ${p.probs.data[0].toFixed(3)})` : "";
    return `${d.title ?? "Playground"}: ${JSON.stringify(d.prompt)}, layer ${d.layer}, head ${d.head}${top}`;
  }
}

/** Opens the playground on `model`; display it (or make it the cell's last expression). */
export function explore(model: TransformerModel, opts: ExploreOptions = {}): ExploreWidget {
  return new ExploreWidget(model, opts);
}

function resultOf(run: Run, layer: number, head: number, nLayers: number, nHeads: number): ExploreResult {
  const n = run.tokens.length;
  const pattern = run.patterns[layer].slice(head * n * n, (head + 1) * n * n); // [query, key]
  return {
    prompt: run.prompt,
    tokens: run.tokens,
    layer,
    head,
    nLayers,
    nHeads,
    pattern: { data: pattern, shape: [n, n] },
    predictions: run.predictions,
    ...(run.note ? { note: run.note } : {}),
    scores: run.scores,
  };
}

function tokenize(model: TransformerModel, prompt: unknown, maxTokens: number): { batch: TokenBatch; ids: number[]; tokens: string[] } {
  if (typeof prompt !== "string") throw new Error(`explore: prompt must be a string, got ${prompt === null ? "null" : typeof prompt}`);
  if (prompt.trim() === "") throw new Error("explore: prompt: type at least one word");
  const batch = model.toTokens(prompt);
  const ids = Array.from(batch.ids);
  if (ids.length > maxTokens) {
    throw new Error(`explore: prompt is ${ids.length} tokens long; the playground takes at most ${maxTokens} (shorten it, or pass {maxTokens} up to the model's context of ${model.config.nCtx})`);
  }
  let tokens: string[];
  try {
    tokens = model.toStrTokens(ids);
  } catch {
    tokens = ids.map(String);
  }
  return { batch, ids, tokens };
}

/** Where the model can name a token, and why not when it cannot: asked of its capabilities, not its name. */
function predictionSite(model: TransformerModel, ids: number[], tokens: string[]): { position: number; label: string } | { note: string } {
  if (architecture(model.config).causal) {
    return { position: ids.length - 1, label: `Next token after ${JSON.stringify(tokens[tokens.length - 1])}` };
  }
  if (model.config.mlmHead === false) return { note: "This encoder has no language-model head (it makes sentence embeddings), so it predicts no tokens." };
  const mask = model.tokenizer?.specialIds.mask;
  const at = mask === undefined ? -1 : ids.indexOf(mask);
  if (at < 0) return { note: `Put ${mask === undefined ? "a mask token" : JSON.stringify(model.tokenizer?.idToToken(mask) ?? "[MASK]")} in the prompt to see what the model predicts there.` };
  return { position: at, label: `Predictions for ${JSON.stringify(tokens[at])} at position ${at}` };
}

/** One forward pass: every layer's pattern, the top-k at the prediction site, and the head scores. */
function runModel(model: TransformerModel, prompt: unknown, k: number, maxTokens: number): Run {
  const { batch, ids, tokens } = tokenize(model, prompt, maxTokens);
  const { nLayers: L, nHeads: H } = model.config;
  const layers = Array.from({ length: L }, (_, l) => l);
  const names = layers.map((l) => actName("pattern", l)) as HookName[];
  const site = predictionSite(model, ids, tokens);
  let patterns: Float32Array[] = [];
  const top = tf.tidy(() => {
    const { logits, cache } = model.runWithCache(batch, { names }); // logits [1, pos, vocab]
    try {
      patterns = readPatterns(cache, layers, "explore");
    } finally {
      cache.dispose();
    }
    if (!("position" in site)) return undefined;
    const row = logits.slice([0, site.position, 0], [1, 1, -1]).reshape([-1]);
    const { values, indices } = tf.topk(tf.softmax(row), k);
    return [values, indices];
  });
  let predictions: ExploreResult["predictions"] = null;
  if (top && "position" in site) {
    const [values, indices] = top as tf.Tensor[];
    const probs = values.dataSync() as Float32Array;
    const topIds = Array.from(indices.dataSync());
    tf.dispose([values, indices]);
    const names = topIds.map((id) => {
      try {
        return model.toStrTokens([id])[0] ?? String(id);
      } catch {
        return String(id);
      }
    });
    predictions = { position: site.position, label: site.label, tokens: names, probs: { data: Float32Array.from(probs), shape: [probs.length] } };
  }
  return { prompt: prompt as string, tokens, patterns, predictions, note: "note" in site ? site.note : undefined, scores: scoreHeads(patterns, ids, L, H) };
}

/**
 * The head scores of lib/methods headScores on this one prompt (detect_head's previous-token,
 * duplicate-token and induction with the "mul" measure; sink; self), read from the patterns
 * the run already has rather than from a second forward pass.
 */
function scoreHeads(patterns: Float32Array[], ids: number[], L: number, H: number): Record<string, { data: Float32Array; shape: number[] }> {
  const n = ids.length;
  const dets = DETECTORS.map((d) => detectionPattern(d, ids));
  const out: Record<string, Float32Array> = {};
  for (const k of [...DETECTORS, "sink", "self"]) out[k] = new Float32Array(L * H);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < H; h++) {
      const A = patterns[l].subarray(h * n * n, (h + 1) * n * n);
      dets.forEach((P, i) => (out[DETECTORS[i]][l * H + h] = scoreHeadPattern(A, P, n)));
      let sink = 0;
      let self = 0;
      for (let i = 0; i < n; i++) {
        sink += A[i * n];
        self += A[i * n + i];
      }
      out.sink[l * H + h] = sink / n;
      out.self[l * H + h] = self / n;
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, { data: v, shape: [L, H] }]));
}
