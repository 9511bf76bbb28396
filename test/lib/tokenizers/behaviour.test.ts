/** Options and failure modes of the tokenizers: BOS, special tokens, batches, bad input. */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { encodeBatch, loadTokenizer, tokenizerFromJson } from "../../../lib/tokenizers";

const DIR = path.join(__dirname, "../../fixtures/tokenizers");
const refs = JSON.parse(fs.readFileSync(path.join(DIR, "references.json"), "utf8"));

describe("GPT-2 BPE options", () => {
  const tok = loadTokenizer(path.join(DIR, "gpt2-bpe"));
  const eot = tok.tokenToId("<|endoftext|>")!;

  test("adds no special tokens by default and prepends BOS only when asked", () => {
    const plain = tok.encode("Hello world");
    const withBos = tok.encode("Hello world", { prependBos: true });
    expect(plain.ids[0]).not.toBe(eot);
    expect(withBos.ids).toEqual([eot, ...plain.ids]);
    expect(withBos.offsets[0]).toEqual([0, 0]);
    expect(withBos.tokens[0]).toBe("<|endoftext|>");
    expect(tok.specialIds.bos).toBe(eot);
    expect(tok.specialIds.eos).toBe(eot);
  });

  test("display strings are decoded text and offsets slice the input back", () => {
    const text = "The cat's café 東京 😀";
    const enc = tok.encode(text);
    expect(enc.tokens.join("")).not.toContain("Ġ");
    // Whole characters only: a token made of part of an emoji points at the whole emoji.
    for (const [s, e] of enc.offsets) expect(e).toBeGreaterThan(s);
    let whole = 0;
    enc.tokens.forEach((t, i) => {
      // Tokens holding only part of a character's bytes display as U+FFFD; the rest slice back exactly.
      if (!t.includes("\uFFFD")) {
        expect(text.slice(...enc.offsets[i])).toBe(t);
        whole++;
      }
    });
    expect(whole).toBeGreaterThan(5);
    expect(tok.decode(enc.ids)).toBe(text);
  });

  test("decode rejects ids outside the vocabulary", () => {
    expect(() => tok.decode([0, 1e6])).toThrow(/id 1000000 is not in the vocabulary/);
    expect(() => tok.decode([1.5])).toThrow(/id 1.5/);
  });

  test("encode rejects non-strings", () => {
    expect(() => tok.encode(42 as unknown as string)).toThrow(/text must be a string/);
  });
});

describe("BERT WordPiece options", () => {
  const tok = loadTokenizer(path.join(DIR, "bert-uncased"));

  test("[CLS]/[SEP] around the text, or none when addSpecialTokens is false", () => {
    const on = tok.encode("hello there");
    const off = tok.encode("hello there", { addSpecialTokens: false });
    expect(on.ids).toEqual([tok.specialIds.cls, ...off.ids, tok.specialIds.sep]);
    expect(on.offsets[0]).toEqual([0, 0]);
  });

  test("[MASK] written in the text becomes the mask token", () => {
    const enc = tok.encode("the [MASK] sat", { addSpecialTokens: false });
    expect(enc.ids).toContain(tok.specialIds.mask);
    const i = enc.ids.indexOf(tok.specialIds.mask!);
    expect(enc.offsets[i]).toEqual([4, 10]);
  });

  test("a word over max_input_chars_per_word is one [UNK] spanning the word", () => {
    const enc = tok.encode("a " + "x".repeat(150) + " b", { addSpecialTokens: false });
    expect(enc.ids[1]).toBe(tok.specialIds.unk);
    expect(enc.offsets[1]).toEqual([2, 152]);
  });
});

describe("encodeBatch", () => {
  test("pads like BertTokenizerFast(padding=True) on the MiniLM tokenizer", () => {
    const ref = refs["minilm-batch"];
    const tok = loadTokenizer(refs.minilm.dir);
    const b = encodeBatch(tok, ["Hello world", "A longer sentence, with more tokens."]);
    expect(b.shape).toEqual([2, ref.input_ids[0].length]);
    expect(Array.from(b.ids)).toEqual(ref.input_ids.flat());
    expect(Array.from(b.attentionMask)).toEqual(ref.attention_mask.flat());
    expect(Array.from(b.tokenTypeIds!)).toEqual(ref.token_type_ids.flat());
  });

  test("left padding, padTo and maxLength", () => {
    const tok = loadTokenizer(path.join(DIR, "gpt2-bpe"));
    const short = tok.encode("Hi").ids;
    const b = encodeBatch(tok, ["Hi", "Hello there world"], { paddingSide: "left", padTo: 12 });
    expect(b.shape).toEqual([2, 12]);
    expect(Array.from(b.ids.slice(12 - short.length, 12))).toEqual(short);
    expect(Array.from(b.attentionMask.slice(0, 12 - short.length)).every((m) => m === 0)).toBe(true);
    expect(b.ids[0]).toBe(tok.specialIds.eos); // GPT-2 has no pad token: pads with EOS, as TransformerLens does
    const cut = encodeBatch(tok, ["Hello there world, again and again"], { maxLength: 3 });
    expect(cut.shape).toEqual([1, 3]);
    expect(() => encodeBatch(tok, ["a"], { maxLength: 0 })).toThrow(/maxLength must be a positive integer/);
    expect(() => encodeBatch(tok, "abc" as unknown as string[])).toThrow(/texts must be an array of strings/);
  });
});

describe("loading errors", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-tok-"));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("a folder without tokenizer files says what it looked for", () => {
    expect(() => loadTokenizer(tmp)).toThrow(/no tokenizer files in .*tokenizer\.json, vocab\.json \+ merges\.txt, vocab\.txt/);
    expect(() => loadTokenizer(path.join(tmp, "nope"))).toThrow(/must be an existing folder/);
  });

  test("vocab.json without merges.txt names the missing file", () => {
    const d = path.join(tmp, "bpe");
    fs.mkdirSync(d);
    fs.copyFileSync(path.join(DIR, "gpt2-bpe-files", "vocab.json"), path.join(d, "vocab.json"));
    expect(() => loadTokenizer(d)).toThrow(/merges\.txt is missing/);
  });

  test("malformed tokenizer.json and unsupported models are named", () => {
    const d = path.join(tmp, "bad");
    fs.mkdirSync(d);
    fs.writeFileSync(path.join(d, "tokenizer.json"), "{ not json");
    expect(() => loadTokenizer(d)).toThrow(/tokenizer\.json: malformed JSON/);
    expect(() => tokenizerFromJson({ model: { type: "Unigram", vocab: {} } })).toThrow(/model type "Unigram" is not supported/);
    expect(() => tokenizerFromJson({ model: { type: "BPE", vocab: { a: 0 }, merges: [] }, pre_tokenizer: { type: "Metaspace" } })).toThrow(/only byte-level BPE/);
  });
});
