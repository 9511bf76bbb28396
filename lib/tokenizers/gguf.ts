/**
 * The tokenizer a GGUF file carries in its `tokenizer.ggml.*` metadata, for byte-level BPE
 * (`tokenizer.ggml.model` = "gpt2"): `tokens` (id = index), `merges` ("a b" strings, rank = index),
 * `token_type` (1 normal, 3 control, 4 user-defined, ...), `bos_token_id`, `eos_token_id`,
 * `padding_token_id`, `unknown_token_id`, and `pre`, llama.cpp's name for the pre-tokenizer.
 *
 * It matches HF `tokenizers` built from the same tokens and merges with the pre-tokenizer `pre`
 * names (for "smollm": Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)])
 * and a ByteLevel decoder. transformers' own GGUF tokenizer (4.57) leaves the digit split out: ASCII
 * digits still come out one by one (the merges hold none of them), but numerals such as "½" or "١"
 * and whitespace before a digit tokenize differently (8 of the 175 fixture texts).
 *
 * Control and user-defined tokens are matched whole in the text, as llama.cpp does with special
 * parsing on and HF does with added tokens; control tokens count as special (skipSpecialTokens).
 * Nothing is added around the text: encode(text, { prependBos: true }) puts `bos_token_id` first.
 */
import type { GgufFile, GgufValue } from "../io/gguf";
import { AddedToken, SpecialIds } from "./common";
import { BpeTokenizer } from "./bpe";

/** llama.cpp `tokenizer.ggml.pre` values whose pre-tokenizer this reproduces. */
const PRE: Record<string, { individualDigits: boolean }> = {
  "gpt-2": { individualDigits: false },
  // llama.cpp gives these three the regexes "\p{N}" then GPT-2's: each digit alone, then the GPT-2 split.
  smollm: { individualDigits: true },
  starcoder: { individualDigits: true },
  refact: { individualDigits: true },
};

const CONTROL = 3;
const USER_DEFINED = 4;

function stringArray(v: GgufValue | undefined, key: string): string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) {
    throw new Error(`tokenizerFromGguf: metadata ${key} must be an array of strings; got ${v === undefined ? "nothing" : typeof v}`);
  }
  return v as string[];
}

/**
 * Byte-level BPE tokenizer from a GGUF file's metadata (see the file comment). `opts.bos` replaces
 * the file's bos_token_id (what encode(text, { prependBos: true }) puts first), e.g. for a chat
 * model whose file names the chat-turn token as BOS while documents start with another.
 */
export function tokenizerFromGguf(file: GgufFile, opts: { bos?: number } = {}): BpeTokenizer {
  if (!file || typeof file !== "object" || !file.metadata) throw new Error("tokenizerFromGguf: file must be a GgufFile from openGguf()");
  const md = file.metadata;
  const model = md["tokenizer.ggml.model"];
  if (model === undefined) throw new Error("tokenizerFromGguf: the GGUF file has no tokenizer (no tokenizer.ggml.model metadata)");
  if (model !== "gpt2") {
    throw new Error(`tokenizerFromGguf: tokenizer.ggml.model is ${JSON.stringify(model)}; only "gpt2" (byte-level BPE) is supported`);
  }
  const pre = md["tokenizer.ggml.pre"];
  const preInfo = typeof pre === "string" ? PRE[pre] : undefined;
  if (!preInfo) {
    throw new Error(`tokenizerFromGguf: tokenizer.ggml.pre is ${JSON.stringify(pre ?? null)}; supported pre-tokenizers: ${Object.keys(PRE).join(", ")}`);
  }
  const tokens = stringArray(md["tokenizer.ggml.tokens"], "tokenizer.ggml.tokens");
  const merges = stringArray(md["tokenizer.ggml.merges"], "tokenizer.ggml.merges").map((m, i): [string, string] => {
    const parts = m.split(" ");
    if (parts.length !== 2) throw new Error(`tokenizerFromGguf: merge ${i} must be "a b"; got ${JSON.stringify(m)}`);
    return [parts[0], parts[1]];
  });
  const types = md["tokenizer.ggml.token_type"];
  if (types !== undefined && (!Array.isArray(types) || types.length !== tokens.length)) {
    throw new Error(`tokenizerFromGguf: tokenizer.ggml.token_type must be an array as long as tokenizer.ggml.tokens (${tokens.length})`);
  }
  const vocab = new Map<string, number>();
  const added: AddedToken[] = [];
  tokens.forEach((t, id) => {
    if (!vocab.has(t)) vocab.set(t, id);
    const type = types ? Number((types as GgufValue[])[id]) : 1;
    if (type === CONTROL || type === USER_DEFINED) added.push({ id, content: t, special: type === CONTROL });
  });
  const specialIds: SpecialIds = {};
  const idKeys: [keyof SpecialIds, string][] = [
    ["bos", "bos_token_id"], ["eos", "eos_token_id"], ["pad", "padding_token_id"], ["unk", "unknown_token_id"],
    ["sep", "seperator_token_id"], ["cls", "cls_token_id"], ["mask", "mask_token_id"],
  ];
  for (const [key, field] of idKeys) {
    const v = md[`tokenizer.ggml.${field}`];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v >= tokens.length) {
      throw new Error(`tokenizerFromGguf: tokenizer.ggml.${field} must be a token id below ${tokens.length}; got ${String(v)}`);
    }
    specialIds[key] = v;
  }
  if (opts.bos !== undefined) {
    if (!Number.isInteger(opts.bos) || opts.bos < 0 || opts.bos >= tokens.length) throw new Error(`tokenizerFromGguf: opts.bos must be a token id below ${tokens.length}; got ${String(opts.bos)}`);
    specialIds.bos = opts.bos;
  }
  return new BpeTokenizer({ vocab, merges, added, specialIds, individualDigits: preInfo.individualDigits });
}
