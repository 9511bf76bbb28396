/**
 * Makes a method result that is a cell's last expression (or passed to display()) show as
 * its figure: lib/widget asks its display resolvers about plain objects, and this one maps
 * any object with a `kind` that figure() knows. Loaded by lib/figures/index.ts, so importing
 * attnlab is enough; lib/widget never imports lib/figures.
 */
import { registerDisplayResolver, textSummary, DISPLAY, type Displayable, type MimeBundle } from "../widget";
import { figure } from "./figure";

const KEY = Symbol.for("attnlab.figureResolver");
type Holder = { [KEY]?: boolean };

/** A result figure() rejects for its data (not its kind): the summary, with the reason. */
function explained(value: object, reason: string): Displayable {
  return { [DISPLAY]: (): MimeBundle => ({ "text/plain": `${textSummary(value)}\n(no figure: ${reason})` }) };
}

export function resolveFigure(value: unknown): Displayable | undefined {
  const r = value as { kind?: unknown; view?: unknown };
  if (!r || typeof r !== "object" || typeof r.kind !== "string" || "view" in r) return undefined;
  try {
    return figure(r);
  } catch (e) {
    const msg = (e as Error).message;
    // Kinds without a view (permutation, ICL, K-composition, anyone's own kind) keep the text summary.
    if (/no view/.test(msg)) return undefined;
    return explained(r, msg.replace(/^figure: /, ""));
  }
}

// Once per process, however many copies of lib/figures get loaded.
const g = globalThis as unknown as Holder;
if (!g[KEY]) {
  g[KEY] = true;
  registerDisplayResolver(resolveFigure);
}
