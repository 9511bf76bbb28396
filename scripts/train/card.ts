/**
 * Renders the measured part of a model card (models/NAME/README.md) from measurements.json and
 * training.json, between the markers below; the prose around them is written by hand.
 *
 *   node dist/scripts/train/card.js models/attn-only-2l
 */
import * as fs from "fs";
import * as path from "path";

const BEGIN = "<!-- measured:begin (scripts/train/card.ts) -->";
const END = "<!-- measured:end -->";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const f = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

function gridTable(grid: number[][], label: string): string {
  const H = grid[0].length;
  return table([label, ...Array.from({ length: H }, (_, h) => `head ${h}`)], grid.map((row, l) => [`layer ${l}`, ...row.map((v) => f(v))]));
}

function training(t: Json): string {
  const ev = (t.evals ?? []).map((e: Json) => `${e.step}: ${f(e.validLoss)}`).join(", ");
  return [
    `Trained with \`${t.command}\` (seed ${t.seed}, ${t.steps} steps, batch ${t.batch?.join("×")}, ${t.workers} worker thread${t.workers === 1 ? "" : "s"}, ${Math.round(t.seconds / 60)} min on the shared 2-core machine).`,
    `Final training loss ${f(t.finalLoss)}; held-out loss by step: ${ev}.`,
  ].join(" ");
}

export function attnOnlySection(m: Json, t: Json): string {
  const L = m.loss;
  return [
    training(t),
    "",
    `Measured by \`node dist/scripts/train/measure-attn-only.js models/attn-only-2l\` on ${m.setup.rows} rows of <|endoftext|> + ${m.setup.seqLen} uniformly random token ids + the same ${m.setup.seqLen} again (seed ${m.setup.seed}, attnlab's \`repeatedRandomTokens\`), detect_head "mul" scores via \`headScores\`:`,
    "",
    "Previous-token scores:",
    "",
    gridTable(m.previousToken, "previous-token"),
    "",
    "Induction scores (detect_head \"mul\" = Σ(A⊙P)/ΣA over all query rows; only the 50 repeat rows of 101 have a target, so the ceiling is 50/101 ≈ 0.495):",
    "",
    gridTable(m.induction, "induction"),
    "",
    "Prefix matching (Olsson et al. 2022; attnlab `inductionScores`): mean attention from each repeat token to the token after its first occurrence (ceiling 1):",
    "",
    gridTable(m.prefixMatching, "prefix matching"),
    "",
    "Copying (attnlab `inductionScores`: mean z-score of the attended token's direct logit through the head's OV circuit):",
    "",
    gridTable(m.copying, "copying"),
    "",
    `Best previous-token head: ${m.bestPrev.layer}.${m.bestPrev.head} (${f(m.bestPrev.score)}). Best induction head: ${m.bestInduction.layer}.${m.bestInduction.head} (detect_head ${f(m.bestInduction.score)}, prefix matching ${f(m.prefixMatching[m.bestInduction.layer][m.bestInduction.head])}).`,
    `K-composition of each layer-0 head into head ${m.bestInduction.layer}.${m.bestInduction.head}: ${m.kComposition.map((v: number, h: number) => `0.${h}: ${f(v)}`).join(", ")}.`,
    "",
    table(
      ["mean next-token loss (nats)", "first block", "repeat"],
      [
        ["clean", f(L.firstBlock), f(L.repeat)],
        [`head ${m.bestInduction.layer}.${m.bestInduction.head} zero-ablated (hook_z)`, f(L.firstBlockAblated), f(L.repeatAblated)],
        ["change", f(L.firstBlockAblated - L.firstBlock), f(L.repeatAblated - L.repeat)],
      ],
    ),
  ].join("\n");
}

