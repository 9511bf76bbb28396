/**
 * Makes a method result that is a cell's last expression (or passed to display()) show as
 * its figure: lib/widget asks its display resolvers about plain objects, and this one maps
 * any object with a `kind` that figure() knows. The kernel's entry point (kernel/main.ts)
 * registers it with registerDisplayResolver; lib/widget never imports lib/figures.
 */
import { textSummary, DISPLAY, type Displayable, type MimeBundle } from "../widget";
import { figure } from "./figure";

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
