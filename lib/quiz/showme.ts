/**
 * Show-me checks: the student names something ("1.4" for layer 1, head 4) and the kernel
 * tests the claim with an intervention instead of comparing it with an answer key.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName } from "../hooks/names";
import { repeatedRandomTokens } from "../methods/induction";
import { tokenLosses } from "../methods/metrics";
import type { CheckResult } from "./check";
import { tidyData } from "../backend";

export interface HeadRef {
  layer: number;
  head: number;
}

/** "1.4", "1,4", "L1H4", "l1 h4", "layer 1 head 4" -> {layer: 1, head: 4}; null when unreadable. */
export function parseHead(text: string): HeadRef | null {
  const t = text.trim().toLowerCase();
  const m =
    /^(\d+)\s*[.,:/ ]\s*(\d+)$/.exec(t) ??
    /^l\s*(\d+)\s*[.,]?\s*h\s*(\d+)$/.exec(t) ??
    /^layer\s*(\d+)\s*[,.]?\s*head\s*(\d+)$/.exec(t);
  return m ? { layer: Number(m[1]), head: Number(m[2]) } : null;
}

/** Parses and range-checks a head name against the model; the error says the expected format. */
export function headOf(model: TransformerModel, text: string): HeadRef | string {
  const ref = parseHead(text);
  const { nLayers: L, nHeads: H } = model.config;
  if (!ref) return `Write the head as "layer.head", e.g. "0.3"; got "${text}".`;
  if (ref.layer >= L) return `This model has layers 0 to ${L - 1}; got layer ${ref.layer}.`;
  if (ref.head >= H) return `This model has heads 0 to ${H - 1} in each layer; got head ${ref.head}.`;
  return ref;
}

export interface HeadAblationOptions {
  /** Length of the random block that is repeated (default 20, or what the context allows). */
  seqLen?: number;
  batch?: number;
  seed?: number;
  /** Token put first in every row (e.g. the BOS id). */
  bos?: number;
  /** "zero" sets the head's output (hook_z) to 0; "mean" to its mean over batch and positions. */
  mode?: "zero" | "mean";
  /** Random ids are drawn from [lo, hi) (default the whole vocabulary), e.g. [100, V) to skip control and byte tokens. */
  range?: [number, number];
  /**
   * Ablate these groups of heads (each group at once, e.g. [["17.3", "17.4", "17.5"], ["18.6"]])
   * instead of every head alone; `ablated` then has one entry per group. A large model's grid of
   * every head costs layers × heads forward rows; a few groups cost a few.
   */
  groups?: (string | HeadRef)[][];
}

export interface HeadAblationResult {
  /** Mean loss on the repeated half(s), no head ablated. */
  base: number;
  /** [layer * nHeads + head]: the same loss with that head ablated (with `groups`: [group], that group ablated). */
  ablated: Float32Array;
  /** The groups as given, as head refs (null when every head was ablated alone). */
  groups: HeadRef[][] | null;
  /** Mean loss on the first, random block (nothing ablated), and per position [pos − 1]. */
  lossFirstBlock: number;
  lossByPosition: Float32Array;
  /** [layer * nHeads + head], clean rows: mean attention from each repeat token to the token after its earlier occurrence. */
  prefixMatching: Float32Array;
  /** [layer * nHeads + head], clean rows: mean attention from each token to the one before it. */
  previousToken: Float32Array;
  shape: [number, number];
  settings: Required<Omit<HeadAblationOptions, "bos" | "range" | "groups">> & { bos: number | null; range: [number, number] };
}

/**
 * In-context loss on repeated random tokens with each head ablated in turn. The variants
 * are stacked along the batch axis: one forward pass of (1 + layers × heads) × batch rows.
 */
