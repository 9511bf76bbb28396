/**
 * GPT-2's byte-level pieces: the byte <-> printable-character table and the pre-tokenization
 * regex. The regex is HF's (`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`)
 * with `\s` spelled as Unicode White_Space, which is what Oniguruma's `\s` means there
 * (JavaScript's own `\s` differs: it has U+FEFF and lacks U+0085).
 */

const WS = "\\p{White_Space}";
export const GPT2_SPLIT_REGEX = new RegExp(
  `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${WS}\\p{L}\\p{N}]+|[${WS}]+(?![^${WS}])|[${WS}]+`,
  "gu",
);

/** byte -> the character GPT-2 writes it as in vocab.json (printable bytes map to themselves). */
export const BYTE_TO_CHAR: string[] = (() => {
  const table: string[] = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  return table;
})();

export const CHAR_TO_BYTE: Map<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF in the text, as HF does (TextDecoder would drop it).
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * UTF-8 bytes of `text` with, per byte, the UTF-16 span [start, end) of the character it
 * belongs to, so a token made of part of a character still points at the whole character.
 */
export function utf8WithSpans(text: string): { bytes: Uint8Array; spanStart: Int32Array; spanEnd: Int32Array } {
  const bytes = encoder.encode(text);
  const spanStart = new Int32Array(bytes.length);
  const spanEnd = new Int32Array(bytes.length);
  let b = 0;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const units = cp > 0xffff ? 2 : 1;
    // Lone surrogates become U+FFFD (3 bytes) in TextEncoder.
    const isLone = cp >= 0xd800 && cp <= 0xdfff;
    const n = isLone ? 3 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < n; k++, b++) {
      spanStart[b] = i;
      spanEnd[b] = i + units;
    }
    i += units;
  }
  return { bytes, spanStart, spanEnd };
}

/** Byte-level characters of a vocabulary token back to text; broken UTF-8 shows as U+FFFD. */
export function byteLevelToText(tokenChars: string): string {
  const bytes: number[] = [];
  for (const ch of tokenChars) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b === undefined) {
      // Not a byte-level character (e.g. an added token outside the table): keep its UTF-8.
      bytes.push(...encoder.encode(ch));
    } else bytes.push(b);
  }
  return decoder.decode(new Uint8Array(bytes));
}
