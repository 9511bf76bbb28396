/**
 * Ablation: remove a head's output, an attention layer's output or an MLP's output and
 * measure what changes. Replacement values: zero; the mean over a reference set (over every
 * token of every reference text, so references may differ in length); or resample (the
 * activation of a seeded-random reference text at the same position; references must then be
 * at least as long as the input). Every target is one row of one batched forward pass.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName, type HookName } from "../hooks/names";
import { checkHead, checkLayer, prepareSingle } from "./common";
import { logitDiff } from "./metrics";
import { WorkProgress, rowsInBudget, yieldToEventLoop, type RunOptions } from "./progress";
import { Rng } from "./rng";
import { tidyData } from "../backend";

export type AblationTarget = { type: "head"; layer: number; head: number } | { type: "attn"; layer: number } | { type: "mlp"; layer: number };
export type AblationMethod = "zero" | "mean" | "resample";
export type AblationMeasure = "logit_diff" | "loss" | "kl";

export interface AblationOptions extends RunOptions {
  method?: AblationMethod;
  reference?: (string | number[])[];
  seed?: number;
  measure?: AblationMeasure;
  /** For logit_diff: answer − wrong at the last position. */
  answer?: number;
  wrong?: number;
}

export interface AblationResult {
  kind: "ablation";
  targets: AblationTarget[];
  /** Measure with the target ablated minus the measure unablated (KL: just the KL). */
  effects: Float32Array;
  values: Float32Array;
  baseline: number;
  shape: number[];
  dims: string[];
  tokens: string[];
  partial: boolean;
  settings: { method: AblationMethod; measure: AblationMeasure; references: number; seed: number | null; forwardPasses: number; meanOver: string | null };
}

const siteOf = (t: AblationTarget): "z" | "attn_out" | "mlp_out" => (t.type === "head" ? "z" : t.type === "attn" ? "attn_out" : "mlp_out");

/** Per-row measure: logit difference, mean next-token loss, or mean KL(unablated ‖ ablated) over positions. */
function measureRows(logits: tf.Tensor3D, ids: number[], opts: AblationOptions, ref: tf.Tensor3D | null): Float32Array {
  const m = opts.measure ?? "loss";
  if (m === "logit_diff") return logitDiff(logits, opts.answer!, opts.wrong!);
  return tidyData(() => {
    const [B, P, V] = logits.shape;
    const lp = tf.logSoftmax(logits);
    if (m === "kl") {
      const lq = tf.logSoftmax(ref!);
      return tf.exp(lq).mul(lq.sub(lp)).sum(-1).mean(-1);
    }
    const tgt = tf.oneHot(tf.tensor1d(ids.slice(1), "int32"), V).expandDims(0); // [1, P − 1, V]
    return lp.slice([0, 0, 0], [B, P - 1, V]).mul(tgt).sum(-1).neg().mean(-1);
  });
}

