// The playground's data (views/explore.ts ↔ lib/widget/explore.ts): one run, also what each
// reply of its channel carries (protocol.ts packExplore/unpackExplore).
import { checkObject, type Tensor } from "./tensor";

/** One run of the playground: what the heatmap, the predictions and the head grid show. */
export interface ExploreResult {
  prompt: string;
  /** Display strings of the prompt's tokens. */
  tokens: string[];
  layer: number;
  head: number;
  nLayers: number;
  nHeads: number;
  /** The weights of (layer, head): [query, key]. */
  pattern: Tensor;
  /** Top-k tokens at `position` with their probabilities [k]; null when the model cannot predict there (`note` says why). */
  predictions: { position: number; label: string; tokens: string[]; probs: Tensor } | null;
  note?: string;
  /** Score name → [layer, head]. */
  scores: Record<string, Tensor>;
}

export type ExploreData = ExploreResult & { title?: string };

/** Checks a run (the widget's data, and every reply the view receives). */
export function checkExplore(data: unknown): void {
  const r = checkObject("the playground's result {prompt, tokens, pattern, scores, ...}", data) as unknown as ExploreResult;
  if (typeof r.prompt !== "string") throw new Error("prompt: expected a string");
  if (!Array.isArray(r.tokens)) throw new Error("tokens: expected an array of token strings");
  if (!r.scores || typeof r.scores !== "object") throw new Error("scores: expected {name: [layer, head] tensor}");
}
