/**
 * Measures every finding models/smollm2-135m/README.md states, on loadModel("smollm2-135m"), and
 * prints each figure (the card quotes only what this prints). Writes the numbers to
 * models/smollm2-135m/measurements.json, which test/lib/smollm2_card.test.ts checks against the
 * model's own output on a few prompts and against the card's text.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/smollm2_card.js [--trace N] [--out FILE]
 *   node dist/scripts/smollm2_card.js --render    (rewrites the card's measured block from the JSON)
 *
 * --trace N: causal-trace the first N facts that are right at top-1 (default all of them).
 * Parts: first-token sinks by layer, facts recalled with each choice of first token, causal
 * tracing averaged by ROME's token classes. (The previous-token and induction heads are checked by
 * test/lib/smollm2.test.ts.)
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { tidyData } from "../lib/backend";
import { headScores } from "../lib/methods/patterns";
import { causalTrace, type CausalTraceResult } from "../lib/methods/tracing";
import { summariseTraces, TOKEN_CLASSES } from "../lib/methods/trace_summary";
import type { TransformerModel } from "../lib/model/types";
import { loadModel, packageRoot } from "../lib/zoo";

export interface Fact { prompt: string; subject: string; answer: string }

/** The first tokens a prompt can start with: nothing, <|endoftext|> (id 0), <|im_start|> (id 1, the GGUF's bos_token_id). */
export const FIRST_TOKENS = [
  { name: "none", text: "" },
  { name: "<|endoftext|>", text: "<|endoftext|>" },
  { name: "<|im_start|>", text: "<|im_start|>" },
] as const;

/**
 * Text for the sink measurement: ordinary English prose of 40-70 tokens each, run once with
 * <|endoftext|> first and once with nothing before it (position 0 is then the word "The"/"In"/...).
 */
export const SINK_TEXTS = [
  "The river runs past the old mill and under the stone bridge before it reaches the town. In the summer children swim near the bank, and in the autumn the water rises and covers the path that leads to the church.",
  "In the morning the market opens early. Farmers bring vegetables, cheese and bread from the villages, and by nine o'clock the square is full of people who have come to buy food for the week and to talk with their neighbours.",
  "Scientists measured the temperature of the lake every day for ten years. They found that the water warmed faster in spring than it had in the past, and that the ice on the surface melted about two weeks earlier.",
  "She opened the letter slowly, because she already knew what it would say. Her brother had decided to sell the house where they had grown up, and he wanted her to come back one last time before the new owners moved in.",
];

export function loadFacts(root = packageRoot()): Fact[] {
  return JSON.parse(fs.readFileSync(path.join(root, "models", "smollm2-135m", "facts.json"), "utf8")).facts;
}

/** Top-1 next token after `text`, its probability, and the probability of `answer`'s first token. */
export function nextToken(model: TransformerModel, text: string, answer: string): { top: string; topId: number; pTop: number; pAnswer: number; answerId: number; right: boolean } {
  const tok = model.tokenizer!;
  const answerId = tok.encode(answer).ids[0];
  const ids = tok.encode(text).ids;
  const probs = tidyData(() => {
    const logits = model.run([ids]);
    return tf.softmax(logits.slice([0, ids.length - 1, 0], [1, 1, -1]).reshape([-1]));
  });
  let topId = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[topId]) topId = i;
  return { top: model.toStrTokens([topId])[0], topId, pTop: probs[topId], pAnswer: probs[answerId], answerId, right: topId === answerId };
}

/** Per layer, how many heads put more than `threshold` of their attention (mean over queries) on position 0. */
export function sinksByLayer(model: TransformerModel, texts: string[], threshold = 0.5): { perLayer: number[]; total: number; sink: Float32Array } {
  const sink = headScores(model, texts, { detectors: [] }).scores.sink;
  const { nLayers: L, nHeads: H } = model.config;
  const perLayer = Array.from({ length: L }, (_, l) => Array.from(sink.slice(l * H, (l + 1) * H)).filter((v) => v > threshold).length);
  return { perLayer, total: perLayer.reduce((a, b) => a + b, 0), sink };
}

