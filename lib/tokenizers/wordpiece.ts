/**
 * BERT WordPiece, matching HF `tokenizers` (BertTokenizerFast): normalize, split into words,
 * then greedy longest-match-first pieces with the "##" prefix after a word's first piece.
 * A word with no full cover, or longer than `maxInputCharsPerWord` characters, becomes [UNK].
 * Display strings are the vocabulary strings ("##ing" keeps its "##"), as BertViz shows them.
 */
import {
  AddedToken, applyTemplate, BaseTokenizer, cleanUpTokenization, RawToken, SpecialIds, Template,
} from "./common";
import { AlignedChar, BertNormalizerOptions, normalizeBert, preTokenizeBert } from "./bert_normalizer";

export interface WordPieceOptions {
  vocab: Map<string, number>;
  added?: AddedToken[];
  specialIds?: SpecialIds;
  unkToken?: string;
  continuingSubwordPrefix?: string;
  maxInputCharsPerWord?: number;
  normalizer?: Partial<BertNormalizerOptions>;
  /** Default: [CLS] ... [SEP] when both are in the vocabulary. */
  template?: Template;
  /** transformers' clean_up_tokenization_spaces on the decoded text. Default false. */
  cleanUpSpaces?: boolean;
  /** The WordPiece decoder's own per-token cleanup (tokenizer.json decoder.cleanup). Default true. */
  decoderCleanup?: boolean;
}

export class WordPieceTokenizer extends BaseTokenizer {
  readonly kind = "wordpiece" as const;
  private readonly unkId: number;
  private readonly prefix: string;
  private readonly maxChars: number;
  private readonly norm: BertNormalizerOptions;
  private readonly template?: Template;
  private readonly cleanUp: boolean;
  private readonly decoderCleanup: boolean;

  constructor(opts: WordPieceOptions) {
    if (!(opts.vocab instanceof Map) || opts.vocab.size === 0) throw new Error("WordPieceTokenizer: vocab must be a non-empty Map");
    const unk = opts.unkToken ?? "[UNK]";
    const specialIds: SpecialIds = { ...opts.specialIds };
    const find = (t: string) => opts.vocab.get(t) ?? opts.added?.find((a) => a.content === t)?.id;
    for (const [key, tok] of [["cls", "[CLS]"], ["sep", "[SEP]"], ["pad", "[PAD]"], ["mask", "[MASK]"], ["unk", unk]] as const) {
      if (specialIds[key] === undefined && find(tok) !== undefined) specialIds[key] = find(tok);
    }
    super(opts.vocab, opts.added ?? [], specialIds);
    const unkId = this.vocab.get(unk);
    if (unkId === undefined) throw new Error(`WordPieceTokenizer: unknown-token "${unk}" is not in the vocabulary`);
    this.unkId = unkId;
    this.prefix = opts.continuingSubwordPrefix ?? "##";
    this.maxChars = opts.maxInputCharsPerWord ?? 100;
    this.norm = { cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true, ...opts.normalizer };
    const { cls, sep } = this.specialIds;
    this.template = opts.template ?? (cls !== undefined && sep !== undefined ? { pre: [cls], post: [sep] } : undefined);
    this.cleanUp = opts.cleanUpSpaces ?? false;
    this.decoderCleanup = opts.decoderCleanup ?? true;
  }

  private pieces(word: AlignedChar[]): RawToken[] {
    const wordStart = word[0].start;
    const wordEnd = word[word.length - 1].end;
    if (word.length > this.maxChars) return [{ id: this.unkId, start: wordStart, end: wordEnd }];
    const out: RawToken[] = [];
    let start = 0;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (end > start) {
        let sub = "";
        for (let k = start; k < end; k++) sub += word[k].ch;
        found = this.vocab.get(start > 0 ? this.prefix + sub : sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) return [{ id: this.unkId, start: wordStart, end: wordEnd }];
      out.push({ id: found, start: word[start].start, end: word[end - 1].end });
      start = end;
    }
    return out;
  }

  protected encodeSegment(text: string, base: number): RawToken[] {
    const words = preTokenizeBert(normalizeBert(text, base, this.norm));
    return words.flatMap((w) => this.pieces(w));
  }

  protected displayToken(id: number): string {
    return this.inverse[id] ?? "";
  }

  protected postProcess(tokens: RawToken[], add: boolean): RawToken[] {
    return applyTemplate(tokens, this.template, add);
  }

  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    this.checkIds(ids, "WordPieceTokenizer.decode");
    const special = new Set(this.added.filter((t) => t.special).map((t) => t.id));
    const toks = ids.filter((id) => !(opts.skipSpecialTokens && special.has(id))).map((id) => this.inverse[id]);
    let text = "";
    toks.forEach((tok, i) => {
      let piece = tok;
      if (i > 0) piece = tok.startsWith(this.prefix) ? tok.slice(this.prefix.length) : " " + tok;
      text += this.decoderCleanup ? cleanUpTokenization(piece).replace(/ do not/g, " don't") : piece;
    });
    return this.cleanUp ? cleanUpTokenization(text) : text;
  }
}
