// The head grid of small maps' data (views/thumbnails.ts).
import { checkObject, checkTensor, checkTokens, type Tensor } from "./tensor";

export interface ThumbnailsData {
  /** [layer, head, query, key] */
  pattern: Tensor;
  tokens?: string[];
  title?: string;
}

export function checkThumbnails(data: unknown): void {
  const d = checkObject("{pattern, tokens?} for the thumbnails", data) as unknown as ThumbnailsData;
  const p = checkTensor("pattern", d.pattern, [4]);
  if (d.tokens != null) checkTokens("tokens", d.tokens, p.shape[3]);
}
