/**
 * Pieces every tokenizer shares: added (special) tokens that are cut out of the raw text before
 * any model sees it, the result type, and the base class that runs the pipeline
 * split added tokens -> encode each text segment -> post-process (special tokens).
 */
import type { Encoding, Tokenizer } from "../model/types";

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  /** Swallow whitespace on the left / right of the token (HF `lstrip` / `rstrip`). */
  lstrip?: boolean;
  rstrip?: boolean;
}

export type SpecialIds = Tokenizer["specialIds"];

export interface EncodeOptions {
  /** BERT: [CLS] ... [SEP]. GPT-2's post-processor adds nothing, as in HF. Default true. */
  addSpecialTokens?: boolean;
  /** Put the BOS token first, as TransformerLens `prepend_bos` does (GPT-2). Default false. */
  prependBos?: boolean;
}

/** An Encoding plus the token-type ids BERT needs (all 0 for one sequence). */
export interface FullEncoding extends Encoding {
  typeIds: number[];
}

/** One token produced from a text segment, with UTF-16 offsets into the whole input. */
export interface RawToken {
  id: number;
  start: number;
  end: number;
}

type Segment = { added: AddedToken; start: number; end: number } | { added: null; start: number; end: number };

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Cuts added tokens out of `text` (leftmost, then longest match), keeping offsets. */
export function splitAddedTokens(text: string, added: AddedToken[]): Segment[] {
  if (added.length === 0 || text.length === 0) return text.length ? [{ added: null, start: 0, end: text.length }] : [];
  const sorted = [...added].sort((a, b) => b.content.length - a.content.length);
  const byContent = new Map(sorted.map((t) => [t.content, t]));
  const re = new RegExp(sorted.map((t) => escapeRegex(t.content)).join("|"), "gu");
  const out: Segment[] = [];
  let cursor = 0;
  for (const m of text.matchAll(re)) {
    const tok = byContent.get(m[0])!;
    let start = m.index!;
    let end = start + m[0].length;
    if (start < cursor) continue;
    if (tok.lstrip) while (start > cursor && /\s/u.test(text[start - 1])) start--;
    if (tok.rstrip) while (end < text.length && /\s/u.test(text[end])) end++;
    if (start > cursor) out.push({ added: null, start: cursor, end: start });
    out.push({ added: tok, start, end });
    cursor = end;
  }
  if (cursor < text.length) out.push({ added: null, start: cursor, end: text.length });
  return out;
}

/** Shared pipeline; subclasses encode plain text segments and say how tokens display and decode. */
export abstract class BaseTokenizer implements Tokenizer {
  abstract readonly kind: "bpe" | "wordpiece";
  readonly specialIds: SpecialIds;
  protected readonly vocab: Map<string, number>;
  protected readonly inverse: string[];
  protected readonly added: AddedToken[];
  protected readonly addedIds: Set<number>;

  protected constructor(vocab: Map<string, number>, added: AddedToken[], specialIds: SpecialIds) {
    this.vocab = new Map(vocab);
    for (const t of added) {
      if (!Number.isInteger(t.id) || t.id < 0) throw new Error(`tokenizer: added token "${t.content}" has invalid id ${t.id}`);
      this.vocab.set(t.content, t.id);
    }
    this.inverse = [];
    for (const [tok, id] of this.vocab) this.inverse[id] = tok;
    this.added = added;
    this.addedIds = new Set(added.map((t) => t.id));
    this.specialIds = Object.freeze({ ...specialIds });
  }

  get vocabSize(): number {
    return this.inverse.length;
  }

  idToToken(id: number): string | undefined {
    return this.inverse[id];
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  /** Encodes text without added tokens; offsets are shifted by `base` into the whole input. */
  protected abstract encodeSegment(text: string, base: number): RawToken[];
  /** Display string of one token of an encoding ("Ġthe" shows as " the"). */
  protected abstract displayToken(id: number): string;
  /** Wraps the tokens with the post-processor's special tokens. */
  protected abstract postProcess(tokens: RawToken[], addSpecialTokens: boolean): RawToken[];
  abstract decode(ids: number[]): string;

  encode(text: string, opts: EncodeOptions = {}): FullEncoding {
    if (typeof text !== "string") throw new Error(`tokenizer.encode: text must be a string; got ${typeof text}`);
    let tokens: RawToken[] = [];
    for (const seg of splitAddedTokens(text, this.added)) {
      if (seg.added) tokens.push({ id: seg.added.id, start: seg.start, end: seg.end });
      else tokens.push(...this.encodeSegment(text.slice(seg.start, seg.end), seg.start));
    }
    tokens = this.postProcess(tokens, opts.addSpecialTokens ?? true);
    if (opts.prependBos) {
      const bos = this.specialIds.bos ?? this.specialIds.cls;
      if (bos === undefined) throw new Error(`tokenizer.encode: prependBos asked for, but this tokenizer has no BOS token`);
      tokens.unshift({ id: bos, start: 0, end: 0 });
    }
    return {
      ids: tokens.map((t) => t.id),
      tokens: tokens.map((t) => this.displayToken(t.id)),
      offsets: tokens.map((t) => [t.start, t.end] as [number, number]),
      typeIds: tokens.map(() => 0),
    };
  }

  /** Display strings of ids, e.g. for a view of model output ids. */
  idsToDisplay(ids: number[]): string[] {
    return ids.map((id) => this.displayToken(id));
  }

  protected checkIds(ids: number[], where: string): void {
    if (!Array.isArray(ids)) throw new Error(`${where}: ids must be an array of integers`);
    for (const id of ids) {
      if (!Number.isInteger(id) || this.inverse[id] === undefined) {
        throw new Error(`${where}: id ${id} is not in the vocabulary (0..${this.inverse.length - 1})`);
      }
    }
  }
}

/** Special tokens the post-processor puts around one sequence (HF TemplateProcessing, single). */
export interface Template {
  pre: number[];
  post: number[];
}

export function applyTemplate(tokens: RawToken[], template: Template | undefined, add: boolean): RawToken[] {
  if (!add || !template) return tokens;
  const wrap = (id: number): RawToken => ({ id, start: 0, end: 0 });
  return [...template.pre.map(wrap), ...tokens, ...template.post.map(wrap)];
}

/** transformers' `clean_up_tokenization`: glue punctuation and English contractions back on. */
export function cleanUpTokenization(s: string): string {
  return s
    .replace(/ \./g, ".")
    .replace(/ \?/g, "?")
    .replace(/ !/g, "!")
    .replace(/ ,/g, ",")
    .replace(/ ' /g, "'")
    .replace(/ n't/g, "n't")
    .replace(/ 'm/g, "'m")
    .replace(/ 's/g, "'s")
    .replace(/ 've/g, "'ve")
    .replace(/ 're/g, "'re");
}
