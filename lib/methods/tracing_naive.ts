/**
 * ROME's procedure written the plain way, one hooked forward pass (1 clean + `samples`
 * corrupted rows) per restoration. Slow; it is the reference the fast path is tested and
 * benchmarked against.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, TransformerModel } from "../model/types";
import { actName } from "../hooks/names";
import { WorkProgress, yieldToEventLoop } from "./progress";
import { traceSetup, type CausalTraceOptions, type CausalTraceResult } from "./tracing";

/** `cells` limits the run to some (kind, pos, layer) cells (others stay NaN), e.g. to time a sample. */
export async function causalTraceNaive(
  model: TransformerModel,
  prompt: string | number[],
  opts: CausalTraceOptions & { cells?: { kind: "hidden" | "mlp" | "attn"; pos: number; layer: number }[] },
): Promise<CausalTraceResult> {
  const fn = "causalTraceNaive";
  const su = traceSetup(model, prompt, opts, fn);
  const { nLayers: L, dModel: d } = model.config;
  const P = su.ids.length;
  const S = su.samples;
  const [s0, s1] = su.subject;
  const rows = Array.from({ length: 1 + S }, () => su.ids);
  const noise = tf.tidy(() => tf.pad(tf.tensor3d(su.scaled, [S, s1 - s0, d]), [[1, 0], [s0, P - s1], [0, 0]]));
  const noiseHook: Hook = { name: "hook_embed", fn: (x) => tf.add(x, noise) };
  // Copies row 0's value at `pos` into rows 1.. (the clean row is never changed, as in ROME).
  const restoreAt = (pos: number) => (x: tf.Tensor) => {
    const m = new Uint8Array((1 + S) * P);
    for (let r = 1; r <= S; r++) m[r * P + pos] = 1;
    return tf.where(tf.tensor3d(m, [1 + S, P, 1], "bool"), tf.broadcastTo(x.slice([0, 0, 0], [1, -1, -1]), x.shape), x);
  };
  const measure = (hooks: Hook[], answer: number | null): { top: number; pClean: number; pMean: number } => {
    const { logits } = model.runWithHooks(rows, [noiseHook, ...hooks]);
    const out = tf.tidy(() => {
      const last = tf.softmax(logits.slice([0, P - 1, 0], [-1, 1, -1]).reshape([1 + S, -1]));
      const top = answer ?? (tf.argMax(last.slice([0, 0], [1, -1]), 1).dataSync()[0] as number);
      const p = last.slice([0, top], [-1, 1]).dataSync();
      return { top, pClean: p[0], pMean: Array.from(p.slice(1)).reduce((a, b) => a + b, 0) / S };
    });
    logits.dispose();
    return out;
  };
  const wanted = opts.cells ? new Set(opts.cells.map((c) => `${c.kind}:${c.pos}:${c.layer}`)) : null;
  const traced = (p: number, l: number) => (!su.positions || su.positions.includes(p)) && (!su.layers || su.layers.includes(l));
  const total = wanted ? wanted.size : su.kinds.length * (su.positions?.length ?? P) * (su.layers?.length ?? L);
  const progress = new WorkProgress(total, opts, "causalTraceNaive");
  progress.plan(1 + total, `one hooked forward pass of ${1 + S} rows per restoration`);
  try {
    const base = measure([], opts.answer ?? null);
    const grids: CausalTraceResult["grids"] = {};
    let stopped = false;
    for (const kind of su.kinds) {
      const scores = new Float32Array(P * L).fill(NaN);
      for (let p = 0; p < P && !stopped; p++) {
        for (let l = 0; l < L; l++) {
          if (wanted ? !wanted.has(`${kind}:${p}:${l}`) : !traced(p, l)) continue;
          if (progress.aborted) {
            stopped = true;
            break;
          }
          let hooks: Hook[];
          if (kind === "hidden") hooks = [{ name: actName("resid_post", l), fn: restoreAt(p) }];
          else {
            const lo = Math.max(0, l - Math.floor(su.window / 2));
            const hi = Math.min(L, l - Math.floor(-su.window / 2));
            hooks = [];
            for (let j = lo; j < hi; j++) hooks.push({ name: actName(kind === "mlp" ? "mlp_out" : "attn_out", j), fn: restoreAt(p) });
          }
          scores[p * L + l] = measure(hooks, base.top).pMean;
          progress.tick();
        }
        await yieldToEventLoop();
      }
      grids[kind] = { scores, indirect: scores.map((s) => s - base.pMean) };
    }
    return {
      kind: "causal-trace", tokens: su.tokens, subjectRange: su.subject, answer: { id: base.top, token: String(base.top) },
      pClean: base.pClean, pCorrupted: base.pMean, totalEffect: base.pClean - base.pMean, grids, shape: [P, L], dims: ["pos", "layer"],
      partial: stopped,
      settings: {
        samples: S, noise: su.noise, noiseScale: opts.noise !== undefined ? null : opts.noiseScale ?? 3, noiseStdOver: opts.noiseStdOver ?? "subject",
        embeddingStd: su.embeddingStd, seed: opts.noiseDraws ? null : opts.seed ?? 1, noiseDrawsGiven: !!opts.noiseDraws, window: su.window,
        kinds: su.kinds, workers: 0, forwardPasses: 1 + total, naiveForwardPasses: 1 + su.kinds.length * P * L, shortcutPositions: 0,
      },
    };
  } finally {
    noise.dispose();
  }
}
