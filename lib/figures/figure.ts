/**
 * figure(x): the widget that shows a method result, a raw pattern tensor, or explicit
 * view data. Results are recognised by their `kind`:
 *   "attention-pattern"    → heatmap (one head, or all heads of the layer with selectors)
 *   "head-scores"          → head-score grid (one menu entry per score)
 *   "induction-scores"     → head-score grid (prefix matching, copying)
 *   "activation-patching"  → patching map ([layer, pos] or [layer, head])
 *   "causal-trace"         → restoration map (hidden / MLP / attention panels, ROME layout)
 *   "probe-results", "attribution", "adversarial-attention", "ablation", "head-detection",
 *   "logit-lens", "logit-attribution", "attribution-patching", "attribution-patching-grid"
 *                          → see results.ts (probe, attribution, patching grid, head scores, lens)
 * "attention-permutation", "icl-score" and "k-composition" have no view: figure() says so.
 * A tensor {data, shape} of rank 2–4 with `tokens` is a pattern → heatmap. Any object with
 * `view` (heatmap, thumbnails, lines, headscores, probe, restoration, patching,
 * attribution, lens) is taken as that renderer's data, e.g. figure({view: "restoration", ...}).
 */
import { FIGURE_VIEWS, isFloat32, type FigureView, type HeatmapData, type PatchingData, type RestorationData, type Tensor } from "../../widgets/src/contract";
import { FigureWidget, HeadScoresFigure, HeatmapFigure, type HeadPatterns, type HeatmapFigureOptions } from "./widgets";
import { ablationData, adversarialData, attributionData, attributionPatchingData, detectionData, lensData, logitAttributionData, probeData } from "./results";

const VIEWS: FigureView[] = FIGURE_VIEWS;

/** Result kinds of lib/methods that no view shows, and what to do instead. */
const NO_VIEW: Record<string, string> = {
  "attention-permutation": "it is a distribution of output changes; print medianTvd / medianJsd, or plot r.tvd yourself",
  "icl-score": "it is one number (r.score) and a loss curve (r.lossByPosition)",
  "k-composition": "it is a [layer, head, layer, head] tensor; slice one later head's row and pass {view: \"headscores\", scores: {...}}",
};

function isTensor(x: unknown): x is Tensor {
  return !!x && typeof x === "object" && isFloat32((x as Tensor).data) && Array.isArray((x as Tensor).shape);
}

/** The activation cache of runWithCache (duck-typed: lib/figures does not import the model). */
interface CacheLike {
  names(): string[];
  get(name: string): { shape: number[]; dataSync(): ArrayLike<number> };
}

function isCache(x: unknown): x is CacheLike {
  const c = x as CacheLike;
  return !!c && typeof c === "object" && typeof c.names === "function" && typeof c.get === "function";
}

/**
 * Every layer's attention pattern held in a cache, as [layer, head, query, key] with the layer
 * numbers; `batch` picks the sequence. Throws when the cache holds no hook_pattern.
 */
function cachePatterns(cache: CacheLike, batch: number): { pattern: Tensor; layers: number[] } {
  const found = cache
    .names()
    .map((n) => ({ n, m: /^blocks\.(\d+)\.attn\.hook_pattern$/.exec(n) }))
    .filter((e) => e.m)
    .map((e) => ({ name: e.n, layer: Number(e.m![1]) }))
    .sort((a, b) => a.layer - b.layer);
  if (found.length === 0) throw new Error('figure(cache, tokens): the cache holds no "blocks.L.attn.hook_pattern"; run runWithCache without a names filter, or include the patterns');
  const first = cache.get(found[0].name).shape; // [batch, head, query, key]
  if (first.length !== 4) throw new Error(`figure(cache, tokens): expected hook_pattern [batch, head, query, key], got shape [${first.join(", ")}]`);
  const [B, H, Q, K] = first;
  if (!(Number.isInteger(batch) && batch >= 0 && batch < B)) throw new Error(`figure(cache, tokens): opts.batch must be an integer in [0, ${B}), got ${batch}`);
  const out = new Float32Array(found.length * H * Q * K);
  found.forEach((f, li) => {
    const d = cache.get(f.name).dataSync();
    out.set(Array.prototype.slice.call(d, batch * H * Q * K, (batch + 1) * H * Q * K) as number[], li * H * Q * K);
  });
  return { pattern: { data: out, shape: [found.length, H, Q, K] }, layers: found.map((f) => f.layer) };
}

