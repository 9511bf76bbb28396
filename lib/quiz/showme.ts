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
}

export interface HeadAblationResult {
  /** Mean loss on the repeated half(s), no head ablated. */
  base: number;
  /** [layer * nHeads + head]: the same loss with that head ablated. */
  ablated: Float32Array;
  /** [layer * nHeads + head], clean rows: mean attention from each repeat token to the token after its earlier occurrence. */
  prefixMatching: Float32Array;
  /** [layer * nHeads + head], clean rows: mean attention from each token to the one before it. */
  previousToken: Float32Array;
  shape: [number, number];
  settings: Required<Omit<HeadAblationOptions, "bos">> & { bos: number | null };
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
  const rep = repeatedRandomTokens(model.config.dVocab, { seqLen, batch, seed, bos });
  const n = rep.ids[0].length;
  if (n > nCtx) throw new Error(`${fn}: ${n} tokens exceed the model's context of ${nCtx}; lower seqLen`);
  const variants = 1 + L * H;
  const rows: number[][] = [];
  for (let v = 0; v < variants; v++) rows.push(...rep.ids);
  const hooks: Hook[] = [];
  for (let l = 0; l < L; l++) {
    hooks.push({
      name: actName("z", l),
      fn: (z: tf.Tensor) =>
        tf.tidy(() => {
          // z: [rows, pos, head, e]; rows of variant v = 1 + l * H + h lose head h.
          const keep = new Float32Array(variants * batch * H).fill(1);
          for (let h = 0; h < H; h++) for (let b = 0; b < batch; b++) keep[((1 + l * H + h) * batch + b) * H + h] = 0;
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
  return { base: perVariant[0], ablated: perVariant.slice(1), prefixMatching, previousToken, shape: [L, H], settings: { seqLen, batch, seed, mode, bos: bos ?? null } };
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
  let grid: HeadAblationResult | undefined;
  return (answer: string) => {
    const ref = headOf(model, answer);
    if (typeof ref === "string") return { correct: false, invalid: true, message: ref };
    grid ??= headAblationLosses(model, opts);
    const g = grid;
    const { nHeads: H } = model.config;
    const k = ref.layer * H + ref.head;
    const rise = Array.from(g.ablated, (x) => x - g.base);
    const mine = rise[k];
    const maxRise = Math.max(...rise);
    const rank = 1 + rise.filter((x) => x > mine).length;
    const scores = role === "induction" ? g.prefixMatching : g.previousToken;
    const what = role === "induction" ? "attention to the token after the earlier occurrence (induction stripe)" : "attention to the previous token";
    const patternOk = scores[k] >= minPattern;
    const needed = mine >= minIncrease && mine >= fraction * maxRise;
    const name = `${ref.layer}.${ref.head}`;
    const s = g.settings;
    const details = [
      { label: `pattern: mean ${what}`, value: f3(scores[k]) },
      { label: "in-context loss, nothing ablated (nats)", value: f3(g.base) },
      { label: `in-context loss, head ${name} ablated (nats)`, value: f3(g.base + mine) },
      { label: "loss change (nats)", value: f3(mine) },
      { label: "rank of that change among all heads", value: `${rank} of ${rise.length}` },
      { label: "setting", value: `${s.mode}-ablation of hook_z; ${s.batch} rows of ${s.seqLen} random tokens repeated twice, seed ${s.seed}` },
    ];
    let message: string;
    if (patternOk && needed) {
      message = `Yes: ${name} shows the ${role} pattern (${f3(scores[k])}) and ablating it raises the loss on the repeated tokens by ${f3(mine)} nats (rank ${rank} of ${rise.length}). Pattern and intervention agree.`;
    } else if (!patternOk && needed) {
      message = `The model needs ${name} (ablating it raises the in-context loss by ${f3(mine)} nats), but its pattern is not the ${role} pattern (score ${f3(scores[k])}): it plays another part in the circuit.`;
    } else if (patternOk) {
      message = `${name} has the ${role} pattern (${f3(scores[k])}), but ablating it changes the in-context loss by only ${f3(mine)} nats: a pattern alone is a hypothesis, and this one does not carry the behaviour.`;
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
  const probs = tf.tidy(() => tf.softmax(logits.slice([0, P - 1, 0], [-1, 1, -1]).reshape([P + 1, V])).arraySync() as number[][]);
  logits.dispose();
  const answer = opts.answer ?? probs[0].reduce((bi, x, i, a) => (x > a[bi] ? i : bi), 0);
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
    answer: { id: answer, token: answerToken, prob: probs[0][answer] },
    ablatedProb: Float32Array.from({ length: P }, (_, t) => probs[t + 1][answer]),
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
