/**
 * Every fixture tokenizer must reproduce transformers' fast tokenizers exactly: ids, raw
 * vocabulary strings, offsets (UTF-16), display strings and decode. Fixtures come from
 * scripts/make_tokenizer_fixtures.py (run by scripts/setup.d/61-tokenizer-fixtures.sh).
 */
import * as fs from "fs";
import * as path from "path";
import { loadTokenizer, AnyTokenizer } from "../../../lib/tokenizers";

const DIR = path.join(__dirname, "../../fixtures/tokenizers");
interface Row {
  text: string;
  ids: number[];
  tokens: string[];
  offsets_utf16: [number, number][];
  token_type_ids: number[] | null;
  decoded: string;
  piece_text: string[];
}
const refs: Record<string, { addSpecialTokens: boolean; dir?: string; rows: Row[] }> = JSON.parse(
  fs.readFileSync(path.join(DIR, "references.json"), "utf8"),
);

const cases: [string, string, string][] = [
  ["gpt2-bpe", "gpt2-bpe", "tokenizer.json"],
  ["gpt2-bpe", "gpt2-bpe-files", "vocab.json + merges.txt"],
  ["gpt2-bpe-prefix", "gpt2-bpe-prefix", "tokenizer.json, add_prefix_space"],
  ["bert-uncased", "bert-uncased", "tokenizer.json"],
  ["bert-uncased", "bert-uncased-files", "vocab.txt"],
  ["bert-uncased-nospecial", "bert-uncased", "no special tokens"],
  ["bert-cased", "bert-cased", "tokenizer.json"],
  ["bert-cased", "bert-cased-files", "vocab.txt"],
  ["bert-cased-nospecial", "bert-cased-files", "no special tokens"],
  ["minilm", "", "all-MiniLM-L6-v2 tokenizer.json (real 30522-token vocab)"],
];

function show(s: string): string {
  return JSON.stringify(s);
}

describe.each(cases)("%s from %s (%s)", (refName, folder) => {
  const ref = refs[refName];
  let tok: AnyTokenizer;
  beforeAll(() => {
    expect(ref).toBeDefined();
    tok = loadTokenizer(folder ? path.join(DIR, folder) : ref.dir!);
  });

  test("ids, raw tokens, offsets and token types match transformers for every text", () => {
    const mismatches: string[] = [];
    for (const row of ref.rows) {
      const enc = tok.encode(row.text, { addSpecialTokens: ref.addSpecialTokens });
      const raw = enc.ids.map((id) => tok.idToToken(id));
      const same =
        JSON.stringify(enc.ids) === JSON.stringify(row.ids) &&
        JSON.stringify(raw) === JSON.stringify(row.tokens) &&
        JSON.stringify(enc.offsets) === JSON.stringify(row.offsets_utf16) &&
        (!row.token_type_ids || JSON.stringify(enc.typeIds) === JSON.stringify(row.token_type_ids));
      if (!same) {
        mismatches.push(`${show(row.text)}\n  got  ${JSON.stringify(raw)} ${JSON.stringify(enc.offsets)}\n  want ${JSON.stringify(row.tokens)} ${JSON.stringify(row.offsets_utf16)}`);
      }
    }
    expect(mismatches.slice(0, 5).join("\n")).toBe("");
    expect(ref.rows.length).toBeGreaterThanOrEqual(30);
  });

  test("display strings and decode match transformers' decode", () => {
    const bad: string[] = [];
    for (const row of ref.rows) {
      const enc = tok.encode(row.text, { addSpecialTokens: ref.addSpecialTokens });
      // BPE shows decoded text (" the"); WordPiece shows vocabulary strings ("##ing"), as BertViz does.
      const wantDisplay = tok.kind === "bpe" ? row.piece_text : row.tokens;
      if (JSON.stringify(enc.tokens) !== JSON.stringify(wantDisplay)) bad.push(`display ${show(row.text)}: ${JSON.stringify(enc.tokens)}`);
      const dec = tok.decode(row.ids);
      if (dec !== row.decoded) bad.push(`decode ${show(row.text)}: got ${show(dec)} want ${show(row.decoded)}`);
    }
    expect(bad.slice(0, 5).join("\n")).toBe("");
  });
});
