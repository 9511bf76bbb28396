/**
 * Builds tokenizers from the files Hugging Face saves: tokenizer.json (preferred, complete
 * description), or the legacy vocab.json + merges.txt (GPT-2) / vocab.txt (BERT), read together
 * with tokenizer_config.json and special_tokens_map.json when present.
 */
import * as fs from "fs";
import * as path from "path";
import { AddedToken, SpecialIds, Template } from "./common";
import { BpeTokenizer } from "./bpe";
import { WordPieceTokenizer } from "./wordpiece";

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

export type AnyTokenizer = BpeTokenizer | WordPieceTokenizer;

/** tokenizer_config.json merged over special_tokens_map.json (either may be absent). */
export type TokenizerConfig = Record<string, Json>;

const SPECIAL_KEYS = { bos: "bos_token", eos: "eos_token", unk: "unk_token", pad: "pad_token", cls: "cls_token", sep: "sep_token", mask: "mask_token" } as const;

function tokenText(v: Json): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof v.content === "string") return v.content;
  return undefined;
}

function specialIdsFrom(config: TokenizerConfig, lookup: (t: string) => number | undefined): SpecialIds {
  const ids: SpecialIds = {};
  for (const [key, field] of Object.entries(SPECIAL_KEYS) as [keyof SpecialIds, string][]) {
    const text = tokenText(config[field]);
    const id = text === undefined ? undefined : lookup(text);
    if (id !== undefined) ids[key] = id;
  }
  return ids;
}

function addedFromConfig(config: TokenizerConfig, lookup: (t: string) => number | undefined, defaults: string[]): AddedToken[] {
  const dec = config.added_tokens_decoder;
  if (dec && typeof dec === "object") {
    return Object.entries(dec).map(([id, t]: [string, Json]) => ({
      id: Number(id), content: String(t.content), special: Boolean(t.special), lstrip: Boolean(t.lstrip), rstrip: Boolean(t.rstrip),
    }));
  }
  const names = new Set<string>(defaults);
  for (const field of Object.values(SPECIAL_KEYS)) {
    const t = tokenText(config[field]);
    if (t) names.add(t);
  }
  const out: AddedToken[] = [];
  for (const content of names) {
    const id = lookup(content);
    if (id !== undefined) out.push({ id, content, special: true });
  }
  return out;
}

function templateFrom(post: Json, lookup: (t: string) => number | undefined, where: string): { template?: Template; trimOffsets?: boolean } {
  if (post == null) return {};
  switch (post.type) {
    case "ByteLevel":
      return { trimOffsets: Boolean(post.trim_offsets) };
    case "BertProcessing":
      return { template: { pre: [post.cls[1]], post: [post.sep[1]] } };
    case "TemplateProcessing": {
      const pre: number[] = [];
      const postIds: number[] = [];
      let seen = false;
      for (const item of post.single as Json[]) {
        if (item.Sequence) seen = true;
        else if (item.SpecialToken) {
          const name = item.SpecialToken.id;
          const ids: number[] = post.special_tokens?.[name]?.ids ?? [lookup(name)];
          if (ids.some((i) => i === undefined)) throw new Error(`${where}: template special token "${name}" is not in the vocabulary`);
          (seen ? postIds : pre).push(...ids);
        }
      }
      return { template: { pre, post: postIds } };
    }
    case "Sequence": {
      let acc: { template?: Template; trimOffsets?: boolean } = {};
      for (const p of post.processors as Json[]) acc = { ...acc, ...templateFrom(p, lookup, where) };
      return acc;
    }
    default:
      throw new Error(`${where}: post_processor type "${post.type}" is not supported (supported: ByteLevel, BertProcessing, TemplateProcessing)`);
  }
}

function parseMerges(merges: Json, where: string): [string, string][] {
  if (!Array.isArray(merges)) throw new Error(`${where}: model.merges must be an array`);
  return merges.map((m: Json, i: number) => {
    if (Array.isArray(m) && m.length === 2) return [String(m[0]), String(m[1])];
    if (typeof m === "string") {
      const parts = m.split(" ");
      if (parts.length === 2) return [parts[0], parts[1]];
    }
    throw new Error(`${where}: merge ${i} must be "a b" or ["a", "b"]; got ${JSON.stringify(m)}`);
  });
}

