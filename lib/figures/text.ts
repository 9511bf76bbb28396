/**
 * Plain-text summaries of figures: the text/plain entry of a display bundle, for consoles,
 * logs and screen readers.
 */
import type { FigureView, Tensor } from "../../widgets/src/contract";

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/** Index of the largest finite value (NaN marks cells a cancelled run never computed). */
function argmax(a: ArrayLike<number | null>): number {
  let best = -1;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    if (typeof v === "number" && Number.isFinite(v) && (best < 0 || v > (a[best] as number))) best = i;
  }
  return Math.max(best, 0);
}

export function describeFigure(view: FigureView, data: object): string {
  const d = data as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  switch (view) {
    case "heatmap": {
      const p = d.pattern as Tensor | undefined;
      const k = (d.tokens as string[]).length;
      const q = p ? p.shape[p.shape.length - 2] : ((d.queryTokens as string[] | undefined)?.length ?? k);
      const head = p?.shape.length === 4 ? "all heads" : `layer ${d.layer ?? 0}, head ${d.head ?? 0}`;
      return `Attention heatmap (${head}): ${q} query × ${k} key tokens`;
    }
    case "thumbnails": {
      const [L, H, q] = (d.pattern as Tensor).shape;
      return `Attention thumbnails: ${L} layers × ${H} heads, ${q} tokens`;
    }
    case "lines":
      return `Attention lines: ${(d.tokens as string[]).length} tokens`;
    case "headscores": {
      const lines = Object.entries(d.scores as Record<string, Tensor>).map(([k, t]) => {
        const i = argmax(t.data);
        return `  ${k}: top head L${Math.floor(i / t.shape[1])}H${i % t.shape[1]} (${f3(t.data[i])})`;
      });
      return ["Head scores", ...lines].join("\n");
    }
    case "probe": {
      const lines = (d.properties as { name: string; accuracy: (number | null)[]; control?: (number | null)[] }[]).map((p) => {
        const i = argmax(p.accuracy);
        const a = p.accuracy[i] ?? NaN;
        const sel = p.control ? `, selectivity ${f3(a - (p.control[i] ?? NaN))}` : "";
        return `  ${p.name}: best layer ${d.layers[i]} (accuracy ${f3(a)}${sel})`;
      });
      if (d.majority !== undefined) lines.push(`  majority baseline ${f3(d.majority)}`);
      return ["Probe accuracy by layer", ...lines].join("\n");
    }
    case "restoration": {
      const lines = ["hidden", "mlp", "attn"]
        .filter((k) => d[k])
        .map((k) => {
          const h = d[k] as Tensor;
          const i = argmax(h.data);
          const tok = (d.tokens as string[])[Math.floor(i / h.shape[1])];
          return `  ${k}: best restoration ${f3(h.data[i])} at token ${JSON.stringify(tok)}, layer ${i % h.shape[1]}`;
        });
      return [`Causal tracing of p(${JSON.stringify(d.answer)}): clean ${f3(d.pClean)}, corrupted ${f3(d.pCorrupted)}`, ...lines].join("\n");
    }
    case "patching": {
      const v = d.values as Tensor;
      const i = argmax(v.data);
      const c = i % v.shape[1];
      const col = d.kind === "position" ? `position ${c}` : d.kind === "module" ? (d.columns as string[])[c] : `head ${c}`;
      const exact = d.exact ? `; exact map beside it${typeof d.correlation === "number" ? ` (Pearson r = ${f3(d.correlation)})` : ""}` : "";
      return `${d.title ?? "Activation patching"} (${d.metric}): largest ${f3(v.data[i])} at layer ${Math.floor(i / v.shape[1])}, ${col}${exact}`;
    }
    case "attribution": {
      const taus = Object.entries((d.tau ?? {}) as Record<string, number>).map(([k, t]) => `${k} τ=${f3(t)}`);
      return `Attribution over ${(d.tokens as string[]).length} tokens${taus.length ? ` (${taus.join(", ")})` : ""}`;
    }
    case "explore":
      // The playground (lib/widget/explore.ts) describes itself; this is its plain fallback.
      return `Playground: ${JSON.stringify(d.prompt)}, layer ${d.layer}, head ${d.head}`;
    case "lens": {
      const t = d.top as Tensor;
      const [n, P, k] = t.shape;
      const out = (d.topTokens as string[][][])[n - 1];
      return `Logit lens: ${n} layers × ${P} positions; output top-1 at the last position ${JSON.stringify(out[P - 1][0])} (${f3(t.data[((n - 1) * P + P - 1) * k])})`;
    }
  }
}