export async function ablate(model: TransformerModel, input: string | number[], targets: AblationTarget[], opts: AblationOptions & { shape?: number[]; dims?: string[] } = {}): Promise<AblationResult> {
  const fn = "ablate";
  const method = opts.method ?? "zero";
  const measure = opts.measure ?? "loss";
  if (!["zero", "mean", "resample"].includes(method)) throw new Error(`${fn}: method must be "zero", "mean" or "resample"; got ${JSON.stringify(method)}`);
  if (!["logit_diff", "loss", "kl"].includes(measure)) throw new Error(`${fn}: measure must be "logit_diff", "loss" or "kl"; got ${JSON.stringify(measure)}`);
  if (measure === "logit_diff" && (opts.answer === undefined || opts.wrong === undefined)) throw new Error(`${fn}: measure "logit_diff" needs opts.answer and opts.wrong token ids`);
  const { ids, tokens } = prepareSingle(model, input, fn);
  const P = ids.length;
  if (measure === "loss" && P < 2) throw new Error(`${fn}: the loss needs at least 2 tokens`);
  if (!Array.isArray(targets) || targets.length === 0) throw new Error(`${fn}: targets must be a non-empty array`);
  for (const t of targets) {
    if (!t || !["head", "attn", "mlp"].includes(t.type)) throw new Error(`${fn}: each target needs type "head", "attn" or "mlp"`);
    checkLayer(model, t.layer, fn);
    if (t.type === "head") checkHead(model, t.head, fn);
    if (t.type === "mlp" && model.config.attnOnly) throw new Error(`${fn}: an attention-only model has no MLP`);
  }
  const layersBySite = new Map<string, number[]>();
  for (const t of targets) {
    const k = siteOf(t);
    layersBySite.set(k, [...new Set([...(layersBySite.get(k) ?? []), t.layer])]);
  }
  const names = [...layersBySite].flatMap(([s, ls]) => ls.map((l) => actName(s as "z", l))) as HookName[];
  // Replacement sources per hook name: [1, P, ...] for zero/mean, [P, ...] per reference for resample.
  const repl = new Map<HookName, tf.Tensor>();
  let refChoice: number[] = [];
  const refs = opts.reference ?? [];
  if (method !== "zero") {
    if (refs.length === 0) throw new Error(`${fn}: method "${method}" needs opts.reference, a non-empty list of texts or id arrays`);
    const refIds = refs.map((r, i) => prepareSingle(model, r, `${fn} (reference ${i})`).ids);
    if (method === "resample") {
      refIds.forEach((r, i) => {
        if (r.length < P) throw new Error(`${fn}: resampling needs references at least as long as the input (${P} tokens); reference ${i} has ${r.length}`);
      });
      const rng = new Rng(opts.seed ?? 0);
      refChoice = targets.map(() => rng.int(refIds.length));
    }
    for (const [ri, r] of refIds.entries()) {
      const { logits, cache } = model.runWithCache([r], { names });
      logits.dispose();
      for (const n of names) {
        const a = cache.get(n); // [1, n_r, ...]
        if (method === "mean") {
          const s = tf.tidy(() => a.sum([0, 1], true));
          const prev = repl.get(n);
          repl.set(n, prev ? tf.tidy(() => prev.add(s)) : s);
          prev?.dispose();
          s !== repl.get(n) && s.dispose();
        } else {
          const key = `${n}#${ri}` as HookName;
          repl.set(key, tf.keep(a.slice(0, 1).slice([0, 0], [1, P])));
        }
      }
      cache.dispose();
    }
    if (method === "mean") {
      const total = refIds.reduce((a, r) => a + r.length, 0);
      for (const n of names) {
        const s = repl.get(n)!;
        repl.set(n, tf.tidy(() => s.div(total)));
        s.dispose();
      }
    }
  }
  const { dModel: d, dMlp, nHeads: H, dVocab: V } = model.config;
  const rowsPerPass = rowsInBudget(4 * P * (6 * d + dMlp + 2 * H * P + 2 * V), opts, 256);
  const passes = Math.ceil(targets.length / rowsPerPass);
  const progress = new WorkProgress(targets.length, opts, "ablate");
  progress.plan(passes + 1 + (method === "zero" ? 0 : refs.length), `${targets.length} ablations in ${passes} batched passes`);
  const base = model.run([ids]);
  const values = new Float32Array(targets.length).fill(NaN);
  let partial = false;
  let baseline = NaN;
  try {
    baseline = measure === "kl" ? 0 : measureRows(base, ids, opts, null)[0];
    for (let s = 0; s < targets.length; s += rowsPerPass) {
      if (progress.aborted) {
        partial = true;
        break;
      }
      const chunk = targets.slice(s, s + rowsPerPass);
      const B = chunk.length;
      const hooks: Hook[] = names.map((name) => ({
        name,
        fn: (act: tf.Tensor) => tf.tidy(() => {
          const rows = chunk.map((t, r) => ({ t, r, gi: s + r })).filter(({ t }) => actName(siteOf(t) as "z", t.layer) === name);
          if (rows.length === 0) return act;
          const isHead = siteOf(rows[0].t) === "z";
          const mask = new Uint8Array(B * (isHead ? H : 1));
          for (const { t, r } of rows) mask[r * (isHead ? H : 1) + (isHead ? (t as { head: number }).head : 0)] = 1;
          const m = isHead ? tf.tensor(mask, [B, 1, H, 1], "bool") : tf.tensor(mask, [B, 1, 1], "bool");
          let src: tf.Tensor;
          if (method === "zero") src = tf.zerosLike(act);
          else if (method === "mean") src = tf.broadcastTo(repl.get(name)!, act.shape);
          else {
            src = tf.concat(chunk.map((_, r) => repl.get(`${name}#${refChoice[s + r]}` as HookName)!), 0);
          }
          return tf.where(m, src, act);
        }),
      }));
      const { logits } = model.runWithHooks(chunk.map(() => ids), hooks);
      try {
        values.set(measureRows(logits, ids, opts, base), s);
      } finally {
        logits.dispose();
      }
      progress.tick(B);
      await yieldToEventLoop();
    }
  } finally {
    base.dispose();
    for (const t of repl.values()) t.dispose();
  }
  return {
    kind: "ablation",
    targets,
    effects: values.map((v) => v - baseline),
    values,
    baseline,
    shape: opts.shape ?? [targets.length],
    dims: opts.dims ?? ["target"],
    tokens,
    partial,
    settings: {
      method, measure, references: refs.length, seed: method === "resample" ? opts.seed ?? 0 : null, forwardPasses: passes + 1,
      meanOver: method === "mean" ? "every token of every reference" : null,
    },
  };
}

/** Every head ablated in turn: effects as [layer, head]. */
export function ablateHeads(model: TransformerModel, input: string | number[], opts: AblationOptions = {}): Promise<AblationResult> {
  const { nLayers: L, nHeads: H } = model.config;
  const targets: AblationTarget[] = [];
  for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) targets.push({ type: "head", layer: l, head: h });
  return ablate(model, input, targets, { ...opts, shape: [L, H], dims: ["layer", "head"] });
}

/** Every attention layer then every MLP: effects as [2, layer] (row 0 attention, row 1 MLP). */
export function ablateLayers(model: TransformerModel, input: string | number[], opts: AblationOptions = {}): Promise<AblationResult> {
  const L = model.config.nLayers;
  const targets: AblationTarget[] = [];
  for (let l = 0; l < L; l++) targets.push({ type: "attn", layer: l });
  if (!model.config.attnOnly) for (let l = 0; l < L; l++) targets.push({ type: "mlp", layer: l });
  return ablate(model, input, targets, { ...opts, shape: [model.config.attnOnly ? 1 : 2, L], dims: ["module", "layer"] });
}
