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
  const shown = resolveDisplay(value);
  if (shown) return toMimeBundle(shown, depth + 1);
  return { "text/plain": textSummary(value) };
}

/** Turns a value nothing else knows how to show into a displayable (e.g. a method result into its figure). */
export type DisplayResolver = (value: unknown) => Displayable | undefined;

// A module variable like the transport's: the kernel's entry point and the cells share this file.
const RESOLVER_LIST: DisplayResolver[] = [];

function resolvers(): DisplayResolver[] {
  return RESOLVER_LIST;
}

/**
 * Registers `fn`, asked (newest first) for every plain object shown as a cell result or with
 * display(). The kernel's entry point registers lib/figures' resolver, which maps method
 * results to figures; lib/widget never imports lib/figures. Returns a function that unregisters `fn`.
 */
export function registerDisplayResolver(fn: DisplayResolver): () => void {
  if (typeof fn !== "function") throw new Error(`registerDisplayResolver: fn must be a function (value) => Displayable | undefined, got ${typeof fn}`);
  const list = resolvers();
  if (!list.includes(fn)) list.unshift(fn);
  return () => {
    const i = list.indexOf(fn);
    if (i >= 0) list.splice(i, 1);
  };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** The first resolver's displayable for a plain object; a throwing resolver is skipped (the text summary shows instead). */
function resolveDisplay(value: unknown): Displayable | undefined {
  if (!isPlainObject(value)) return undefined;
  for (const fn of [...resolvers()]) {
    let out: Displayable | undefined;
    try {
      out = fn(value);
    } catch (e) {
      if (process.env.ATTNLAB_DEBUG_DISPLAY) console.error("attnlab: display resolver failed:", e);
      continue;
    }
    if (out !== undefined && isDisplayable(out)) return out;
  }
  return undefined;
}

const TYPED_NAMES = /^(Float32|Float64|Int8|Int16|Int32|Uint8|Uint8Clamped|Uint16|Uint32|BigInt64|BigUint64)Array$/;

function isTypedArray(v: unknown): v is ArrayBufferView & { length: number } {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && TYPED_NAMES.test(v.constructor.name);
}

/** Prints as the given text in util.inspect output (no quotes). */
function label(text: string): object {
  return { [inspect.custom]: () => text };
}

/**
 * A copy of `v` where typed arrays read `Float32Array[4, 4]`: the shape when a sibling
 * `shape` (or the result's `shape`) accounts for their length, else their length. Method
 * results hold many large arrays; their values are for figures and code, not for reading.
 */
function summariseArrays(v: unknown, shape: number[] | undefined, seen: Set<object>, depth: number): unknown {
  if (isTypedArray(v)) {
    const n = shape ? shape.reduce((a, b) => a * b, 1) : -1;
    return label(`${v.constructor.name}[${n === v.length ? shape!.join(", ") : v.length}]`);
  }
  if (v === null || typeof v !== "object" || seen.has(v) || depth > 6) return v;
  if (!Array.isArray(v) && !isPlainObject(v)) return v;
  seen.add(v);
  if (Array.isArray(v)) return v.map((x) => summariseArrays(x, shape, seen, depth + 1));
  const own = Array.isArray(v.shape) && v.shape.every((x) => typeof x === "number") ? (v.shape as number[]) : shape;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = summariseArrays(x, own, seen, depth + 1);
  return out;
}

/**
 * The text/plain shown for values without a richer display. Objects with a `kind` (method
 * results) get their typed arrays summarised as `Float32Array[shape]`.
 */
export function textSummary(value: unknown): string {
  const isResult = isPlainObject(value) && typeof value.kind === "string";
  const shown = isResult ? summariseArrays(value, undefined, new Set(), 0) : value;
  return inspect(shown, { depth: 4, maxArrayLength: isResult ? 20 : 50, maxStringLength: 10000, breakLength: 100 });
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