export function headAblationLosses(model: TransformerModel, opts: HeadAblationOptions = {}): HeadAblationResult {
  const fn = "headAblationLosses";
  const { nLayers: L, nHeads: H, nCtx } = model.config;
  const bos = opts.bos;
  const seqLen = opts.seqLen ?? Math.min(20, Math.floor((nCtx - (bos === undefined ? 0 : 1)) / 2));
  const batch = opts.batch ?? 4;
  const seed = opts.seed ?? 0;
  const mode = opts.mode ?? "zero";
  if (mode !== "zero" && mode !== "mean") throw new Error(`${fn}: mode must be "zero" or "mean"; got ${JSON.stringify(mode)}`);
  const rep = repeatedRandomTokens(model.config.dVocab, { seqLen, batch, seed, bos, range: opts.range });
  const n = rep.ids[0].length;
  if (n > nCtx) throw new Error(`${fn}: ${n} tokens exceed the model's context of ${nCtx}; lower seqLen`);
  let groups: HeadRef[][] | null = null;
  if (opts.groups !== undefined) {
    // An empty list is allowed: the clean run only (loss, patterns), no ablation.
    if (!Array.isArray(opts.groups)) throw new Error(`${fn}: groups must be a list of head lists, e.g. [["17.3", "17.4"]]; got ${JSON.stringify(opts.groups)}`);
    groups = opts.groups.map((g) => {
      if (!Array.isArray(g) || g.length === 0) throw new Error(`${fn}: each group must be a non-empty list of heads ("layer.head"); got ${JSON.stringify(g)}`);
      return g.map((x) => {
        const r = typeof x === "string" ? headOf(model, x) : x && Number.isInteger(x.layer) && Number.isInteger(x.head) && x.layer >= 0 && x.layer < L && x.head >= 0 && x.head < H ? x : `a head must be "layer.head" or {layer, head} within ${L} layers × ${H} heads; got ${JSON.stringify(x)}`;
        if (typeof r === "string") throw new Error(`${fn}: groups: ${r}`);
        return r;
      });
    });
  }
  // Variant 0 is the clean run; variant 1 + k drops the heads of group k (or head k alone).
  const drops: HeadRef[][] = groups ?? Array.from({ length: L * H }, (_, k) => [{ layer: Math.floor(k / H), head: k % H }]);
  const variants = 1 + drops.length;
  const rows: number[][] = [];
  for (let v = 0; v < variants; v++) rows.push(...rep.ids);
  const hooks: Hook[] = [];
  for (let l = 0; l < L; l++) {
    if (!drops.some((g) => g.some((r) => r.layer === l))) continue;
    hooks.push({
      name: actName("z", l),
      fn: (z: tf.Tensor) =>
        tf.tidy(() => {
          // z: [rows, pos, head, e]; the rows of variant 1 + k lose the heads of drops[k] in this layer.
          const keep = new Float32Array(variants * batch * H).fill(1);
          drops.forEach((g, k) => {
            for (const r of g) if (r.layer === l) for (let b = 0; b < batch; b++) keep[((1 + k) * batch + b) * H + r.head] = 0;
          });
          const mask = tf.tensor(keep, [variants * batch, 1, H, 1]);
          if (mode === "zero") return z.mul(mask);
          const mean = z.slice([0, 0, 0, 0], [batch, -1, -1, -1]).mean([0, 1], true); // [1, 1, H, e] from the clean rows
          return z.mul(mask).add(mean.mul(tf.scalar(1).sub(mask)));
        }),
    });
  }
  const { logits, cache } = model.runWithHooks(rows, hooks, { names: Array.from({ length: L }, (_, l) => actName("pattern", l)) });
  let loss: Float32Array;
  const prefixMatching = new Float32Array(L * H);
  const previousToken = new Float32Array(L * H);
  try {
    loss = tokenLosses(logits, rows.flat()).data; // [rows, n − 1]
    const start = rep.offset + seqLen;
    for (let l = 0; l < L; l++) {
      const pat = cache!.get(actName("pattern", l)).slice([0, 0, 0, 0], [batch, -1, -1, -1]); // clean rows [batch, H, n, n]
      const p = pat.dataSync();
      pat.dispose();
      for (let h = 0; h < H; h++) {
        let pm = 0;
        let pt = 0;
        for (let b = 0; b < batch; b++) {
          const at = (i: number, j: number) => p[((b * H + h) * n + i) * n + j];
          for (let i = start; i < n; i++) pm += at(i, i - seqLen + 1);
          for (let i = 1; i < n; i++) pt += at(i, i - 1);
        }
        prefixMatching[l * H + h] = pm / (batch * (n - start));
        previousToken[l * H + h] = pt / (batch * (n - 1));
      }
    }
  } finally {
    logits.dispose();
    cache?.dispose();
  }
  // Position t predicts token t + 1; the repeats start at offset + seqLen.
  const first = rep.offset + seqLen - 1;
  const perVariant = new Float32Array(variants);
  for (let v = 0; v < variants; v++) {
    let s = 0;
    for (let b = 0; b < batch; b++) for (let t = first; t < n - 1; t++) s += loss[(v * batch + b) * (n - 1) + t];
    perVariant[v] = s / (batch * (n - 1 - first));
  }
  const lossByPosition = new Float32Array(n - 1);
  for (let b = 0; b < batch; b++) for (let t = 0; t < n - 1; t++) lossByPosition[t] += loss[b * (n - 1) + t] / batch;
  // Position t predicts token t + 1: the first block's predictions are t + 1 in (offset, offset + seqLen).
  let lossFirstBlock = 0;
  for (let t = 0; t < first; t++) lossFirstBlock += lossByPosition[t] / Math.max(1, first);
  const range = rep.settings.range;
  return {
    base: perVariant[0], ablated: perVariant.slice(1), groups, lossFirstBlock, lossByPosition, prefixMatching, previousToken, shape: [L, H],
    settings: { seqLen, batch, seed, mode, bos: bos ?? null, range },
  };
}

