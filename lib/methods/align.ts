/** Aligning word-level annotations (POS tags, dependency pairs) to sub-word tokens. */
import type { TransformerModel } from "../model/types";

export type SubwordChoice = "first" | "last" | "mean";

export interface WordAlignment {
  ids: number[];
  tokens: string[];
  /** For each word, the token indices that overlap it (never empty). */
  wordTokens: number[][];
}

/**
 * Tokenizes `words.join(" ")` and finds each word's tokens from the tokenizer's character
 * offsets. Throws, naming the word, when a word gets no token (e.g. it was empty or the
 * tokenizer dropped it), because then its label cannot be placed.
 */
export function alignWords(model: TransformerModel, words: string[], fn: string, opts: { prependBos?: boolean } = {}): WordAlignment {
  if (!model.tokenizer) throw new Error(`${fn}: word-level labels need a model with a tokenizer`);
  if (!Array.isArray(words) || words.length === 0) throw new Error(`${fn}: words must be a non-empty array of strings`);
  const spans: [number, number][] = [];
  let text = "";
  words.forEach((w, i) => {
    if (typeof w !== "string" || w.length === 0) throw new Error(`${fn}: word ${i} must be a non-empty string; got ${JSON.stringify(w)}`);
    if (i > 0) text += " ";
    spans.push([text.length, text.length + w.length]);
    text += w;
  });
  // A prepended BOS has empty offsets, so it belongs to no word.
  const enc = model.tokenizer.encode(text, opts.prependBos ? { prependBos: true } : undefined);
  const wordTokens = spans.map(([s, e], wi) => {
    const toks: number[] = [];
    enc.offsets.forEach(([a, b], ti) => {
      if (b > a && a < e && b > s) toks.push(ti);
    });
    if (toks.length === 0) throw new Error(`${fn}: word ${wi} (${JSON.stringify(words[wi])}) does not align with any token`);
    return toks;
  });
  return { ids: enc.ids, tokens: enc.tokens, wordTokens };
}

/** The token index standing for a word ("mean" is not a single token, so it maps to "last"). */
export function wordToken(toks: number[], choice: SubwordChoice): number {
  return choice === "first" ? toks[0] : toks[toks.length - 1];
}
