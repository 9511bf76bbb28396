// The logit lens grid's data (views/lens.ts).
import { checkObject, checkShape, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface LensData {
  /** Input tokens, one per column. */
  tokens: string[];
  /** Row labels, e.g. "resid_pre 0" … "resid_post 11 (output)". */
  layers: string[];
  /** Top-k probabilities, [layer, pos, k], best first. */
  top: Tensor;
  /** Top-k token strings, [layer][pos][k]. */
  topTokens: string[][][];
  /** Probability of the target token, [layer, pos]. */
  targetProb?: Tensor;
  /** The target token's string (shown in the colour menu). */
  target?: string;
  title?: string;
}

export function checkLens(data: unknown): void {
  const d = checkObject("{tokens, layers, top, topTokens} for the logit lens", data) as unknown as LensData;
  const [nL, P, k] = checkTensor("top", d.top, [3]).shape;
  checkTokens("tokens", d.tokens, P);
  checkTokens("layers", d.layers, nL);
  const tt = d.topTokens;
  if (!Array.isArray(tt) || tt.length !== nL || tt.some((r) => !Array.isArray(r) || r.length !== P || r.some((c) => !Array.isArray(c) || c.length !== k))) {
    throw new Error(`topTokens: expected [${nL}][${P}][${k}] token strings (layer, position, rank)`);
  }
  if (d.targetProb != null) checkShape("targetProb", checkTensor("targetProb", d.targetProb, [2]), [nL, P]);
}