export interface HeadClaimOptions extends HeadAblationOptions {
  /** Which pattern the named head must show (default "induction"). */
  role?: "induction" | "previous-token";
  /** The pattern score the head must reach (default 0.3). */
  minPattern?: number;
  /** Its loss increase must be at least this fraction of the largest among all heads (default 0.3)... */
  fraction?: number;
  /** ...and at least this many nats (default 0.1). */
  minIncrease?: number;
  /**
   * "all-heads" (default): ablate every head once and ask for a good share of the largest rise.
   * "alone": ablate only the named head (two forward rows per answer instead of layers × heads),
   * and ask for `minIncrease` nats; for a large model, where the grid of every head is too slow.
   */
  compare?: "all-heads" | "alone";
}

const f3 = (x: number) => (Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(2) : x.toFixed(3));

/**
 * A show-me check for "which head is the induction (or previous-token) head?". The pattern
 * is the hypothesis: the named head must attend the way the role says on repeated random
 * tokens. Ablation is the evidence: removing it must raise the in-context loss by a good
 * share of the largest rise any head causes. The model decides, not an answer key.
 * The grid (every head ablated once) is computed on the first answer and reused.
 */
export function headRoleCheck(model: TransformerModel, opts: HeadClaimOptions = {}): (answer: string) => CheckResult {
  const role = opts.role ?? "induction";
  if (role !== "induction" && role !== "previous-token") throw new Error(`headRoleCheck: role must be "induction" or "previous-token"; got ${JSON.stringify(role)}`);
  const minPattern = opts.minPattern ?? 0.3;
  const fraction = opts.fraction ?? 0.3;
  const minIncrease = opts.minIncrease ?? 0.1;
  const compare = opts.compare ?? "all-heads";
  if (compare !== "all-heads" && compare !== "alone") throw new Error(`headRoleCheck: compare must be "all-heads" or "alone"; got ${JSON.stringify(compare)}`);
  let grid: HeadAblationResult | undefined;
  const alone = new Map<string, HeadAblationResult>();
  return (answer: string) => {
    const ref = headOf(model, answer);
    if (typeof ref === "string") return { correct: false, invalid: true, message: ref };
    const name = `${ref.layer}.${ref.head}`;
    const { nHeads: H } = model.config;
    const k = ref.layer * H + ref.head;
    let g: HeadAblationResult;
    let mine: number;
    let rankText: string | null = null;
    let needed: boolean;
    if (compare === "alone") {
      if (!alone.has(name)) alone.set(name, headAblationLosses(model, { ...opts, groups: [[ref]] }));
      g = alone.get(name)!;
      mine = g.ablated[0] - g.base;
      needed = mine >= minIncrease;
    } else {
      grid ??= headAblationLosses(model, { ...opts, groups: undefined });
      g = grid;
      const rise = Array.from(g.ablated, (x) => x - g.base);
      mine = rise[k];
      const maxRise = Math.max(...rise);
      rankText = `${1 + rise.filter((x) => x > mine).length} of ${rise.length}`;
      needed = mine >= minIncrease && mine >= fraction * maxRise;
    }
    const scores = role === "induction" ? g.prefixMatching : g.previousToken;
    const what = role === "induction" ? "attention to the token after the earlier occurrence (induction stripe)" : "attention to the previous token";
    const patternOk = scores[k] >= minPattern;
    const s = g.settings;
    const details = [
      { label: `pattern: mean ${what}`, value: f3(scores[k]) },
      { label: "in-context loss, nothing ablated (nats)", value: f3(g.base) },
      { label: `in-context loss, head ${name} ablated (nats)`, value: f3(g.base + mine) },
      { label: "loss change (nats)", value: f3(mine) },
      rankText !== null
        ? { label: "rank of that change among all heads", value: rankText }
        : { label: "criterion", value: `pattern ≥ ${minPattern} and loss change ≥ ${minIncrease} nats` },
      { label: "setting", value: `${s.mode}-ablation of hook_z; ${s.batch} rows of ${s.seqLen} random tokens repeated twice, seed ${s.seed}` },
    ];
    const rankNote = rankText !== null ? ` (rank ${rankText})` : "";
    let message: string;
    if (patternOk && needed) {
      message = `Yes: ${name} shows the ${role} pattern (${f3(scores[k])}) and ablating it raises the loss on the repeated tokens by ${f3(mine)} nats${rankNote}. Pattern and intervention agree.`;
    } else if (!patternOk && needed) {
      message = `The model needs ${name} (ablating it raises the in-context loss by ${f3(mine)} nats), but its pattern is not the ${role} pattern (score ${f3(scores[k])}): it plays another part in the circuit.`;
    } else if (patternOk) {
      message = `${name} has the ${role} pattern (${f3(scores[k])}), but ablating it changes the in-context loss by only ${f3(mine)} nats: a pattern alone is a hypothesis, and this one does not carry the behaviour${compare === "alone" ? " by itself (other heads may do the same job: ablate them together to see)" : ""}.`;
    } else {
      message = `${name} neither shows the ${role} pattern (score ${f3(scores[k])}) nor matters when ablated (${f3(mine)} nats). Look at the head-score grid and try again.`;
    }
    return { correct: patternOk && needed, message, details };
  };
}

