/**
 * Counterfactual attention (Jain & Wallace 2019, sections 4.2–4.3) on one head's attention from
 * the last position: random permutations of the weights, and an adversarial search for very
 * different attention that leaves the output (next-token distribution) nearly unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import type { TransformerModel } from "../model/types";
import { architecture } from "../model/architectures";
import { HookState } from "../model/hooked";
import { actName } from "../hooks/names";
import { checkInt, prepareSingle } from "./common";
import { baseRun, resolveHead, type HeadChoice } from "./attribution";
import { jsd, tvd } from "./metrics";
import { WorkProgress, effectiveSignal, rowsInBudget, yieldToEventLoop, type RunOptions } from "./progress";
import { Rng } from "./rng";
import { tidyData } from "../backend";

/** Replaces head `head`'s last-query row of the pattern with rows [B, P] (one per batch row). */
function rowHook(layer: number, head: number, rows: tf.Tensor2D, H: number, P: number) {
  return {
    name: actName("pattern", layer),
    fn: (act: tf.Tensor) => {
      const m = new Uint8Array(H * P);
      m[head * P + P - 1] = 1;
      const B = rows.shape[0];
      return tf.where(tf.tensor(m, [1, H, P, 1], "bool"), tf.broadcastTo(rows.reshape([B, 1, 1, P]), act.shape), act);
    },
  };
}

/**
 * The next-token distribution at the last position as a function of head `head`'s last-query row
 * at `layer`: `probsOf(rows [B, P])` -> [B, vocab], differentiable in `rows`.
 * Causal models: no earlier position sees the last query's attention, so their keys and values
 * are computed once, and each call runs only the last position from `layer` on, against them
 * (KV-cached, as generation does): on SmolLM2 (30 layers) a permutation costs one token through
 * the upper layers instead of a whole forward pass. Other models: the whole forward with a hook.
 */
function lastRowOutput(model: TransformerModel, ids: number[], layer: number, head: number): { probsOf(rows: tf.Tensor2D): tf.Tensor2D; dispose(): void } {
  const cfg = model.config;
  const P = ids.length;
  const H = cfg.nHeads;
  const arch = architecture(cfg);
  if (!arch.causal || P < 2) {
    return {
      probsOf: (rows) => {
        const B = rows.shape[0];
        const { logits } = model.runWithHooks(Array.from({ length: B }, () => ids), [rowHook(layer, head, rows, H, P)]);
        return tf.softmax(logits.slice([0, P - 1, 0], [B, 1, -1]).reshape([B, -1])) as tf.Tensor2D;
      },
      dispose: () => {},
    };
  }
  const names = new Set(arch.hookNames(cfg));
  const none = new HookState(names);
  const past: { K: tf.Tensor4D; V: tf.Tensor4D }[] = [];
  // The first P − 1 positions through every block, keeping each block's keys and values.
  tf.tidy(() => {
    const n = P - 1;
    const mask = new Float32Array(n * n);
    for (let t = 0; t < n; t++) for (let k = t + 1; k < n; k++) mask[t * n + k] = -Infinity;
    const ctx = { maskAdd: tf.tensor4d(mask, [1, 1, n, n]), onKV: (K: tf.Tensor4D, V: tf.Tensor4D) => past.push({ K: tf.keep(K.clone()), V: tf.keep(V.clone()) }) };
    let x = arch.embed(model, tf.tensor2d([ids.slice(0, n)], [1, n], "int32"), null, none, 0);
    for (let l = 0; l < cfg.nLayers; l++) x = arch.block(model, l, x, ctx, none);
  });
  const open = tf.zeros([1, 1, 1, P]) as tf.Tensor4D; // the last query may attend to every key
  // The last position up to `layer` (unchanged by the row): [1, 1, d].
  const xL = tf.tidy(() => {
    let x = arch.embed(model, tf.tensor2d([[ids[P - 1]]], [1, 1], "int32"), null, none, P - 1);
    for (let l = 0; l < layer; l++) x = arch.block(model, l, x, { maskAdd: open, pos0: P - 1, past: past[l] }, none);
    return x;
  });
  const m = new Uint8Array(H);
  m[head] = 1;
  const which = tf.tensor(m, [1, H, 1, 1], "bool");
  return {
    probsOf: (rows) => tf.tidy(() => {
      const B = rows.shape[0];
      const hs = new HookState(names, [{
        name: actName("pattern", layer),
        fn: (act: tf.Tensor) => tf.where(which, tf.broadcastTo(rows.reshape([B, 1, 1, P]), act.shape), act), // act: [B, H, 1, P]
      }]);
      let x = tf.broadcastTo(xL, [B, 1, cfg.dModel]) as tf.Tensor3D;
      for (let l = layer; l < cfg.nLayers; l++) {
        const rep = (t: tf.Tensor4D) => tf.broadcastTo(t, [B, t.shape[1], t.shape[2], t.shape[3]]) as tf.Tensor4D;
        x = arch.block(model, l, x, { maskAdd: open, pos0: P - 1, past: { K: rep(past[l].K), V: rep(past[l].V) } }, hs);
      }
      return tf.softmax(arch.unembed(model, x, hs).reshape([B, -1])) as tf.Tensor2D;
    }),
    dispose: () => {
      for (const p of past) {
        p.K.dispose();
        p.V.dispose();
      }
      [open, xL, which].forEach((t) => t.dispose());
    },
  };
}

