/**
 * Rich display: turning values into Jupyter mime bundles, and showing them from code.
 * Any object with a method [DISPLAY]() returning a mime bundle (or another displayable,
 * e.g. a Widget) is shown through that; tf.Tensor values show dtype, shape and a preview.
 */
import { inspect } from "util";
import { randomBytes } from "crypto";
import { requireTransport, type JSONObject, type MimeBundle } from "./transport";

/** The protocol symbol: `obj[DISPLAY]()` returns a mime bundle or a displayable. */
export const DISPLAY: unique symbol = Symbol.for("attnlab.display") as never;

export interface Displayable {
  [DISPLAY](): MimeBundle | Displayable;
}

export function isDisplayable(v: unknown): v is Displayable {
  return v !== null && (typeof v === "object" || typeof v === "function") && typeof (v as Displayable)[DISPLAY] === "function";
}

interface TensorLike {
  shape: number[];
  dtype: string;
  isDisposed?: boolean;
  toString(verbose?: boolean): string;
}

/** Duck-typed so that any copy of tfjs (or none at all) works. */
export function isTensorLike(v: unknown): v is TensorLike {
  if (v === null || typeof v !== "object") return false;
  const t = v as Record<string, unknown>;
  return Array.isArray(t.shape) && typeof t.dtype === "string" && typeof t.dataSync === "function" && typeof t.rankType === "string";
}

function tensorText(t: TensorLike): string {
  const head = `Tensor ${t.dtype} [${t.shape.join(", ")}]`;
  if (t.isDisposed) return `${head} (disposed)`;
  // tfjs' own printer already elides the middle of large dimensions.
  const body = t.toString().replace(/^Tensor\s*\n?/, "");
  return `${head}\n${body}`;
}

/** The mime bundle shown for `value`, or undefined for undefined (nothing to show). */
export function toMimeBundle(value: unknown, depth = 0): MimeBundle | undefined {
  if (value === undefined) return undefined;
  if (isDisplayable(value)) {
    if (depth > 4) throw new Error("[Symbol.for('attnlab.display')]() keeps returning displayables (cycle?)");
    const out = value[DISPLAY]();
    if (isDisplayable(out)) return toMimeBundle(out, depth + 1);
    if (out === null || typeof out !== "object") {
      throw new Error(
        `[Symbol.for('attnlab.display')]() must return a mime bundle object (e.g. {"text/html": "..."}), got ${typeof out}`,
      );
    }
    return out;
  }
  if (isTensorLike(value)) return { "text/plain": tensorText(value) };
  return { "text/plain": inspect(value, { depth: 4, maxArrayLength: 50, maxStringLength: 10000, breakLength: 100 }) };
}

export function newDisplayId(): string {
  return randomBytes(8).toString("hex");
}

/** A handle on one output area entry that can be replaced later. */
export interface DisplayHandle {
  readonly displayId: string;
  update(value: unknown): void;
}

/**
 * Shows `value` in the current cell's output (display_data). Returns a handle whose
 * update() replaces that output in place (update_display_data with the same display_id).
 */
export function display(value: unknown, opts: { displayId?: string; metadata?: JSONObject } = {}): DisplayHandle {
  const transport = requireTransport("display()");
  const displayId = opts.displayId ?? newDisplayId();
  const bundle = toMimeBundle(value) ?? { "text/plain": "undefined" };
  transport.display(bundle, { displayId, metadata: opts.metadata });
  return { displayId, update: (v: unknown) => updateDisplay(displayId, v) };
}

/** Replaces every output shown under `displayId` with `value`. */
export function updateDisplay(displayId: string, value: unknown): void {
  if (typeof displayId !== "string" || displayId.length === 0) {
    throw new Error(`updateDisplay: displayId must be a non-empty string, got ${JSON.stringify(displayId)}`);
  }
  const transport = requireTransport("updateDisplay()");
  transport.display(toMimeBundle(value) ?? { "text/plain": "undefined" }, { displayId, update: true });
}

/** Clears the current cell's output; with wait, only once new output arrives (no flicker). */
export function clearOutput(opts: { wait?: boolean } = {}): void {
  const transport = requireTransport("clearOutput()");
  if (!transport.clearOutput) throw new Error("clearOutput(): this kernel's transport cannot clear output");
  transport.clearOutput(!!opts.wait);
}
