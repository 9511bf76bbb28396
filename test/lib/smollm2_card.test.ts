/**
 * models/smollm2-135m/README.md against the model: the card's measured findings come from
 * scripts/smollm2_card.ts, which writes models/smollm2-135m/measurements.json. This test re-measures
 * the key figures on loadModel("smollm2-135m") (sinks by layer; a few facts with each choice of first
 * token; the BOS that prependBos uses) and checks that the card's text states what the JSON holds,
 * so the card, the script's output and the model cannot drift apart.
 */
import * as fs from "fs";
import * as path from "path";
import { FIRST_TOKENS, SINK_TEXTS, loadFacts, nextToken, sinksByLayer } from "../../scripts/smollm2_card";
import type { HookedTransformer } from "../../lib/model/model";
import type { BpeTokenizer } from "../../lib/tokenizers/bpe";
import { loadModel } from "../../lib/zoo";

const DIR = path.join(__dirname, "..", "..", "models", "smollm2-135m");
const M = JSON.parse(fs.readFileSync(path.join(DIR, "measurements.json"), "utf8"));
const CARD = fs.readFileSync(path.join(DIR, "README.md"), "utf8");

let model: HookedTransformer;
beforeAll(async () => {
  model = (await loadModel("smollm2-135m")) as HookedTransformer;
}, 180000);
afterAll(() => model?.dispose());

describe("models/smollm2-135m/README.md (scripts/smollm2_card.ts)", () => {
  test('prependBos puts <|endoftext|> (id 0) first, the first token the card\'s measurements support', () => {
    const tok = model.tokenizer as BpeTokenizer; // encode's prependBos is the tokenizers' option (lib/tokenizers/common.ts)
    expect(tok.specialIds.bos).toBe(0);
    const e = tok.encode("The capital of France is", { prependBos: true });
    expect(e.ids[0]).toBe(0);
    expect(e.tokens[0]).toBe("<|endoftext|>");
    expect(e.ids.slice(1)).toEqual(tok.encode("The capital of France is").ids);
    // The measurements behind the choice: more facts right at top-1 with <|endoftext|> first than with <|im_start|> or nothing.
    expect(M.recall["<|endoftext|>"]).toBeGreaterThan(M.recall["<|im_start|>"]);
    expect(M.recall["<|endoftext|>"]).toBeGreaterThan(M.recall.none);
  });

  test("first-token sinks by layer: the model gives the per-layer counts the card states", () => {
    const s = sinksByLayer(model, SINK_TEXTS.map((t) => "<|endoftext|>" + t));
    expect(s.perLayer).toEqual(M.sinks["<|endoftext|>"].perLayer);
    expect(CARD).toContain(s.perLayer.join(" "));
    expect(CARD).toContain(`${s.total} of 270`);
  }, 180000);

  test("facts: the model's top-1 and its probability, with each first token, are the card's (8 of the 32 facts)", () => {
    const facts = loadFacts();
    // The four the issue quotes, and four where the first token changes the answer.
    const pick = [0, 1, 2, 3, ...M.facts.map((f: Record<string, { right: boolean }>, i: number) => (f["<|endoftext|>"].right !== f["<|im_start|>"].right || f["<|endoftext|>"].right !== f.none.right ? i : -1)).filter((i: number) => i > 3).slice(0, 4)];
    for (const i of pick) {
      for (const ft of FIRST_TOKENS) {
        const got = nextToken(model, ft.text + facts[i].prompt, facts[i].answer);
        const want = M.facts[i][ft.name];
        expect([facts[i].prompt, ft.name, got.top]).toEqual([facts[i].prompt, ft.name, want.top]);
        expect(Math.abs(got.pTop - want.pTop)).toBeLessThan(2e-3);
        expect(got.right).toBe(want.right);
      }
    }
    for (const ft of FIRST_TOKENS) expect(CARD).toContain(`${M.recall[ft.name]} of 32`);
    // Each fact's row in the card's table: prompt, top-1 and probability with <|endoftext|> first.
    M.facts.forEach((f: { prompt: string } & Record<string, { top: string; pTop: number }>) => {
      expect(CARD).toContain(`| ${f.prompt} | ${JSON.stringify(f["<|endoftext|>"].top)} | ${f["<|endoftext|>"].pTop.toFixed(2)} |`);
    });
  }, 300000);

  test("causal tracing: the card states the peaks by token class that the script measured", () => {
    const T = M.tracing;
    expect(CARD).toContain(`${T.prompts.length} facts`);
    for (const k of ["hidden", "mlp", "attn"]) {
      for (const p of T.peaks[k] as { cls: string; layer: number; value: number }[]) {
        expect(CARD).toContain(`| ${k} | ${p.cls} | ${p.layer} | ${p.value.toFixed(3)} |`);
      }
    }
    // The by-layer rows the prose reads from (early site at the last subject token, late site at the last token).
    for (const [k, c] of [["hidden", 2], ["mlp", 2], ["hidden", 5], ["attn", 5], ["mlp", 5]] as [string, number][]) {
      expect(CARD).toContain(`${k}, ${T.classes[c]}`.padEnd(26) + " " + T.summary[k][c].map((v: number) => v.toFixed(2)).join(" "));
    }
  });
});
