/** Tokenizes several texts into one padded TokenBatch, as `tokenizer(texts, padding=True)` does. */
import type { TokenBatch, Tokenizer } from "../model/types";
import type { EncodeOptions, FullEncoding } from "./common";

export interface BatchOptions extends EncodeOptions {
  /** "right" (HF default) or "left" (generation). */
  paddingSide?: "right" | "left";
  /** Pad to at least this length; default: the longest text. */
  padTo?: number;
  /** Cut every text to at most this many tokens (after special tokens are added). */
  maxLength?: number;
}

export interface EncodedBatch extends TokenBatch {
  encodings: FullEncoding[];
}

export function encodeBatch(tokenizer: Tokenizer, texts: string[], opts: BatchOptions = {}): EncodedBatch {
  if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) {
    throw new Error("encodeBatch: texts must be an array of strings");
  }
  if (opts.maxLength !== undefined && !(Number.isInteger(opts.maxLength) && opts.maxLength > 0)) {
    throw new Error(`encodeBatch: maxLength must be a positive integer; got ${opts.maxLength}`);
  }
  const encodings = texts.map((t) => {
    const e = tokenizer.encode(t, opts as { addSpecialTokens?: boolean }) as FullEncoding;
    const full: FullEncoding = { ...e, typeIds: e.typeIds ?? e.ids.map(() => 0) };
    if (opts.maxLength !== undefined && full.ids.length > opts.maxLength) {
      const n = opts.maxLength;
      return { ids: full.ids.slice(0, n), tokens: full.tokens.slice(0, n), offsets: full.offsets.slice(0, n), typeIds: full.typeIds.slice(0, n) };
    }
    return full;
  });
  const pos = Math.max(opts.padTo ?? 0, ...encodings.map((e) => e.ids.length), 0);
  const batch = texts.length;
  const pad = tokenizer.specialIds.pad ?? tokenizer.specialIds.eos ?? 0;
  const ids = new Int32Array(batch * pos).fill(pad);
  const attentionMask = new Int32Array(batch * pos);
  const tokenTypeIds = new Int32Array(batch * pos);
  encodings.forEach((e, b) => {
    const off = b * pos + (opts.paddingSide === "left" ? pos - e.ids.length : 0);
    e.ids.forEach((id, i) => {
      ids[off + i] = id;
      attentionMask[off + i] = 1;
      tokenTypeIds[off + i] = e.typeIds[i];
    });
  });
  return { ids, shape: [batch, pos], attentionMask, tokenTypeIds, encodings };
}
