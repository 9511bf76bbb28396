/**
 * GPT-2 byte-level BPE, matching Hugging Face `tokenizers` (GPT2TokenizerFast): the GPT-2
 * regex splits the text (for SmolLM2 and StarCoder, after each digit has been cut out alone),
 * each piece's UTF-8 bytes are written in the byte-level alphabet and merged pair by pair,
 * lowest merge rank first.
 */
import {
  AddedToken, applyTemplate, BaseTokenizer, cleanUpTokenization, RawToken, SpecialIds, Template,
} from "./common";
import { BYTE_TO_CHAR, byteLevelToText, GPT2_SPLIT_REGEX, utf8WithSpans } from "./bytelevel";

export interface BpeOptions {
  vocab: Map<string, number>;
  merges: [string, string][];
  added?: AddedToken[];
  specialIds?: SpecialIds;
  /** Put a space before text that does not start with one (HF `add_prefix_space`). Default false. */
  addPrefixSpace?: boolean;
  /** Leave leading/trailing spaces out of token offsets (HF ByteLevel post-processor). Default false. */
  trimOffsets?: boolean;
  template?: Template;
  /** Apply transformers' clean_up_tokenization in decode. Default false (GPT-2). */
  cleanUpSpaces?: boolean;
  /**
   * Cut every numeric character (Unicode N) into a piece of its own before the GPT-2 regex runs,
   * as HF's `Digits(individual_digits=True)` pre-tokenizer does ahead of ByteLevel (SmolLM2,
   * StarCoder). Default false.
   */
  individualDigits?: boolean;
}

const DIGIT = /\p{N}/gu;

/** [start, end) pieces of `text`: each numeric character alone, the runs between them whole. */
function digitPieces(text: string): [number, number][] {
  const out: [number, number][] = [];
  let cursor = 0;
  for (const m of text.matchAll(DIGIT)) {
    if (m.index! > cursor) out.push([cursor, m.index!]);
    out.push([m.index!, m.index! + m[0].length]);
    cursor = m.index! + m[0].length;
  }
  if (cursor < text.length) out.push([cursor, text.length]);
  return out;
}

const PAIR_SEP = "\u0000";
const CACHE_LIMIT = 20000;

export class BpeTokenizer extends BaseTokenizer {
  readonly kind = "bpe" as const;
  private readonly ranks = new Map<string, number>();
  private readonly cache = new Map<string, string[]>();
  private readonly opts: BpeOptions;

  constructor(opts: BpeOptions) {
    super(opts.vocab, opts.added ?? [], opts.specialIds ?? {});
    if (!(opts.vocab instanceof Map) || opts.vocab.size === 0) throw new Error("BpeTokenizer: vocab must be a non-empty Map");
    // HF's ByteLevel adds its prefix space to every piece an earlier pre-tokenizer made; nothing uses that.
    if (opts.individualDigits && opts.addPrefixSpace) throw new Error("BpeTokenizer: individualDigits with addPrefixSpace is not supported");
    opts.merges.forEach(([a, b], rank) => {
      const key = a + PAIR_SEP + b;
      if (!this.ranks.has(key)) this.ranks.set(key, rank);
    });
    this.opts = opts;
  }

  /** BPE merges of one pre-token written in the byte-level alphabet. */
  private bpe(word: string): string[] {
    const hit = this.cache.get(word);
    if (hit) return hit;
    let syms = Array.from(word);
    while (syms.length > 1) {
      let best = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(syms[i] + PAIR_SEP + syms[i + 1]);
        if (r !== undefined && r < best) best = r;
      }
      if (best === Infinity) break;
      // Merge every occurrence of the best pair, left to right, as HF's rank-then-position queue does.
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && this.ranks.get(syms[i] + PAIR_SEP + syms[i + 1]) === best) {
          next.push(syms[i] + syms[i + 1]);
          i++;
        } else next.push(syms[i]);
      }
      syms = next;
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(word, syms);
    return syms;
  }

  protected encodeSegment(text: string, base: number): RawToken[] {
    const out: RawToken[] = [];
    let src = text;
    let shift = 0; // the added prefix space is aligned with the segment's first character
    if (this.opts.addPrefixSpace && text.length > 0 && !text.startsWith(" ")) {
      src = " " + text;
      shift = 1;
    }
    const firstUnits = text.length > 0 && text.codePointAt(0)! > 0xffff ? 2 : Math.min(1, text.length);
    // Positions in `src` back to `text`; the prefix space counts as part of the first character.
    const toOrig = (pos: number, isEnd: boolean): number => {
      if (!shift) return pos;
      if (isEnd) return pos === 1 ? firstUnits : Math.max(pos - 1, firstUnits);
      return Math.max(0, pos - 1);
    };
    const pieces = this.opts.individualDigits ? digitPieces(src) : [[0, src.length] as [number, number]];
    for (const [ps, pe] of pieces) for (const m of src.slice(ps, pe).matchAll(GPT2_SPLIT_REGEX)) {
      const at = ps + m.index!; // where the piece starts in `src`
      const piece = m[0];
      const { bytes, spanStart, spanEnd } = utf8WithSpans(piece);
      let word = "";
      for (const b of bytes) word += BYTE_TO_CHAR[b];
      let byteAt = 0;
      for (const sym of this.bpe(word)) {
        const id = this.vocab.get(sym);
        if (id === undefined) throw new Error(`BpeTokenizer: byte-level symbol "${sym}" is not in the vocabulary (incomplete vocab.json?)`);
        const n = sym.length; // byte-level characters are single UTF-16 units, one per byte
        let start = toOrig(at + spanStart[byteAt], false);
        let end = toOrig(at + spanEnd[byteAt + n - 1], true);
        if (this.opts.trimOffsets) {
          const lead = /^Ġ*/.exec(sym)![0].length;
          const trail = lead === n ? 0 : /Ġ*$/.exec(sym)![0].length;
          if (lead) start = Math.min(start + lead, end);
          if (trail) end = Math.max(end - trail, start);
        }
        out.push({ id, start: base + start, end: base + end });
        byteAt += n;
      }
    }
    return out;
  }

  protected displayToken(id: number): string {
    const tok = this.inverse[id];
    if (tok === undefined) return "";
    return this.addedIds.has(id) ? tok : byteLevelToText(tok);
  }

  protected postProcess(tokens: RawToken[], add: boolean): RawToken[] {
    return applyTemplate(tokens, this.opts.template, add);
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    this.checkIds(ids, "BpeTokenizer.decode");
    const special = new Set(this.added.filter((t) => t.special).map((t) => t.id));
    // Added tokens are written as they are; runs of vocabulary tokens go through the byte table.
    let text = "";
    let run = "";
    for (const id of ids) {
      if (opts.skipSpecialTokens && special.has(id)) continue;
      if (this.addedIds.has(id)) {
        text += byteLevelToText(run) + this.inverse[id];
        run = "";
      } else run += this.inverse[id];
    }
    text += byteLevelToText(run);
    return this.opts.cleanUpSpaces ? cleanUpTokenization(text) : text;
  }
}
