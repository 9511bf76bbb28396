// The token-importance rows' data (views/attribution.ts): attention against other measures.
import { checkObject, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface AttributionData {
  tokens: string[];
  /** The attention each token receives, [token]. */
  attention: Tensor;
  /** Other importance measures, each [token] (gradient, leave-one-out, …). */
  measures: { name: string; values: Tensor }[];
  /** Kendall τ of each measure against attention; computed here when missing. */
  tau?: Record<string, number>;
  /** Which tokens τ leaves out, as the method computed it (Jain & Wallace drop the first and last). */
  tauNote?: string;
  /** What is being explained, e.g. "prediction: positive (0.93)". */
  target?: string;
  title?: string;
}

export function checkAttribution(data: unknown): void {
  const d = checkObject("{tokens, attention, measures} for the attribution rows", data) as unknown as AttributionData;
  const n = checkTensor("attention", d.attention, [1]).shape[0];
  checkTokens("tokens", d.tokens, n);
  if (!Array.isArray(d.measures)) throw new Error("measures: expected an array of {name, values}");
  for (const m of d.measures) {
    const t = checkTensor(`measures["${m?.name}"].values`, m?.values, [1]);
    if (t.shape[0] !== n) throw new Error(`measures["${m.name}"].values: expected ${n} values, got ${t.shape[0]}`);
  }
}
