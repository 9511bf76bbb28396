// The BertViz-style lines' data (views/lines.ts).
import { checkObject, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface LinesData {
  /** [query, key] for one head, or [layer, head, query, key]. */
  pattern: Tensor;
  tokens: string[];
  layer?: number;
  head?: number;
  title?: string;
}

export function checkLines(data: unknown): void {
  const d = checkObject("{pattern, tokens} for the lines", data) as unknown as LinesData;
  const p = checkTensor("pattern", d.pattern, [2, 4]);
  const [rows, cols] = p.shape.slice(-2);
  if (rows !== cols) throw new Error(`pattern: the lines view needs a square [query, key] pattern, got [${rows}, ${cols}]`);
  checkTokens("tokens", d.tokens, cols);
}
