// Text in the views: sizes, measuring, fitting (ellipsis with the full text as a tooltip,
// wrapping), and token labels (whitespace made visible; a word's sub-tokens merged).
import type * as d3 from "d3";

/** The smallest SVG text size any view draws (px); presentation size scales the drawing by PRESENTATION_SCALE. */
export const MIN_TEXT = 13;

/** Presentation size: every drawing scaled so 13 px text reads as 16 px or more. */
export const PRESENTATION_SCALE = 16 / 13;

/**
 * Width in px of `text` at `px` size: the canvas's measureText in a browser, a per-glyph
 * estimate elsewhere (jsdom, the kernel's static renderer) that errs wide so nothing clips.
 */
export function textWidth(text: string, px: number, doc?: Document, bold = false): number {
  if (doc && canvasAvailable(doc)) {
    const ctx = (measureCanvas ??= doc.createElement("canvas")).getContext("2d");
    if (ctx) {
      ctx.font = `${bold ? "600 " : ""}${px}px system-ui, -apple-system, 'Segoe UI', sans-serif`;
      return ctx.measureText(text).width;
    }
  }
  let em = 0;
  for (const ch of text) em += /[ il.,:;'|!]/.test(ch) ? 0.3 : /[mwMW@%]/.test(ch) ? 0.9 : /[A-Z0-9]/.test(ch) ? 0.68 : ch.charCodeAt(0) > 0x2000 ? 1 : 0.58;
  return em * px * (bold ? 1.08 : 1);
}

let measureCanvas: HTMLCanvasElement | undefined;

/**
 * The widest of `texts` at `px` size (undefined when there are none): textWidth of each,
 * with the canvas's font set once (a 4,096-token axis is 4,096 measurements).
 */
export function widestText(texts: Iterable<string>, px: number, doc?: Document): number | undefined {
  let widest: number | undefined;
  const ctx = doc && canvasAvailable(doc) ? (measureCanvas ??= doc.createElement("canvas")).getContext("2d") : null;
  if (ctx) ctx.font = `${px}px system-ui, -apple-system, 'Segoe UI', sans-serif`;
  for (const t of texts) {
    const w = ctx ? ctx.measureText(t).width : textWidth(t, px);
    if (widest === undefined || w > widest) widest = w;
  }
  return widest;
}

/** `text` shortened with "…" to fit `max` px at `px` size (unchanged when it fits). */
export function ellipsize(text: string, max: number, px: number, doc?: Document): string {
  if (textWidth(text, px, doc) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(text.slice(0, mid) + "…", px, doc) <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, Math.max(1, lo)) + "…";
}

/** Sets an SVG text's content to fit `max` px; when shortened, the full text is its tooltip (<title>). */
export function fitText(t: d3.Selection<SVGTextElement, unknown, null, undefined>, text: string, max: number, px: number): void {
  const doc = t.node()?.ownerDocument;
  const shown = ellipsize(text, max, px, doc);
  t.text(shown);
  if (shown !== text) t.append("title").text(text);
}

/**
 * Tokens as labels: whitespace made visible so "␣the" and "the" are told apart, and other
 * control characters (byte-level tokens can be any byte) shown as their Unicode control
 * pictures, which also keeps the static SVG well-formed XML.
 */
export function showToken(t: string): string {
  return t
    .replace(/ /g, "␣")
    .replace(/\n/g, "↵")
    .replace(/\t/g, "⇥")
    .replace(/[\u0000-\u001f]/g, (c) => String.fromCharCode(0x2400 + c.charCodeAt(0)))
    .replace(/\u007f/g, "␡");
}

const SPECIAL = /^(<[^<>]*>|\[[A-Z]+\])$/;

const ALNUM = /[\p{L}\p{N}]/u;

/** WordPiece (BERT) marks pieces with "##" and words carry no leading space. */
function isWordPiece(tokens: string[]): boolean {
  return tokens.some((t) => t.startsWith("##") || t === "[CLS]" || t === "[SEP]");
}

/**
 * True when token i continues the word of token i − 1: a "##" piece (WordPiece), or in
 * byte-level BPE a piece with no leading space right after a letter or digit.
 */
export function continuesWord(tokens: string[], i: number, wordPiece = isWordPiece(tokens)): boolean {
  if (i === 0) return false;
  const t = tokens[i];
  const prev = tokens[i - 1];
  if (SPECIAL.test(t) || SPECIAL.test(prev) || t.length === 0) return false;
  if (wordPiece) return t.startsWith("##");
  return ALNUM.test(t[0]) && ALNUM.test(prev[prev.length - 1] ?? "");
}

/**
 * Labels students can read: by default a word's sub-tokens are merged, the first piece
 * labelled with the whole word and each later piece with "·piece" ("␣Per" "u" → "␣Peru"
 * "·u"); `raw` gives each token as it is (showToken). Rows and columns stay one per token.
 */
export function tokenLabels(tokens: string[], raw = false): string[] {
  if (raw) return tokens.map(showToken);
  const out = tokens.map(showToken);
  const wp = isWordPiece(tokens);
  for (let i = 0; i < tokens.length; ) {
    let j = i + 1;
    while (j < tokens.length && continuesWord(tokens, j, wp)) j++;
    if (j - i > 1) {
      const piece = (t: string) => (t.startsWith("##") ? t.slice(2) : t);
      out[i] = showToken(tokens[i] + tokens.slice(i + 1, j).map(piece).join(""));
      for (let k = i + 1; k < j; k++) out[k] = `·${showToken(piece(tokens[k]))}`;
    }
    i = j;
  }
  return out;
}

/** True when tokenLabels merges anything (the view then offers its "raw tokens" switch). */
export function hasSubwords(tokens: unknown): boolean {
  if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) return false;
  // The tokenizer's kind once, not per token (4,096 tokens made this 16 M string tests).
  const wp = isWordPiece(tokens);
  return tokens.some((_, i) => continuesWord(tokens, i, wp));
}

/** `text` in at most `maxLines` lines of `max` px (greedy by words); the last line ends in "…" if the rest does not fit. */
export function wrapText(text: string, max: number, px: number, maxLines: number, doc?: Document): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = "";
  for (let i = 0; i < words.length; i++) {
    const next = cur ? `${cur} ${words[i]}` : words[i];
    if (textWidth(next, px, doc) <= max || !cur) {
      cur = next;
      continue;
    }
    lines.push(cur);
    cur = words[i];
    if (lines.length === maxLines - 1) {
      cur = words.slice(i).join(" ");
      break;
    }
  }
  if (cur) lines.push(cur);
  return lines.map((l) => ellipsize(l, max, px, doc));
}

/** True where a 2-D canvas can be drawn (not in jsdom, which has no canvas backend). */
export function canvasAvailable(doc: Document): boolean {
  let yes = canvasIn.get(doc);
  if (yes === undefined) {
    const ua = doc.defaultView?.navigator?.userAgent ?? "";
    canvasIn.set(doc, (yes = !/jsdom/i.test(ua)));
  }
  return yes;
}

const canvasIn = new WeakMap<Document, boolean>();