/** 3 × the std of the token-embedding values of every subject's tokens (ROME: over its fact set's subjects). */
export function subjectNoise(model: TransformerModel, facts: Fact[]): { noise: number; std: number } {
  const E = model.weights.W_E.dataSync() as Float32Array;
  const d = model.config.dModel;
  let s = 0, s2 = 0, n = 0;
  for (const f of facts) {
    const start = f.prompt.indexOf(f.subject);
    const ids = model.tokenizer!.encode(f.prompt.slice(start, start + f.subject.length)).ids;
    for (const r of ids) for (let i = 0; i < d; i++) { const v = E[r * d + i]; s += v; s2 += v * v; n++; }
  }
  const mean = s / n;
  const std = Math.sqrt(s2 / n - mean * mean);
  return { noise: 3 * std, std };
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const opt = (k: string) => { const i = argv.indexOf(k); return i >= 0 ? argv[i + 1] : undefined; };
  const out = opt("--out") ?? path.join(packageRoot(), "models", "smollm2-135m", "measurements.json");
  const t0 = Date.now();
  const model = await loadModel("smollm2-135m");
  const L = model.config.nLayers;
  const H = model.config.nHeads;
  console.log(`loadModel("smollm2-135m"): ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  // 1. First-token sinks.
  const sinks: Record<string, { perLayer: number[]; total: number }> = {};
  for (const first of ["<|endoftext|>", ""]) {
    const s = sinksByLayer(model, SINK_TEXTS.map((t) => first + t));
    sinks[first || "none"] = { perLayer: s.perLayer, total: s.total };
    const firstLayer = s.perLayer.findIndex((c) => c > 0);
    console.log(`sinks (${first || "no token"} first; ${SINK_TEXTS.length} texts): heads with mean attention > 0.5 on position 0, per layer: ${s.perLayer.join(" ")}; total ${s.total} of ${L * H}; first layer with one: ${firstLayer}`);
  }

  // 2. Facts.
  const facts = loadFacts();
  const recall: Record<string, { right: number; rows: ReturnType<typeof nextToken>[] }> = {};
  for (const first of FIRST_TOKENS) {
    const rows = facts.map((f) => nextToken(model, first.text + f.prompt, f.answer));
    recall[first.name] = { right: rows.filter((r) => r.right).length, rows };
    console.log(`facts right at top-1 with ${first.name} first: ${recall[first.name].right} of ${facts.length}`);
  }
  const eot = recall["<|endoftext|>"].rows;
  console.log("facts with <|endoftext|> first (prompt -> expected | top-1 p):");
  facts.forEach((f, i) => console.log(`  ${eot[i].right ? "+" : "-"} ${f.prompt} -> ${JSON.stringify(f.answer)} | ${JSON.stringify(eot[i].top)} ${eot[i].pTop.toFixed(2)}`));

  // 3. Causal tracing averaged by token class, on the facts recalled at top-1 (ROME traces only known facts).
  const known = facts.filter((_, i) => eot[i].right);
  const nTrace = Number(opt("--trace") ?? known.length);
  const { noise, std } = subjectNoise(model, facts);
  console.log(`causal tracing: noise ν = 3 × ${std.toFixed(5)} = ${noise.toFixed(5)} (std of the token-embedding values of all ${facts.length} subjects), 10 samples, window 10, seed 1; ${Math.min(nTrace, known.length)} of the ${known.length} facts right at top-1`);
  // Known facts in a fixed interleaved order (every third, then the next offset), so that any
  // prefix of the list mixes relations and one- and several-token subjects.
  const order = [0, 1, 2].flatMap((o) => known.filter((_, i) => i % 3 === o)).slice(0, nTrace);
  const traces: CausalTraceResult[] = [];
  const report = (print: boolean) => {
    const sum = summariseTraces(traces);
    const grid = (k: "hidden" | "mlp" | "attn") => Array.from({ length: TOKEN_CLASSES.length }, (_, c) => Array.from(sum.effects[k]!.mean.slice(c * L, (c + 1) * L)).map(r3));
    const summary = { hidden: grid("hidden"), mlp: grid("mlp"), attn: grid("attn") };
    const peaks: Record<string, { value: number; layer: number; cls: string }[]> = {};
    if (print) console.log(`average total effect ${sum.totalEffect.mean.toFixed(3)} ± ${sum.totalEffect.ci.toFixed(3)} over ${sum.prompts} facts`);
    for (const k of ["hidden", "mlp", "attn"] as const) {
      peaks[k] = summary[k].map((row, c) => {
        const layer = row.reduce((b, v, l) => (v > row[b] ? l : b), 0);
        return { cls: TOKEN_CLASSES[c], layer, value: row[layer] };
      });
      if (!print) continue;
      console.log(`${k}: mean indirect effect by token class (peak layer: value | layers 0..${L - 1})`);
      summary[k].forEach((row, c) => console.log(`  ${TOKEN_CLASSES[c].padEnd(24)} peak L${peaks[k][c].layer}: ${peaks[k][c].value.toFixed(3)} | ${row.map((v) => v.toFixed(2)).join(" ")}`));
    }
    const result = {
      command: "npx tsc -p tsconfig.json && node dist/scripts/smollm2_card.js" + (traces.length < known.length ? ` --trace ${traces.length}` : ""),
      sinks,
      facts: facts.map((f, i) => ({ ...f, ...Object.fromEntries(FIRST_TOKENS.map((ft) => [ft.name, { top: recall[ft.name].rows[i].top, pTop: r3(recall[ft.name].rows[i].pTop), pAnswer: r3(recall[ft.name].rows[i].pAnswer), right: recall[ft.name].rows[i].right }])) })),
      recall: Object.fromEntries(FIRST_TOKENS.map((ft) => [ft.name, recall[ft.name].right])),
      tracing: {
        noise: Math.round(noise * 1e5) / 1e5, samples: 10, window: 10, seed: 1,
        prompts: traces.map((t, i) => ({ prompt: order[i].prompt, subject: order[i].subject, tokens: t.tokens.length, subjectRange: t.subjectRange, pClean: r3(t.pClean), pCorrupted: r3(t.pCorrupted) })),
        totalEffect: { mean: r3(sum.totalEffect.mean), ci: r3(sum.totalEffect.ci) }, classes: [...TOKEN_CLASSES], summary, peaks,
      },
    };
    // Written after every trace, so a stopped run keeps the facts traced so far.
    fs.writeFileSync(out, JSON.stringify(result, null, 1) + "\n");
  };
  for (const f of order) {
    const t1 = Date.now();
    const r = await causalTrace(model, "<|endoftext|>" + f.prompt, {
      subject: f.subject, noise, samples: 10, window: 10, seed: 1,
      onProgress: (p) => { if (process.env.CARD_PROGRESS) console.error(`    ${p.done}/${p.total}, eta ${p.etaSeconds?.toFixed(0)} s`); },
    });
    traces.push(r);
    console.log(`  ${f.prompt} (subject ${JSON.stringify(f.subject)}, tokens ${r.subjectRange[0]}..${r.subjectRange[1] - 1} of ${r.tokens.length}): p_clean ${r.pClean.toFixed(3)}, p_corrupted ${r.pCorrupted.toFixed(3)} (${((Date.now() - t1) / 1000).toFixed(0)} s)`);
    report(false);
  }
  report(true);
  console.log(`wrote ${out} (${((Date.now() - t0) / 1000).toFixed(0)} s in all)`);
  model.dispose();
}

const BEGIN = "<!-- measured:begin (scripts/smollm2_card.ts --render) -->";
const END = "<!-- measured:end -->";

/** The card's measured block, from measurements.json alone (`--render` puts it into the README between the markers). */
export function renderCard(m: any): string { // eslint-disable-line @typescript-eslint/no-explicit-any
  const T = m.tracing;
  const L = T.summary.hidden[0].length;
  const lines: string[] = [];
  lines.push(`Command: \`${m.command}\` (writes models/smollm2-135m/measurements.json; \`--render\` rewrites this block from it).`, "");
  lines.push("### First token", "");
  lines.push("| first token | facts right at top-1 |", "|---|---|");
  for (const ft of FIRST_TOKENS) lines.push(`| ${ft.name === "none" ? "nothing" : `\`${ft.name}\``} | ${m.recall[ft.name]} of 32 |`);
  lines.push("");
  lines.push("### First-token sinks", "");
  for (const [k, v] of Object.entries(m.sinks as Record<string, { perLayer: number[]; total: number }>)) {
    lines.push(`- ${k === "none" ? "nothing first (position 0 is the text's first word)" : `\`${k}\` first`}: heads per layer (0–${L - 1}) whose mean attention on position 0 is above 0.5: ${v.perLayer.join(" ")}; ${v.total} of 270 heads.`);
  }
  lines.push("");
  lines.push("### Facts (with `<|endoftext|>` first)", "");
  lines.push("| prompt | top-1 | p |", "|---|---|---|");
  for (const f of m.facts) lines.push(`| ${f.prompt} | ${JSON.stringify(f["<|endoftext|>"].top)} | ${f["<|endoftext|>"].pTop.toFixed(2)} |`);
  lines.push("");
  lines.push("### Causal tracing by token class", "");
  lines.push(`Noise ν = ${T.noise} (3 × the std of the token-embedding values of all 32 subjects), ${T.samples} samples, window ${T.window}, seed ${T.seed}, ${T.prompts.length} facts: ${T.prompts.map((p: { prompt: string; subject: string; pClean: number; pCorrupted: number }) => `“${p.prompt}” (subject “${p.subject}”, p ${p.pClean.toFixed(2)} → ${p.pCorrupted.toFixed(3)} noised)`).join("; ")}. Average total effect ${T.totalEffect.mean.toFixed(3)}${Number.isFinite(T.totalEffect.ci) && T.totalEffect.ci !== null ? ` ± ${T.totalEffect.ci.toFixed(3)}` : ""}. Peak of the mean indirect effect per kind and token class (MLP and attention: window of 10 layers around the layer):`, "");
  lines.push("| kind | token class | peak layer | mean indirect effect |", "|---|---|---|---|");
  for (const k of ["hidden", "mlp", "attn"]) for (const p of T.peaks[k]) lines.push(`| ${k} | ${p.cls} | ${p.layer} | ${p.value.toFixed(3)} |`);
  lines.push("", "Mean indirect effect by layer (0–29; for MLP and attention the window's centre: layer l restores layers max(0, l−5) … min(30, l+5)−1):", "", "```");
  const rows: [string, number][] = [["hidden", 2], ["mlp", 2], ["hidden", 5], ["attn", 5], ["mlp", 5]];
  for (const [k, c] of rows) lines.push(`${(k + ", " + T.classes[c]).padEnd(26)} ${T.summary[k][c].map((v: number) => v.toFixed(2)).join(" ")}`);
  lines.push("```");
  return lines.join("\n");
}

function render(): void {
  const dir = path.join(packageRoot(), "models", "smollm2-135m");
  const m = JSON.parse(fs.readFileSync(path.join(dir, "measurements.json"), "utf8"));
  const file = path.join(dir, "README.md");
  const card = fs.readFileSync(file, "utf8");
  const a = card.indexOf(BEGIN);
  const b = card.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file}: no ${BEGIN} ... ${END} block`);
  fs.writeFileSync(file, card.slice(0, a + BEGIN.length) + "\n" + renderCard(m) + "\n" + card.slice(b));
  console.log(`rendered ${file}`);
}

if (require.main === module) {
  if (process.argv.includes("--render")) {
    render();
    process.exit(0);
  }
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
