// The causal-tracing restoration map's data (views/restoration.ts).
import { checkObject, checkShape, checkTensor, checkTokens, type Tensor } from "./tensor";

export type RestorationKind = "hidden" | "mlp" | "attn";
export const RESTORATION_KINDS: readonly RestorationKind[] = ["hidden", "mlp", "attn"];

export interface RestorationData {
  tokens: string[];
  /** [start, end) of the corrupted subject tokens. */
  subject: [number, number];
  /** p(answer) after restoring, each [token, layer]; any non-empty subset of the three. */
  hidden?: Tensor;
  mlp?: Tensor;
  attn?: Tensor;
  pClean: number;
  pCorrupted: number;
  answer: string;
  /** Shown under the title: samples, noise level, window, seed… (entries without a value are left out). */
  settings?: Record<string, string | number | undefined>;
  title?: string;
}

/** Checks the data; returns the grids it holds (in panel order) and their [token, layer] size. */
export function checkRestoration(data: unknown): { kinds: RestorationKind[]; nTok: number; nLayers: number } {
  const d = checkObject("{tokens, subject, hidden/mlp/attn, pClean, pCorrupted, answer} for the restoration map", data) as unknown as RestorationData;
  const kinds = RESTORATION_KINDS.filter((k) => d[k] != null);
  if (kinds.length === 0) throw new Error("hidden/mlp/attn: expected at least one [token, layer] grid of p(answer)");
  const [nTok, nLayers] = checkTensor(kinds[0], d[kinds[0]], [2]).shape;
  checkTokens("tokens", d.tokens, nTok);
  for (const k of kinds.slice(1)) checkShape(k, checkTensor(k, d[k], [2]), [nTok, nLayers], kinds[0]);
  const [s0, s1] = d.subject ?? [NaN, NaN];
  if (!(Number.isInteger(s0) && Number.isInteger(s1) && 0 <= s0 && s0 < s1 && s1 <= nTok)) {
    throw new Error(`subject: expected [start, end) with 0 ≤ start < end ≤ ${nTok}, got ${JSON.stringify(d.subject)}`);
  }
  for (const k of ["pClean", "pCorrupted"] as const) {
    if (typeof d[k] !== "number" || !(d[k] >= 0 && d[k] <= 1)) throw new Error(`${k}: expected a probability in [0, 1], got ${d[k]}`);
  }
  return { kinds, nTok, nLayers };
}