export interface TokenAblationResult {
  tokens: string[];
  /** The token whose probability is measured at the last position (default: the model's top prediction). */
  answer: { id: number; token: string; prob: number };
  /** [pos]: p(answer) at the last position with that position's token embedding ablated. */
  ablatedProb: Float32Array;
  settings: { mode: "zero" | "mean" };
}

/**
 * Each input token removed in turn (its token embedding, hook_embed, set to zero or to the
 * mean embedding; its position embedding stays) and p(answer) at the last position measured.
 * One forward pass of 1 + pos rows.
 */
export function tokenAblation(model: TransformerModel, input: string | number[], opts: { answer?: number; mode?: "zero" | "mean" } = {}): TokenAblationResult {
  const fn = "tokenAblation";
  const mode = opts.mode ?? "zero";
  if (mode !== "zero" && mode !== "mean") throw new Error(`${fn}: mode must be "zero" or "mean"; got ${JSON.stringify(mode)}`);
  const ids = Array.from(model.toTokens(input as string).ids);
  const P = ids.length;
  if (P < 2) throw new Error(`${fn}: input needs at least 2 tokens; got ${P}`);
  const V = model.config.dVocab;
  if (opts.answer !== undefined && !(Number.isInteger(opts.answer) && opts.answer >= 0 && opts.answer < V)) {
    throw new Error(`${fn}: answer must be a token id in [0, ${V - 1}]; got ${opts.answer}`);
  }
  const rows = Array.from({ length: P + 1 }, () => ids);
  const hook: Hook = {
    name: "hook_embed",
    fn: (e: tf.Tensor) =>
      tf.tidy(() => {
        // e: [P + 1, P, d]; row t + 1 loses the token embedding at position t.
        const keep = new Float32Array((P + 1) * P).fill(1);
        for (let t = 0; t < P; t++) keep[(t + 1) * P + t] = 0;
        const mask = tf.tensor(keep, [P + 1, P, 1]);
        if (mode === "zero") return e.mul(mask);
        const mean = model.weights.W_E.mean(0).reshape([1, 1, -1]);
        return e.mul(mask).add(mean.mul(tf.scalar(1).sub(mask)));
      }),
  };
  const { logits } = model.runWithHooks(rows, [hook]);
  // [P + 1, V] row-major: row 0 the unablated run, row t + 1 the run with position t ablated.
  const probs = tidyData(() => tf.softmax(logits.slice([0, P - 1, 0], [-1, 1, -1]).reshape([P + 1, V])));
  logits.dispose();
  let answer = opts.answer ?? 0;
  if (opts.answer === undefined) for (let i = 1; i < V; i++) if (probs[i] > probs[answer]) answer = i;
  let tokens: string[];
  try {
    tokens = model.toStrTokens(ids);
  } catch {
    tokens = ids.map(String);
  }
  let answerToken: string;
  try {
    answerToken = model.toStrTokens([answer])[0];
  } catch {
    answerToken = String(answer);
  }
  return {
    tokens,
    answer: { id: answer, token: answerToken, prob: probs[answer] },
    ablatedProb: Float32Array.from({ length: P }, (_, t) => probs[(t + 1) * V + answer]),
    settings: { mode },
  };
}

