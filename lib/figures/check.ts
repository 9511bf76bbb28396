/**
 * Entry checks for figure data, done in the kernel so a bad argument fails in the cell
 * that made it (with its name) rather than as a broken view in the browser.
 */
import { isFloat32, type FigureView } from "../../widgets/src/protocol";

/** A figure view's name: the front end's table of views (widgets/src/protocol.ts VIEW_NAMES) is the one list. */
export type ViewKind = FigureView;

export interface Tensorish {
  data: Float32Array;
  shape: number[];
}

export function checkTensor(name: string, t: unknown, ranks: number[]): Tensorish {
  const v = t as Tensorish;
  if (!v || !isFloat32(v.data) || !Array.isArray(v.shape)) {
    throw new Error(`${name}: expected {data: Float32Array, shape: number[]}, got ${t === null ? "null" : typeof t}`);
  }
  if (!ranks.includes(v.shape.length)) throw new Error(`${name}: expected rank ${ranks.join(" or ")}, got shape [${v.shape.join(", ")}]`);
  const n = v.shape.reduce((a, b) => a * b, 1);
  if (n !== v.data.length) throw new Error(`${name}: shape [${v.shape.join(", ")}] needs ${n} values, data has ${v.data.length}`);
  return v;
}

function checkStrings(name: string, v: unknown, n?: number): string[] {
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string") || (n !== undefined && v.length !== n)) {
    throw new Error(`${name}: expected ${n ?? "an array of"} token strings, got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`);
  }
  return v as string[];
}

/** Validates the data object a view will receive (the same checks the renderer makes, minus the DOM). */
export function checkFigureData(view: ViewKind, data: object): void {
  const d = data as Record<string, unknown>;
  if (!d || typeof d !== "object") throw new Error(`data: expected an object for the ${view} view, got ${typeof data}`);
  switch (view) {
    case "heatmap": {
      // A long context held by the kernel crosses as its overview (pooled pixels) instead of the pattern.
      if (d.pattern == null && d.overview != null) {
        checkTensor("overview", d.overview, [2]);
        checkStrings("tokens", d.tokens);
        break;
      }
      const p = checkTensor("pattern", d.pattern, [2, 4]);
      checkStrings("tokens", d.tokens, p.shape[p.shape.length - 1]);
      break;
    }
    case "thumbnails":
      checkTensor("pattern", d.pattern, [4]);
      break;
    case "lines": {
      const p = checkTensor("pattern", d.pattern, [2, 4]);
      checkStrings("tokens", d.tokens, p.shape[p.shape.length - 1]);
      break;
    }
    case "headscores": {
      const s = d.scores as Record<string, unknown>;
      if (!s || typeof s !== "object" || Object.keys(s).length === 0) throw new Error("scores: expected {name: [layer, head] tensor, ...}");
      for (const [k, v] of Object.entries(s)) checkTensor(`scores["${k}"]`, v, [2]);
      const heads = d.heads as { tokens?: unknown; pattern?: unknown } | undefined;
      if (heads != null) {
        if (heads.pattern != null) {
          const p = checkTensor("heads.pattern", heads.pattern, [4]);
          checkStrings("heads.tokens", heads.tokens, p.shape[3]);
        } else checkStrings("heads.tokens", heads.tokens);
      }
      break;
    }
    case "probe":
      if (!Array.isArray(d.layers) || !Array.isArray(d.properties)) throw new Error("probe: expected {layers: number[], properties: [...]}");
      break;
    case "restoration": {
      const kinds = ["hidden", "mlp", "attn"].filter((k) => d[k] != null);
      if (kinds.length === 0) throw new Error("hidden/mlp/attn: expected at least one [token, layer] grid of p(answer)");
      for (const k of kinds) checkTensor(k, d[k], [2]);
      checkStrings("tokens", d.tokens, (d[kinds[0]] as Tensorish).shape[0]);
      break;
    }
    case "patching": {
      const v = checkTensor("values", d.values, [2]);
      if (d.kind === "position") checkStrings("tokens", d.tokens, v.shape[1]);
      if (d.kind === "module") checkStrings("columns", d.columns, v.shape[1]);
      break;
    }
    case "attribution": {
      const a = checkTensor("attention", d.attention, [1]);
      checkStrings("tokens", d.tokens, a.shape[0]);
      if (!Array.isArray(d.measures)) throw new Error("measures: expected an array of {name, values}");
      for (const m of d.measures as { name: string; values: unknown }[]) {
        const t = checkTensor(`measures["${m.name}"].values`, m.values, [1]);
        if (t.shape[0] !== a.shape[0]) throw new Error(`measures["${m.name}"].values: expected ${a.shape[0]} values, got ${t.shape[0]}`);
      }
      break;
    }
    case "lens": {
      const t = checkTensor("top", d.top, [3]);
      checkStrings("tokens", d.tokens, t.shape[1]);
      checkStrings("layers", d.layers, t.shape[0]);
      if (d.targetProb != null) checkTensor("targetProb", d.targetProb, [2]);
      break;
    }
  }
}