/**
 * For the head-score kinds: the patterns behind the grid, so a click opens that head's heatmap.
 * `patterns` is runWithCache's cache, an attentionPattern result over [layer, head, q, k], or a
 * [layer, head, q, k] tensor; the tokens come from the second argument or the result (one prompt).
 */
function headPatterns(r: Record<string, unknown>, patterns: unknown, tokens: string[] | undefined, batch: number): HeadPatterns {
  let pattern: Tensor;
  let layers: number[] | undefined;
  let toks = tokens;
  if (isCache(patterns)) ({ pattern, layers } = cachePatterns(patterns, batch));
  else if (isTensor(patterns)) {
    const p = patterns as Tensor & { kind?: string; tokens?: string[]; settings?: { layers?: number[]; layer?: number } };
    // [head, q, k] is one layer's (attentionPattern without a head): right for a one-layer grid.
    if (p.shape.length !== 4 && p.shape.length !== 3) throw new Error(`figure(scores, {patterns}): patterns must be [layer, head, query, key] for every layer of the grid, got shape [${p.shape.join(", ")}]`);
    pattern = p.shape.length === 4 ? { data: p.data, shape: p.shape } : { data: p.data, shape: [1, ...p.shape] };
    layers = p.shape.length === 4 ? p.settings?.layers : [p.settings?.layer ?? 0];
    toks ??= p.tokens;
  } else throw new Error("figure(scores, {patterns}): patterns must be runWithCache's cache, an attentionPattern result over all layers, or a [layer, head, query, key] tensor");
  const own = r.tokens as string[][] | undefined;
  if (!toks && Array.isArray(own) && own.length === 1) toks = own[0];
  if (!toks) throw new Error("figure(scores, tokens, {patterns}): give the token strings of the patterns (model.toStrTokens(input)) as the second argument");
  return { pattern, tokens: toks, layers };
}

/**
 * A patching metric by its token strings: activationPatching's settings carry the answer and
 * wrong tokens as strings for a logit difference (`logit diff " Mary" − " John"`), never ids.
 */
function metricLabel(st: { metric?: string; answer?: unknown; wrong?: unknown } | undefined): string {
  if (typeof st?.answer === "string" && typeof st?.wrong === "string") return `logit diff ${JSON.stringify(st.answer)} − ${JSON.stringify(st.wrong)}`;
  return st?.metric ?? "metric";
}

type FigureOptions = HeatmapFigureOptions & { batch?: number; patterns?: unknown };

