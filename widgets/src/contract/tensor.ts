// The tensors a view receives and the checks every view's data goes through (on both sides:
// lib/figures before sending, the renderer before drawing). Pure: no DOM, no Jupyter.

/** A dense float tensor as it crosses from the kernel: row-major data plus its shape. */
export interface Tensor {
  data: Float32Array;
  shape: number[];
}

/**
 * True for a Float32Array from any realm: tfjs-node's native backend makes its arrays in the
 * main realm, which `instanceof` does not recognise inside a vm context (jest, tslab cells).
 */
export function isFloat32(x: unknown): x is Float32Array {
  return x instanceof Float32Array || (ArrayBuffer.isView(x) && Object.prototype.toString.call(x) === "[object Float32Array]");
}

/** How a bad value is named in a message: null, undefined, "an array of length 3", "an object with keys a, b", a type. */
export function describe(v: unknown): string {
  if (v === undefined || v === null) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object with keys ${Object.keys(v as object).join(", ")}` : typeof v;
}

/** Throws a clear error unless `t` is a Float32Array tensor of the given rank whose length matches its shape. */
export function checkTensor(name: string, t: unknown, ranks: number[]): Tensor {
  const v = t as Tensor | undefined;
  if (!v || !isFloat32(v.data) || !Array.isArray(v.shape)) {
    throw new Error(`${name}: expected {data: Float32Array, shape: number[]}, got ${describe(t)}`);
  }
  if (!ranks.includes(v.shape.length)) {
    throw new Error(`${name}: expected a tensor of rank ${ranks.join(" or ")}, got shape [${v.shape.join(", ")}]`);
  }
  const n = v.shape.reduce((a, b) => a * b, 1);
  if (n !== v.data.length) {
    throw new Error(`${name}: shape [${v.shape.join(", ")}] needs ${n} values, data has ${v.data.length}`);
  }
  return v;
}

/** `shape` is exactly `want` (e.g. a second map like the first): throws naming both. */
export function checkShape(name: string, t: Tensor, want: number[], like?: string): void {
  if (t.shape.length !== want.length || t.shape.some((s, i) => s !== want[i])) {
    throw new Error(`${name}: expected shape [${want.join(", ")}]${like ? ` like ${like}` : ""}, got [${t.shape.join(", ")}]`);
  }
}

/** Throws unless `tokens` is an array of `n` strings (any length when n is undefined). */
export function checkTokens(name: string, tokens: unknown, n?: number): string[] {
  if (!Array.isArray(tokens) || (n !== undefined && tokens.length !== n) || tokens.some((t) => typeof t !== "string")) {
    throw new Error(`${name}: expected ${n ?? "an array of"} token strings, got ${describe(tokens)}`);
  }
  return tokens as string[];
}

/** Throws unless `data` is an object (the first thing every view's check asks). */
export function checkObject(what: string, data: unknown): Record<string, unknown> {
  if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error(`data: expected ${what}, got ${describe(data)}`);
  return data as Record<string, unknown>;
}