function vocabMap(obj: Json, where: string): Map<string, number> {
  if (!obj || typeof obj !== "object" || Array.isArray(obj)) throw new Error(`${where}: vocab must be an object of token -> id`);
  const m = new Map<string, number>();
  for (const [k, v] of Object.entries(obj)) {
    if (!Number.isInteger(v)) throw new Error(`${where}: vocab id of "${k}" must be an integer; got ${JSON.stringify(v)}`);
    m.set(k, v as number);
  }
  return m;
}

/**
 * The byte-level BPE pre-tokenizers supported: ByteLevel with the GPT-2 regex (GPT-2), or
 * Sequence[Digits(individual_digits=true), ByteLevel] (SmolLM2, StarCoder).
 */
function byteLevelPreTokenizer(pre: Json, where: string): { addPrefixSpace: boolean; individualDigits: boolean } {
  const unsupported = () =>
    new Error(`${where}: only byte-level BPE is supported, with pre_tokenizer ByteLevel (use_regex) or Sequence[Digits(individual_digits), ByteLevel]; got pre_tokenizer ${JSON.stringify(pre ?? null).slice(0, 200)}`);
  const byteLevel = (p: Json) => p && p.type === "ByteLevel" && p.use_regex !== false;
  if (byteLevel(pre)) return { addPrefixSpace: Boolean(pre.add_prefix_space), individualDigits: false };
  if (pre?.type === "Sequence" && Array.isArray(pre.pretokenizers) && pre.pretokenizers.length === 2) {
    const [digits, bl] = pre.pretokenizers;
    if (digits?.type === "Digits" && digits.individual_digits === true && byteLevel(bl) && !bl.add_prefix_space) {
      return { addPrefixSpace: false, individualDigits: true };
    }
  }
  throw unsupported();
}

/** From the parsed contents of tokenizer.json (and optionally tokenizer_config.json). */
export function tokenizerFromJson(json: Json, config: TokenizerConfig = {}, where = "tokenizer.json"): AnyTokenizer {
  if (!json || typeof json !== "object" || !json.model) throw new Error(`${where}: not a tokenizer.json (no "model" field)`);
  const model = json.model;
  const vocab = vocabMap(model.vocab, where);
  const added: AddedToken[] = (json.added_tokens ?? []).map((t: Json) => ({
    id: t.id, content: t.content, special: Boolean(t.special), lstrip: Boolean(t.lstrip), rstrip: Boolean(t.rstrip),
  }));
  const lookup = (t: string) => vocab.get(t) ?? added.find((a) => a.content === t)?.id;
  const specialIds = specialIdsFrom(config, lookup);
  const post = templateFrom(json.post_processor, lookup, where);
  const cleanUp = typeof config.clean_up_tokenization_spaces === "boolean" ? config.clean_up_tokenization_spaces : undefined;
  if (model.type === "BPE") {
    const pre = byteLevelPreTokenizer(json.pre_tokenizer, where);
    if (json.normalizer) throw new Error(`${where}: a normalizer (${json.normalizer.type}) on a byte-level BPE tokenizer is not supported`);
    if (model.dropout) throw new Error(`${where}: BPE dropout is not supported`);
    const eot = lookup("<|endoftext|>");
    if (eot !== undefined) {
      specialIds.bos ??= eot;
      specialIds.eos ??= eot;
    }
    return new BpeTokenizer({
      vocab, merges: parseMerges(model.merges, where), added, specialIds, addPrefixSpace: pre.addPrefixSpace, individualDigits: pre.individualDigits,
      trimOffsets: post.trimOffsets ?? false, template: post.template, cleanUpSpaces: cleanUp ?? false,
    });
  }
  if (model.type === "WordPiece") {
    const norm = json.normalizer;
    if (norm && norm.type !== "BertNormalizer") throw new Error(`${where}: normalizer type "${norm.type}" is not supported for WordPiece (expected BertNormalizer)`);
    const pre = json.pre_tokenizer;
    if (pre && pre.type !== "BertPreTokenizer") throw new Error(`${where}: pre_tokenizer type "${pre.type}" is not supported for WordPiece (expected BertPreTokenizer)`);
    return new WordPieceTokenizer({
      vocab, added, specialIds, unkToken: model.unk_token, continuingSubwordPrefix: model.continuing_subword_prefix,
      maxInputCharsPerWord: model.max_input_chars_per_word,
      normalizer: norm
        ? { cleanText: norm.clean_text !== false, handleChineseChars: norm.handle_chinese_chars !== false, stripAccents: norm.strip_accents ?? null, lowercase: norm.lowercase !== false }
        : { cleanText: false, handleChineseChars: false, stripAccents: false, lowercase: false },
      template: post.template ?? { pre: [], post: [] },
      cleanUpSpaces: cleanUp ?? false,
      decoderCleanup: json.decoder?.type === "WordPiece" ? json.decoder.cleanup !== false : false,
    });
  }
  throw new Error(`${where}: tokenizer model type "${model.type}" is not supported (supported: BPE, WordPiece)`);
}

