/**
 * Differentiable forward passes used for training (GPT-2 pre-LN and BERT post-LN), written with
 * plain tfjs ops on the wasm backend. Parameters come in as a name -> tensor table (params.ts names).
 * The attnlab model (lib/model) is the one to analyse with; this one exists only to compute gradients
 * cheaply, and the test suite checks that both give the same loss on a saved checkpoint.
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelConfig } from "../../lib/model/types";
import { BERT_LINEAR } from "./params";

export type TensorTable = Record<string, tf.Tensor>;

export interface AuxTarget {
  layer: number;
  head: number;
  weight: number;
  target: Float32Array; // [batch, query, key], each supervised query's row sums to 1, others 0
  norm: number;
}

/** A training batch: predict target[b, t] from input[b, 0..t] (GPT) or input[b, :] (BERT). */
export interface Batch {
  input: Int32Array; // [batch, pos]
  target: Int32Array; // [batch, pos]
  weight: Float32Array; // [batch, pos], 0 = position not scored
  shape: [number, number]; // [batch, pos]
  /**
   * Optional auxiliary terms, each weight × Σ over (row, query) of −Σ_key target[row, query, key] ·
   * log pattern[row, head, query, key], divided by `norm` (the number of supervised queries in the
   * whole data-parallel batch): a nudge for one head to attend where `target` says.
   */
  aux?: AuxTarget[];
}

/**
 * Row lookup whose gradient is a scatter-add done in JS: the wasm backend lacks UnsortedSegmentSum,
 * which tf.gather's own gradient needs, and a one-hot matmul would cost vocab x tokens x d.
 */
export function gatherRows(w: tf.Tensor, ids: Int32Array): tf.Tensor2D {
  const [V, d] = w.shape as [number, number];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const wt = args[0] as tf.Tensor;
    const idx = tf.tensor1d(ids, "int32");
    const value = tf.gather(wt, idx);
    idx.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
        if (Array.isArray(dy)) throw new Error("gatherRows: expected one upstream gradient");
        const g = dy.dataSync();
        const acc = new Float32Array(V * d);
        for (let i = 0; i < ids.length; i++) {
          const r = ids[i] * d;
          const s = i * d;
          for (let j = 0; j < d; j++) acc[r + j] += g[s + j];
        }
        return tf.tensor2d(acc, [V, d]);
      },
    };
  });
  return f(w) as tf.Tensor2D;
}

/** Swaps the last two axes. */
function tr(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(x, perm);
}

/**
 * a @ b whose gradients never use matMul's transpose flags: the wasm backend's transposed matmuls
 * take a slow path (about 50x slower on a [2048, 4096] gradient), so the operand is transposed
 * explicitly first (dy itself is never transposed; a and b are the smaller tensors).
 */
export function mm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, y] = args as [tf.Tensor, tf.Tensor];
    const save = args[2] as tf.GradSaveFunc;
    save([x, y]);
    return {
      value: tf.matMul(x, y),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        if (Array.isArray(dy)) throw new Error("mm: expected one upstream gradient");
        const [xs, ys] = saved;
        return [tf.matMul(dy, tr(ys)), tf.matMul(tr(xs), dy)];
      },
    };
  });
  return f(a, b);
}

function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(eps))).mul(w).add(b);
}

/** GPT-2's tanh approximation; x*x*x instead of pow keeps the gradient to plain multiplies. */
function geluNew(x: tf.Tensor): tf.Tensor {
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(tf.tanh(inner).add(1));
}

export interface ForwardOptions {
  /** Receives each layer's attention pattern [batch, head, query, key]. */
  onPattern?: (layer: number, pattern: tf.Tensor4D) => void;
  /** Heads whose output z is zeroed, as [layer, head] pairs. */
  ablate?: [number, number][];
}