export function lmSection(name: string, m: Json, t: Json): string {
  const out = [training(t), ""];
  const v = m.validation;
  out.push(`Measured by \`node dist/scripts/train/measure-lm.js models/${name}\`.`, "");
  if (v.perplexity !== undefined) out.push(`**Validation** (Brown documents held out by file, ${v.tokens} tokens in <|endoftext|> + 127-token windows): loss ${f(v.loss)} nats, perplexity ${f(v.perplexity, 1)} (uniform over the vocabulary would be 4096).`, "");
  else out.push(`**Masked-token accuracy** (validation documents, masked as in training, ${v.positions} scored positions): top-1 ${f(v.accuracy)} over all chosen positions, ${f(v.maskedOnly)} on the positions replaced by [MASK].`, "");
  const hs = m.headScores;
  out.push(`**Head scores** (attnlab \`headScores\`, mean over ${hs.sentences} validation sentences):`, "");
  for (const k of ["previous_token", "sink", "self", "duplicate_token"]) if (hs[k]) out.push(`${k}:`, "", gridTable(hs[k], k), "");
  out.push(`Best heads: ${Object.entries(m.bestHeads).map(([k, b]: [string, any]) => `${k} ${b.layer}.${b.head} (${f(b.score)})`).join("; ")}.`, ""); // eslint-disable-line @typescript-eslint/no-explicit-any
  out.push(
    "**Syntactic score** (mean attention from a dependent word's token to its head word's token; pairs derived from the universal POS tags, see below). The positional baseline is the same head's mean attention at the same token offset from every word of the sentence, so a head that only looks a fixed distance away scores at its baseline. The head most above its baseline is chosen on every other sentence and measured on the rest (lift = score − baseline, ± 95% interval over those sentences):",
    "",
  );
  out.push(
    table(
      ["relation", "sentences", "pairs", "best head (score, all sentences)", "head most above its baseline", "its score", "its baseline", "lift", "mean over all heads"],
      Object.entries(m.syntactic).map(([k, s]: [string, any]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const a = s.bestAboveBaseline;
        return [k, s.sentences, s.pairs, `${s.best.layer}.${s.best.head} (${f(s.best.score)})`, `${a.layer}.${a.head}`, f(a.score), f(a.baseline), `${f(a.lift)} ± ${f(a.ci95)}`, f(s.meanOverHeads)];
      }),
    ),
    "",
  );
  const p = m.posProbe;
  const rows: (string | number)[][] = [];
  p.accuracy.forEach((a: Json, si: number) =>
    a.values.forEach((acc: number, l: number) => rows.push([`${a.site} ${l}`, f(acc), `[${f(p.ciLow[si].values[l])}, ${f(p.ciHigh[si].values[l])}]`, f(p.controlAccuracy[si].values[l]), f(p.selectivity[si].values[l])])),
  );
  out.push(
    `**POS probes** (12 universal tags; linear probes by attnlab \`probe\`, ${p.sentences} validation sentences split ${p.counts.sentences.join("/")} into train/val/test, ${p.counts.test} test words, ${p.settings.subword} sub-word token per word; control task of Hewitt & Liang). Majority-tag baseline on the test words: ${f(p.majorityBaseline)}.`,
    "",
    table(["site", "accuracy", "95% CI", "control accuracy", "selectivity"], rows),
  );
  return out.join("\n");
}

export function factsSection(m: Json, t: Json): string {
  const r = m.recall;
  const pct = (x: Json) => `${x.recalled}/${x.n} (${(100 * x.rate).toFixed(1)}%)`;
  const out = [
    training(t),
    "",
    `Measured by \`node dist/scripts/train/measure-facts.js models/facts-gpt\`.`,
    "",
    table(
      ["top-1 recall (greedy, whole object)", "recalled"],
      [
        ["trained (fact, template) pairs", pct(r.trained)],
        ["held-out template (25 facts never seen in that paraphrase)", pct(r.heldOutTemplate)],
        ["the same 25 facts in their trained templates", pct(r.sameFactsTrainedTemplates)],
        ...Object.entries(r.byRelation).map(([k, v]) => [`trained, ${k}`, pct(v as Json)]),
      ],
    ),
    "",
  ];
  const ct = m.causalTracing;
  out.push(
    `Causal tracing over ${ct.prompts.length} recalled facts (template 0, subjects of ≥ 2 tokens): average total effect ${f(ct.averageTotalEffect.mean)} ± ${f(ct.averageTotalEffect.ci95)}. Average indirect effect (p_restored − p_corrupted, ± 95% interval) by token class and layer:`,
    "",
  );
  for (const kind of ["hidden", "mlp", "attn"]) {
    const g = ct.averageIndirectEffect[kind];
    const L = g["last"].length;
    out.push(
      `${kind === "hidden" ? "Hidden states (block output)" : kind === "mlp" ? "MLP output" : "Attention output"}:`,
      "",
      table(["token class", ...Array.from({ length: L }, (_, l) => `layer ${l}`)], Object.entries(g).map(([c, cells]) => [c, ...(cells as Json[]).map((x) => (x.n ? `${f(x.mean)} ± ${f(x.ci95)}` : "–"))])),
      "",
    );
  }
  return out.join("\n");
}

function main(): void {
  const dir = path.resolve(process.argv[2]);
  const name = path.basename(dir);
  const m = JSON.parse(fs.readFileSync(path.join(dir, "measurements.json"), "utf8"));
  const t = JSON.parse(fs.readFileSync(path.join(dir, "training.json"), "utf8"));
  const section = name === "attn-only-2l" ? attnOnlySection(m, t) : name === "facts-gpt" ? factsSection(m, t) : lmSection(name, m, t);
  const file = path.join(dir, "README.md");
  const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `# ${name}\n\n${BEGIN}\n${END}\n`;
  if (!old.includes(BEGIN) || !old.includes(END)) throw new Error(`${file} lacks the ${BEGIN} ... ${END} markers`);
  const next = old.slice(0, old.indexOf(BEGIN) + BEGIN.length) + "\n" + section + "\n" + old.slice(old.indexOf(END));
  fs.writeFileSync(file, next);
  console.log(`wrote the measured section of ${file}`);
}

if (require.main === module) main();
