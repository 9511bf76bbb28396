// The head-score grid's data (views/headscores.ts; kernel side HeadScoresFigure in lib/figures/widgets.ts).
import { checkObject, checkShape, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface HeadScoresData {
  /** Pattern type → scores [layer, head]. */
  scores: Record<string, Tensor>;
  kind?: string;
  title?: string;
  /**
   * The attention patterns the scores were computed from, so a click opens a head's heatmap:
   * `pattern` [layer, head, query, key] in the figure, or absent when the kernel keeps the
   * patterns and answers `requestHead`. Rows of the grid are the pattern's layers.
   */
  heads?: { tokens: string[]; queryTokens?: string[]; pattern?: Tensor; layers?: number[] };
}

/** Checks the data; returns the grid's [layers, heads]. */
export function checkHeadScores(data: unknown): [number, number] {
  const d = checkObject("{scores: {name: [layer, head] tensor, ...}} for the head scores", data) as unknown as HeadScoresData;
  const kinds = Object.keys(d.scores ?? {});
  if (kinds.length === 0) throw new Error("scores: expected at least one pattern type with a [layer, head] tensor");
  let shape: number[] | null = null;
  for (const k of kinds) {
    const t = checkTensor(`scores["${k}"]`, d.scores[k], [2]);
    if (shape) checkShape(`scores["${k}"]`, t, shape, "the others");
    shape = t.shape;
  }
  const [nLayers, nHeads] = shape!;
  const heads = d.heads;
  if (heads != null) {
    if (heads.pattern != null) {
      const p = checkTensor("heads.pattern", heads.pattern, [4]);
      if (p.shape[0] !== nLayers || p.shape[1] !== nHeads) {
        throw new Error(`heads.pattern: expected [${nLayers}, ${nHeads}, query, key] like the scores, got [${p.shape.join(", ")}]`);
      }
      checkTokens("heads.tokens", heads.tokens, p.shape[3]);
    } else if (!Array.isArray(heads.tokens)) throw new Error("heads.tokens: expected the token strings of the patterns");
  }
  return [nLayers, nHeads];
}
