/**
 * BERT's normalizer and pre-tokenizer as HF `tokenizers` runs them (BertNormalizer then
 * BertPreTokenizer), one character at a time so every output character remembers the span of
 * the input it came from. Steps: drop control characters, map whitespace to " ", space out CJK
 * ideographs, strip accents (NFD, drop nonspacing marks), lowercase.
 */

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null: follow `lowercase`, as HF does. */
  stripAccents: boolean | null;
  lowercase: boolean;
}

/** A normalized character with the UTF-16 span [start, end) of the input it comes from. */
export interface AlignedChar {
  ch: string;
  start: number;
  end: number;
}

const CONTROL = /^\p{C}$/u;
const WHITE = /^\p{White_Space}$/u;
const NONSPACING_MARK = /^\p{Mn}$/u;
const UNICODE_PUNCT = /^\p{P}$/u;

function isControl(ch: string): boolean {
  return ch !== "\t" && ch !== "\n" && ch !== "\r" && CONTROL.test(ch);
}

export function isBertWhitespace(ch: string): boolean {
  return WHITE.test(ch);
}

/** ASCII punctuation (which includes symbols like $ + < = > ^ ` | ~) or any Unicode P* character. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  const ascii = (cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126);
  return ascii || UNICODE_PUNCT.test(ch);
}

/** The CJK Unified Ideograph blocks BERT isolates (not Hiragana, Katakana or Hangul). */
export function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

export function normalizeBert(text: string, base: number, opts: BertNormalizerOptions): AlignedChar[] {
  const strip = opts.stripAccents ?? opts.lowercase;
  const out: AlignedChar[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    const start = base + i;
    const end = start + ch.length;
    i += ch.length;
    if (cp < 0x80) {
      // ASCII fast path: same rules, no Unicode tables (most classroom text is ASCII).
      if (opts.cleanText && (cp === 0 || (cp < 32 && cp !== 9 && cp !== 10 && cp !== 13) || cp === 127)) continue;
      const ws = cp === 32 || (cp >= 9 && cp <= 13);
      const c = opts.cleanText && ws ? " " : opts.lowercase && cp >= 65 && cp <= 90 ? String.fromCharCode(cp + 32) : ch;
      out.push({ ch: c, start, end });
      continue;
    }
    let pieces: string[];
    if (opts.cleanText) {
      if (cp === 0 || cp === 0xfffd || isControl(ch)) continue;
      pieces = [isBertWhitespace(ch) ? " " : ch];
    } else pieces = [ch];
    if (opts.handleChineseChars && isChineseChar(cp)) pieces = [" ", pieces[0], " "];
    if (strip) pieces = pieces.flatMap((c) => Array.from(c.normalize("NFD")).filter((d) => !NONSPACING_MARK.test(d)));
    if (opts.lowercase) pieces = pieces.flatMap((c) => Array.from(c.toLowerCase()));
    for (const c of pieces) out.push({ ch: c, start, end });
  }
  return out;
}

/** Splits on whitespace (dropped) and punctuation (kept as one-character words). */
export function preTokenizeBert(chars: AlignedChar[]): AlignedChar[][] {
  const words: AlignedChar[][] = [];
  let cur: AlignedChar[] = [];
  const flush = () => {
    if (cur.length) words.push(cur);
    cur = [];
  };
  for (const c of chars) {
    if (isBertWhitespace(c.ch)) flush();
    else if (isBertPunctuation(c.ch)) {
      flush();
      words.push([c]);
    } else cur.push(c);
  }
  flush();
  return words;
}