/** GPT-2 legacy files: vocab.json contents and merges.txt text. */
export function bpeFromFiles(vocabJson: Json, mergesTxt: string, config: TokenizerConfig = {}, where = "vocab.json"): BpeTokenizer {
  const vocab = vocabMap(vocabJson, where);
  const lines = mergesTxt.split(/\r?\n/).filter((l, i) => l.length > 0 && !(i === 0 && l.startsWith("#version")));
  const merges = parseMerges(lines, "merges.txt");
  const lookup = (t: string) => vocab.get(t);
  const added = addedFromConfig(config, lookup, ["<|endoftext|>"]);
  const specialIds = specialIdsFrom(config, lookup);
  const eot = lookup("<|endoftext|>");
  if (eot !== undefined) {
    specialIds.bos ??= eot;
    specialIds.eos ??= eot;
  }
  return new BpeTokenizer({
    vocab, merges, added, specialIds, addPrefixSpace: Boolean(config.add_prefix_space),
    cleanUpSpaces: config.clean_up_tokenization_spaces === true,
  });
}

/** BERT legacy file: vocab.txt text, one token per line, id = line number. */
export function wordPieceFromFiles(vocabTxt: string, config: TokenizerConfig = {}): WordPieceTokenizer {
  const vocab = new Map<string, number>();
  const lines = vocabTxt.split("\n");
  if (lines.length && lines[lines.length - 1] === "") lines.pop();
  lines.forEach((line, i) => vocab.set(line.replace(/\r$/, ""), i));
  const lookup = (t: string) => vocab.get(t);
  const unk = tokenText(config.unk_token) ?? "[UNK]";
  const added = addedFromConfig(config, lookup, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
  const lower = config.do_lower_case !== false;
  return new WordPieceTokenizer({
    vocab, added, specialIds: specialIdsFrom(config, lookup), unkToken: unk,
    normalizer: {
      cleanText: true, handleChineseChars: config.tokenize_chinese_chars !== false,
      stripAccents: typeof config.strip_accents === "boolean" ? config.strip_accents : null, lowercase: lower,
    },
    cleanUpSpaces: config.clean_up_tokenization_spaces === true,
  });
}

function readJson(file: string): Json {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: malformed JSON (${(e as Error).message})`);
  }
}

/** Reads tokenizer_config.json over special_tokens_map.json from a folder (both optional). */
export function readTokenizerConfig(dir: string): TokenizerConfig {
  const out: TokenizerConfig = {};
  for (const f of ["special_tokens_map.json", "tokenizer_config.json"]) {
    const p = path.join(dir, f);
    if (fs.existsSync(p)) Object.assign(out, readJson(p));
  }
  return out;
}

/** Loads the tokenizer saved in `dir`: tokenizer.json, else vocab.json + merges.txt, else vocab.txt. */
export function loadTokenizer(dir: string): AnyTokenizer {
  if (typeof dir !== "string" || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new Error(`loadTokenizer: dir must be an existing folder; got ${JSON.stringify(dir)}`);
  }
  const config = readTokenizerConfig(dir);
  const tj = path.join(dir, "tokenizer.json");
  if (fs.existsSync(tj)) return tokenizerFromJson(readJson(tj), config, tj);
  const vj = path.join(dir, "vocab.json");
  const mt = path.join(dir, "merges.txt");
  if (fs.existsSync(vj)) {
    if (!fs.existsSync(mt)) throw new Error(`loadTokenizer: ${vj} is there but merges.txt is missing from ${dir}`);
    return bpeFromFiles(readJson(vj), fs.readFileSync(mt, "utf8"), config, vj);
  }
  const vt = path.join(dir, "vocab.txt");
  if (fs.existsSync(vt)) return wordPieceFromFiles(fs.readFileSync(vt, "utf8"), config);
  throw new Error(`loadTokenizer: no tokenizer files in ${dir} (looked for tokenizer.json, vocab.json + merges.txt, vocab.txt)`);
}