export interface PermutationResult {
  kind: "attention-permutation";
  tokens: string[];
  attention: Float32Array;
  maxAttention: number;
  /** Output change per permutation: [permutations]. */
  tvd: Float32Array;
  jsd: Float32Array;
  medianTvd: number;
  medianJsd: number;
  partial: boolean;
  settings: { layer: number; head: number; permutations: number; seed: number };
}

const median = (v: Float32Array) => {
  const s = Array.from(v).filter(Number.isFinite).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function permutationTest(model: TransformerModel, input: string | number[], opts: HeadChoice & RunOptions & { permutations?: number; seed?: number } = {}): Promise<PermutationResult> {
  const fn = "permutationTest";
  const { layer, head } = resolveHead(model, opts, fn);
  const n = opts.permutations ?? 100;
  checkInt(n, 1, 100000, "permutations", fn);
  const seed = opts.seed ?? 0;
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  if (P < 2) throw new Error(`${fn}: need at least 2 tokens to permute attention`);
  const { probs, attention } = baseRun(model, ids, layer, head);
  const rng = new Rng(seed);
  const perms = Array.from({ length: n }, () => rng.permutation(P));
  const { dModel: d, dMlp, nHeads: H, dVocab: V } = model.config;
  const per = rowsInBudget(4 * P * (6 * d + dMlp + 2 * H * P + V), opts, 128);
  const progress = new WorkProgress(n, opts, "permutationTest");
  progress.plan(1 + Math.ceil(n / per), `${n} permutations in batches of ${per}`);
  const tv = new Float32Array(n).fill(NaN);
  const js = new Float32Array(n).fill(NaN);
  const runner = lastRowOutput(model, ids, layer, head);
  try {
  for (let s = 0; s < n; s += per) {
    if (progress.aborted) break;
    const chunk = perms.slice(s, s + per);
    const out = tidyData(() => runner.probsOf(tf.tensor2d(chunk.map((p) => p.map((i) => attention[i])))));
    chunk.forEach((_, r) => {
      const q = out.subarray(r * V, (r + 1) * V);
      tv[s + r] = tvd(q, probs);
      js[s + r] = jsd(q, probs);
    });
    progress.tick(chunk.length);
    await yieldToEventLoop();
  }
  } finally {
    runner.dispose();
  }
  return {
    kind: "attention-permutation", tokens, attention, maxAttention: Math.max(...attention), tvd: tv, jsd: js,
    medianTvd: median(tv), medianJsd: median(js), partial: progress.done < n, settings: { layer, head, permutations: n, seed },
  };
}

export interface AdversarialResult {
  kind: "adversarial-attention";
  tokens: string[];
  attention: Float32Array;
  /** [k, pos] candidate attention rows. */
  candidates: Float32Array;
  shape: [number, number];
  /** JSD of each candidate from the original attention, and TVD of the output it gives. */
  jsd: Float32Array;
  outputTvd: Float32Array;
  /** Largest JSD among candidates whose output TVD ≤ ε (null when none qualifies). */
  maxJsdWithinEpsilon: number | null;
  settings: { layer: number; head: number; k: number; lambda: number; epsilon: number; steps: number; learningRate: number; seed: number };
}

/**
 * Adam on the logits of k candidate rows, loss per the paper:
 * Σ_i [−JSD(α̃_i, α) + λ·ReLU(TVD(ŷ_i, ŷ) − ε)] − mean pairwise JSD(α̃_i, α̃_j).
 */
export async function adversarialAttention(
  model: TransformerModel,
  input: string | number[],
  opts: HeadChoice & RunOptions & { k?: number; lambda?: number; epsilon?: number; steps?: number; learningRate?: number; seed?: number } = {},
): Promise<AdversarialResult> {
  const fn = "adversarialAttention";
  const { layer, head } = resolveHead(model, opts, fn);
  const k = opts.k ?? 5;
  const lambda = opts.lambda ?? 500;
  const epsilon = opts.epsilon ?? 0.01;
  const steps = opts.steps ?? 150;
  const lr = opts.learningRate ?? 0.05;
  const seed = opts.seed ?? 0;
  checkInt(k, 1, 100, "k", fn);
  checkInt(steps, 0, 100000, "steps", fn);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  if (P < 2) throw new Error(`${fn}: need at least 2 tokens`);
  const { probs, attention } = baseRun(model, ids, layer, head);
  const rng = new Rng(seed);
  const init = Array.from({ length: k }, () => Array.from(attention, (a) => Math.log(a + 1e-6) + rng.normal()));
  const theta = tf.variable(tf.tensor2d(init), true);
  const alpha = tf.tensor1d(attention);
  const yhat = tf.tensor1d(probs);
  const kl = (p: tf.Tensor, q: tf.Tensor) => p.mul(p.add(1e-10).log().sub(q.add(1e-10).log())).sum(-1);
  const jsdT = (p: tf.Tensor, q: tf.Tensor) => {
    const m = p.add(q).div(2);
    return kl(p, m).add(kl(q, m)).div(2);
  };
  const runner = lastRowOutput(model, ids, layer, head);
  const outputOf = (cand: tf.Tensor2D) => runner.probsOf(cand);
  const opt = tf.train.adam(lr);
  const signal = effectiveSignal(opts);
  // One tick per Adam step (a step is a forward and backward pass of k rows), so a bar moves.
  const progress = new WorkProgress(steps, opts, "adversarialAttention");
  progress.plan(2 + 2 * steps, `${steps} Adam steps on ${k} candidates`);
  try {
    for (let s = 0; s < steps; s++) {
      if (signal?.aborted || progress.aborted) break;
      opt.minimize(() => {
        const cand = tf.softmax(theta) as tf.Tensor2D;
        const out = outputOf(cand);
        const change = out.sub(yhat).abs().sum(-1).div(2);
        let loss = jsdT(cand, alpha).neg().add(change.sub(epsilon).relu().mul(lambda)).sum();
        if (k > 1) {
          const a = cand.expandDims(1);
          const b = cand.expandDims(0);
          loss = loss.sub(jsdT(tf.broadcastTo(a, [k, k, P]), tf.broadcastTo(b, [k, k, P])).sum().div(k * (k - 1)));
        }
        return loss as tf.Scalar;
      }, false, [theta]);
      progress.tick();
      await yieldToEventLoop();
    }
    const cand = tidyData(() => tf.softmax(theta));
    const outs = tidyData(() => outputOf(tf.tensor2d(cand, [k, P])));
    const V = probs.length;
    const js = new Float32Array(k);
    const ot = new Float32Array(k);
    for (let i = 0; i < k; i++) {
      js[i] = jsd(cand.subarray(i * P, (i + 1) * P), attention);
      ot[i] = tvd(outs.subarray(i * V, (i + 1) * V), probs);
    }
    const ok = Array.from(js).filter((_, i) => ot[i] <= epsilon);
    return {
      kind: "adversarial-attention", tokens, attention, candidates: cand, shape: [k, P], jsd: js, outputTvd: ot,
      maxJsdWithinEpsilon: ok.length ? Math.max(...ok) : null,
      settings: { layer, head, k, lambda, epsilon, steps, learningRate: lr, seed },
    };
  } finally {
    runner.dispose();
    theta.dispose();
    alpha.dispose();
    yhat.dispose();
    opt.dispose();
  }
}

export interface PermutationStudyResult {
  kind: "attention-permutation-study";
  /** One entry per input: the paper's scatter of median output change against maximum attention. */
  maxAttention: Float32Array;
  medianTvd: Float32Array;
  medianJsd: Float32Array;
  tokens: string[][];
  partial: boolean;
  settings: { layer: number; head: number; permutations: number; seed: number; inputs: number };
}

/** permutationTest over many inputs (each with its own seed, seed + index). */
export async function permutationStudy(
  model: TransformerModel,
  inputs: (string | number[])[],
  opts: HeadChoice & RunOptions & { permutations?: number; seed?: number } = {},
): Promise<PermutationStudyResult> {
  if (!Array.isArray(inputs) || inputs.length === 0) throw new Error("permutationStudy: inputs must be a non-empty array of texts or id arrays");
  const n = inputs.length;
  const out = { maxAttention: new Float32Array(n).fill(NaN), medianTvd: new Float32Array(n).fill(NaN), medianJsd: new Float32Array(n).fill(NaN) };
  const tokens: string[][] = [];
  const progress = new WorkProgress(n, opts, "permutationStudy");
  let settings = { layer: 0, head: 0, permutations: 0, seed: opts.seed ?? 0, inputs: n };
  for (let i = 0; i < n && !progress.aborted; i++) {
    const r = await permutationTest(model, inputs[i], { ...opts, seed: (opts.seed ?? 0) + i, onProgress: undefined, onPlan: undefined });
    out.maxAttention[i] = r.maxAttention;
    out.medianTvd[i] = r.medianTvd;
    out.medianJsd[i] = r.medianJsd;
    tokens.push(r.tokens);
    settings = { ...r.settings, seed: opts.seed ?? 0, inputs: n };
    progress.tick();
  }
  return { kind: "attention-permutation-study", ...out, tokens, partial: progress.done < n, settings };
}