export function figure(x: unknown, tokensOrOptions?: string[] | FigureOptions, options: FigureOptions = {}): FigureWidget {
  if (isCache(x)) {
    // runWithCache's cache: every layer's heatmap, with Layer and Head menus.
    if (!Array.isArray(tokensOrOptions)) throw new Error("figure(cache, tokens): a cache needs the token strings as the second argument (model.toStrTokens(input))");
    const { batch = 0, ...rest } = options;
    const { pattern, layers } = cachePatterns(x, batch);
    return new HeatmapFigure(pattern, tokensOrOptions, { ...rest, layers });
  }
  if (isTensor(x) && !("kind" in (x as object))) {
    if (!Array.isArray(tokensOrOptions)) throw new Error("figure(pattern, tokens): a raw pattern tensor needs its token strings as the second argument");
    return new HeatmapFigure(x, tokensOrOptions, options);
  }
  if (!x || typeof x !== "object") throw new Error(`figure: expected a method result, a pattern tensor or {view, ...data}, got ${x === null ? "null" : typeof x}`);
  const r = x as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  const opts = (Array.isArray(tokensOrOptions) ? options : tokensOrOptions) ?? {};
  const tokensArg = Array.isArray(tokensOrOptions) ? tokensOrOptions : undefined;
  // A head-score grid with the patterns at hand: a click opens the head's heatmap.
  const grid = (data: { scores: Record<string, Tensor>; title?: string }): FigureWidget =>
    opts.patterns === undefined ? new FigureWidget("headscores", data) : new HeadScoresFigure(data, headPatterns(r, opts.patterns, tokensArg, opts.batch ?? 0), { maxBytes: opts.maxBytes });
  if (typeof r.view === "string") {
    if (!VIEWS.includes(r.view as FigureView)) throw new Error(`figure: view must be one of ${VIEWS.join(", ")}, got ${JSON.stringify(r.view)}`);
    const { view, options: viewOptions, ...data } = r;
    return new FigureWidget(view as FigureView, data, viewOptions ?? {});
  }
  switch (r.kind) {
    case "attention-pattern": {
      const layer: number = r.settings?.layer ?? 0;
      const pattern = { data: r.data as Float32Array, shape: r.shape as number[] };
      if (r.shape.length === 2) {
        // One head was asked for: show it, labelled with its real layer and head.
        return new FigureWidget("heatmap", { pattern, tokens: r.tokens, layer, head: r.settings?.head ?? 0, title: opts.title } satisfies HeatmapData, opts);
      }
      // [head, q, k] for one layer; [layer, head, q, k] for several (settings.layers names them).
      const layers: number[] = r.shape.length === 4 ? (r.settings?.layers ?? Array.from({ length: r.shape[0] }, (_, i) => i)) : [layer];
      return new HeatmapFigure(pattern, r.tokens, { ...opts, layers, layer: layers.includes(layer) ? layer : layers[0] });
    }
    case "head-scores": {
      const [L, H] = r.shape as [number, number];
      const scores: Record<string, Tensor> = {};
      for (const [k, v] of Object.entries(r.scores as Record<string, Float32Array>)) scores[k] = { data: v, shape: [L, H] };
      return grid({ scores, title: opts.title ?? "Head scores" });
    }
    case "induction-scores": {
      const shape = r.shape as number[];
      return grid({
        scores: { "prefix matching": { data: r.prefixMatching, shape }, copying: { data: r.copying, shape } },
        title: opts.title ?? "Induction head scores",
      });
    }
    case "activation-patching": {
      const shape = r.shape as number[];
      if (shape.length !== 2) {
        throw new Error(`figure: activation patching over [${(r.dims ?? []).join(", ")}] has rank ${shape.length}; the patching map shows rank-2 results ([layer, pos] or [layer, head])`);
      }
      const byHead = r.dims?.[1] === "head";
      return new FigureWidget("patching", {
        values: { data: r.data, shape },
        kind: byHead ? "head" : "position",
        tokens: byHead ? undefined : r.tokens,
        metric: `normalised ${metricLabel(r.settings)} (0 corrupted, 1 clean)`,
        activation: r.site,
        title: opts.title,
      } satisfies PatchingData);
    }
    case "causal-trace": {
      const shape = r.shape as number[];
      const grid = (k: string) => (r.grids?.[k] ? { data: r.grids[k].scores as Float32Array, shape } : undefined);
      const st = r.settings ?? {};
      return new FigureWidget("restoration", {
        tokens: r.tokens,
        subject: r.subjectRange,
        hidden: grid("hidden"),
        mlp: grid("mlp"),
        attn: grid("attn"),
        pClean: r.pClean,
        pCorrupted: r.pCorrupted,
        answer: r.answer?.token ?? String(r.answer),
        settings: {
          samples: st.samples,
          noise: st.noise !== undefined ? `${Number(st.noise).toPrecision(3)}${st.noiseStdOver ? ` (${st.noiseStdOver})` : ""}` : undefined,
          window: st.window,
          seed: st.seed,
          ...(r.partial ? { partial: "yes (cancelled)" } : {}),
        },
        title: opts.title,
      } satisfies RestorationData);
    }
    case "probe-results":
      return new FigureWidget("probe", probeData(r, opts.title));
    case "attribution":
      return new FigureWidget("attribution", attributionData(r, opts.title));
    case "adversarial-attention":
      return new FigureWidget("attribution", adversarialData(r, opts.title));
    case "ablation":
      return new FigureWidget("patching", ablationData(r, opts.title));
    case "head-detection":
      return grid(detectionData(r, opts.title) as { scores: Record<string, Tensor> });
    case "logit-lens":
      return new FigureWidget("lens", lensData(r, opts.title));
    case "logit-attribution":
      return new FigureWidget("patching", logitAttributionData(r, opts.title));
    case "attribution-patching":
    case "attribution-patching-grid":
      return new FigureWidget("patching", attributionPatchingData(r, opts.title));
    default:
      if (typeof r.kind === "string" && NO_VIEW[r.kind]) throw new Error(`figure: a "${r.kind}" result has no view: ${NO_VIEW[r.kind]}`);
      throw new Error(
        `figure: no view for result kind ${JSON.stringify(r.kind)}; pass a pattern tensor with tokens, or {view: "<${VIEWS.join("|")}>", ...data}`,
      );
  }
}
