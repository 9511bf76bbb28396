/**
 * Averages causal traces over many prompts by token class, as ROME's summary plots do: first,
 * middle and last subject token, first token after the subject, further tokens, last token.
 * Each prompt contributes the mean indirect effect over its tokens of a class (a one-token subject
 * is both its first and last subject token); the interval is 1.96·std/√n over prompts. Cells a
 * trace did not restore (NaN, causalTrace's `positions`/`layers`) are left out: a prompt counts
 * for a class and layer when at least one of its tokens of that class was restored there.
 */
import type { CausalTraceResult, TraceKind } from "./tracing";

export const TOKEN_CLASSES = ["first subject token", "middle subject tokens", "last subject token", "first subsequent token", "further tokens", "last token"] as const;

export interface TraceSummary {
  kind: "causal-trace-summary";
  classes: string[];
  /** Per trace kind: mean indirect effect and half-width of the 95% interval, [class, layer]; NaN where no prompt has the class. */
  effects: Partial<Record<TraceKind, { mean: Float32Array; ci: Float32Array; n: Int32Array }>>;
  shape: [number, number];
  totalEffect: { mean: number; ci: number };
  prompts: number;
}

/** Token positions of each class for a prompt of P tokens with subject [s0, s1). */
export function tokenClasses(P: number, s0: number, s1: number): number[][] {
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a) }, (_, i) => a + i);
  const last = P - 1;
  return [
    [s0],
    range(s0 + 1, s1 - 1),
    [s1 - 1],
    s1 < last ? [s1] : [],
    range(s1 + 1, last),
    [last],
  ];
}

function meanCi(xs: number[]): [number, number] {
  if (xs.length === 0) return [NaN, NaN];
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return [m, NaN];
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return [m, (1.96 * sd) / Math.sqrt(xs.length)];
}

export function summariseTraces(results: CausalTraceResult[]): TraceSummary {
  const fn = "summariseTraces";
  if (!Array.isArray(results) || results.length === 0) throw new Error(`${fn}: give a non-empty array of causalTrace results`);
  const L = results[0].shape[1];
  results.forEach((r, i) => {
    if (r.kind !== "causal-trace") throw new Error(`${fn}: item ${i} is not a causal-trace result (kind ${JSON.stringify((r as { kind?: string }).kind)})`);
    if (r.shape[1] !== L) throw new Error(`${fn}: every result must come from a model with ${L} layers; item ${i} has ${r.shape[1]}`);
    if (r.partial) throw new Error(`${fn}: item ${i} is a partial (cancelled) trace`);
  });
  const C = TOKEN_CLASSES.length;
  const kinds = (["hidden", "mlp", "attn"] as TraceKind[]).filter((k) => results.every((r) => r.grids[k]));
  const effects: TraceSummary["effects"] = {};
  for (const k of kinds) {
    const mean = new Float32Array(C * L);
    const ci = new Float32Array(C * L);
    const n = new Int32Array(C);
    for (let c = 0; c < C; c++) {
      for (let l = 0; l < L; l++) {
        const per: number[] = [];
        for (const r of results) {
          const [P] = r.shape;
          const vals = tokenClasses(P, r.subjectRange[0], r.subjectRange[1])[c].map((t) => r.grids[k]!.indirect[t * L + l]).filter((v) => !Number.isNaN(v));
          if (vals.length === 0) continue;
          per.push(vals.reduce((a, v) => a + v, 0) / vals.length);
        }
        [mean[c * L + l], ci[c * L + l]] = meanCi(per);
        n[c] = Math.max(n[c], per.length);
      }
    }
    effects[k] = { mean, ci, n };
  }
  const [tm, tc] = meanCi(results.map((r) => r.totalEffect));
  return { kind: "causal-trace-summary", classes: [...TOKEN_CLASSES], effects, shape: [C, L], totalEffect: { mean: tm, ci: tc }, prompts: results.length };
}