/** Multi-head attention on x2d [B*T, d] given separate q/k/v [B*T, d]; returns z [B*T, d]. */
function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, B: number, T: number, cfg: ModelConfig, mask: tf.Tensor, layer: number, opts: ForwardOptions): tf.Tensor {
  const H = cfg.nHeads;
  const E = cfg.dHead;
  const split = (t: tf.Tensor) => t.reshape([B, T, H, E]).transpose([0, 2, 1, 3]); // [B, H, T, E]
  const scores = mm(split(q), tr(split(k))).mul(1 / Math.sqrt(E)).add(mask); // [B, H, T, T]
  const pattern = tf.softmax(scores) as tf.Tensor4D;
  if (opts.onPattern) opts.onPattern(layer, pattern);
  let z = mm(pattern, split(v)); // [B, H, T, E]
  const dead = (opts.ablate ?? []).filter(([l]) => l === layer).map(([, h]) => h);
  if (dead.length > 0) {
    const keep = new Float32Array(H).fill(1);
    for (const h of dead) keep[h] = 0;
    z = z.mul(tf.tensor4d(keep, [1, H, 1, 1]));
  }
  return z.transpose([0, 2, 1, 3]).reshape([B * T, H * E]);
}

/** GPT-2 logits [B*T, vocab] for input ids [B, T]; with `rows`, only those flat positions [rows.length, vocab]. */
export function gptLogits(p: TensorTable, cfg: ModelConfig, input: Int32Array, B: number, T: number, opts: ForwardOptions = {}, rows?: Int32Array): tf.Tensor2D {
  const d = cfg.dModel;
  const causal = new Float32Array(T * T);
  for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) causal[i * T + j] = -1e9;
  const mask = tf.tensor2d(causal, [T, T]);
  const wte = p["transformer.wte.weight"];
  let x: tf.Tensor = gatherRows(wte, input).reshape([B, T, d]).add(p["transformer.wpe.weight"].slice([0, 0], [T, d])).reshape([B * T, d]);
  for (let l = 0; l < cfg.nLayers; l++) {
    const pre = `transformer.h.${l}.`;
    const h = layerNorm(x, p[pre + "ln_1.weight"], p[pre + "ln_1.bias"], cfg.lnEps);
    const qkv = mm(h, p[pre + "attn.c_attn.weight"]).add(p[pre + "attn.c_attn.bias"]);
    const [q, k, v] = tf.split(qkv, 3, 1);
    const z = attend(q, k, v, B, T, cfg, mask, l, opts);
    x = x.add(mm(z, p[pre + "attn.c_proj.weight"]).add(p[pre + "attn.c_proj.bias"]));
    if (!cfg.attnOnly) {
      const h2 = layerNorm(x, p[pre + "ln_2.weight"], p[pre + "ln_2.bias"], cfg.lnEps);
      const act = geluNew(mm(h2, p[pre + "mlp.c_fc.weight"]).add(p[pre + "mlp.c_fc.bias"]));
      x = x.add(mm(act, p[pre + "mlp.c_proj.weight"]).add(p[pre + "mlp.c_proj.bias"]));
    }
  }
  if (rows) x = gatherRows(x, rows);
  x = layerNorm(x, p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], cfg.lnEps);
  return mm(x, tr(wte)) as tf.Tensor2D;
}