/** A position from the student's answer: an index (negative counts from the end) or a token's text. */
export function positionOf(tokens: string[], text: string): number | string {
  const t = text.trim();
  if (/^-?\d+$/.test(t)) {
    const i = Number(t);
    const p = i < 0 ? tokens.length + i : i;
    if (p < 0 || p >= tokens.length) return `Positions run from 0 to ${tokens.length - 1}; got ${t}.`;
    return p;
  }
  const want = t.replace(/^["']|["']$/g, "").trim().toLowerCase();
  const hits = tokens.map((x, i) => [x.trim().toLowerCase(), i] as const).filter(([x]) => x === want && x !== "");
  if (hits.length === 1) return hits[0][1];
  if (hits.length > 1) return `"${want}" occurs ${hits.length} times (positions ${hits.map((h) => h[1]).join(", ")}): give the position number instead.`;
  return `No token "${want}" in the prompt; give a token as shown or its position (0 to ${tokens.length - 1}).`;
}

/**
 * A show-me check for "which token made the model predict this?": the student names a token
 * (its text or position); the kernel removes it and measures how much p(answer) drops. Right
 * when that drop is at least `fraction` (default 0.5) of the largest drop any token causes.
 */
export function tokenInfluenceCheck(model: TransformerModel, prompt: string | number[], opts: { answer?: number; mode?: "zero" | "mean"; fraction?: number } = {}): (answer: string) => CheckResult {
  const fraction = opts.fraction ?? 0.5;
  let r: TokenAblationResult | undefined;
  return (text: string) => {
    r ??= tokenAblation(model, prompt, opts);
    const pos = positionOf(r.tokens, text);
    if (typeof pos === "string") return { correct: false, invalid: true, message: pos };
    const drops = Array.from(r.ablatedProb, (p) => r!.answer.prob - p);
    const mine = drops[pos];
    const maxDrop = Math.max(...drops);
    const rank = 1 + drops.filter((d) => d > mine).length;
    const ok = mine > 0 && mine >= fraction * maxDrop;
    const tok = JSON.stringify(r.tokens[pos]);
    const details = [
      { label: `p(${JSON.stringify(r.answer.token)}) with every token`, value: f3(r.answer.prob) },
      { label: `p(${JSON.stringify(r.answer.token)}) with token ${pos} ${tok} removed`, value: f3(r.ablatedProb[pos]) },
      { label: "drop", value: f3(mine) },
      { label: "rank of that drop among all tokens", value: `${rank} of ${drops.length}` },
      { label: "setting", value: `${r.settings.mode}-ablation of the token embedding (hook_embed), position embedding kept` },
    ];
    const message = ok
      ? `Yes: removing ${tok} (position ${pos}) drops p(${JSON.stringify(r.answer.token)}) from ${f3(r.answer.prob)} to ${f3(r.ablatedProb[pos])}, rank ${rank} of ${drops.length}. That intervention is the evidence.`
      : `Removing ${tok} (position ${pos}) changes p(${JSON.stringify(r.answer.token)}) by ${f3(-mine)} only (rank ${rank} of ${drops.length}); another token matters more. Try again.`;
    return { correct: ok, message, details };
  };
}