/** BERT masked-LM logits [B*T, vocab] for input ids [B, T] (single segment, no padding). */
export function bertLogits(p: TensorTable, cfg: ModelConfig, input: Int32Array, B: number, T: number, opts: ForwardOptions = {}, rows?: Int32Array): tf.Tensor2D {
  const d = cfg.dModel;
  const mask = tf.zeros([T, T]);
  const lin = (x: tf.Tensor, name: string) => {
    if (!BERT_LINEAR.test(name + ".weight")) throw new Error(`bertLogits: ${name} is not a linear layer`);
    return mm(x, p[name + ".weight"]).add(p[name + ".bias"]);
  };
  const ln = (x: tf.Tensor, name: string) => layerNorm(x, p[name + ".weight"], p[name + ".bias"], cfg.lnEps);
  const wte = p["bert.embeddings.word_embeddings.weight"];
  const emb = gatherRows(wte, input)
    .reshape([B, T, d])
    .add(p["bert.embeddings.position_embeddings.weight"].slice([0, 0], [T, d]))
    .add(p["bert.embeddings.token_type_embeddings.weight"].slice([0, 0], [1, d]))
    .reshape([B * T, d]);
  let x = ln(emb, "bert.embeddings.LayerNorm");
  for (let l = 0; l < cfg.nLayers; l++) {
    const pre = `bert.encoder.layer.${l}.`;
    const z = attend(lin(x, pre + "attention.self.query"), lin(x, pre + "attention.self.key"), lin(x, pre + "attention.self.value"), B, T, cfg, mask, l, opts);
    x = ln(x.add(lin(z, pre + "attention.output.dense")), pre + "attention.output.LayerNorm");
    const act = geluNew(lin(x, pre + "intermediate.dense"));
    x = ln(x.add(lin(act, pre + "output.dense")), pre + "output.LayerNorm");
  }
  // Masked-LM training scores ~15% of positions: running the head on those rows only saves most of the unembedding.
  if (rows) x = gatherRows(x, rows);
  const t = ln(geluNew(lin(x, "cls.predictions.transform.dense")), "cls.predictions.transform.LayerNorm");
  return mm(t, tr(wte)).add(p["cls.predictions.bias"]) as tf.Tensor2D;
}

/** Per-position cross-entropy [B*T] in nats. The one-hot product avoids gather's missing gradient. */
export function tokenLosses(lg: tf.Tensor2D, target: Int32Array): tf.Tensor1D {
  const V = lg.shape[1];
  const onehot = tf.oneHot(tf.tensor1d(target, "int32"), V);
  // logSoftmax's gradient is fused (logSumExp's goes through max and an Equal mask over all logits).
  return tf.logSoftmax(lg).mul(onehot).sum(1).neg() as tf.Tensor1D;
}

/**
 * The weighted loss over a batch's scored positions. When few are scored (masked LM scores ~15%,
 * repeated-token rows only the repeats), `run` gets those flat positions and computes the output
 * head on them alone: the unembedding is most of a small model's cost. With nothing scored, row 0
 * is scored with weight 0, keeping the loss a function of the parameters.
 */
function scoredLoss(run: (rows?: Int32Array) => tf.Tensor2D, batch: Batch, denominator: number): tf.Scalar {
  const [B, T] = batch.shape;
  const scored: number[] = [];
  batch.weight.forEach((w, i) => {
    if (w > 0) scored.push(i);
  });
  if (scored.length === 0) scored.push(0);
  if (scored.length >= 0.9 * B * T) return tokenLosses(run(), batch.target).mul(tf.tensor1d(batch.weight)).sum().div(denominator) as tf.Scalar;
  const rows = Int32Array.from(scored);
  const ce = tokenLosses(run(rows), Int32Array.from(rows, (i) => batch.target[i]));
  return ce.mul(tf.tensor1d(Float32Array.from(rows, (i) => batch.weight[i]))).sum().div(denominator) as tf.Scalar;
}

/** Weighted loss sum divided by `denominator` (the whole data-parallel batch's weight). */
export function batchLoss(p: TensorTable, cfg: ModelConfig, batch: Batch, denominator: number): tf.Scalar {
  const [B, T] = batch.shape;
  if (cfg.arch === "bert") return scoredLoss((rows) => bertLogits(p, cfg, batch.input, B, T, {}, rows), batch, denominator);
  const aux = batch.aux ?? [];
  const auxTerms: tf.Tensor[] = [];
  const onPattern = aux.length
    ? (layer: number, pattern: tf.Tensor4D) => {
        for (const a of aux) {
          if (layer !== a.layer) continue;
          const head = pattern.slice([0, a.head, 0, 0], [B, 1, T, T]).reshape([B, T, T]);
          auxTerms.push(tf.log(head.add(1e-9)).mul(tf.tensor3d(a.target, [B, T, T])).sum().neg().mul(a.weight / a.norm));
        }
      }
    : undefined;
  const main = scoredLoss((rows) => gptLogits(p, cfg, batch.input, B, T, { onPattern }, rows), batch, denominator);
  return (auxTerms.length ? auxTerms.reduce((x, y) => x.add(y), main) : main) as tf.Scalar;
}
