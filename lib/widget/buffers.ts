/**
 * Splitting binary values out of widget state (ipywidgets buffer_paths) and putting
 * them back. Typed arrays and {data: TypedArray, shape} travel as raw buffers, never JSON.
 */
import type { JSONObject, JSONValue } from "./transport";

export type BufferPath = (string | number)[];

export interface SplitState {
  state: JSONObject;
  bufferPaths: BufferPath[];
  buffers: ArrayBufferView[];
}

function isBinary(v: unknown): v is ArrayBufferView {
  return ArrayBuffer.isView(v);
}

/** Copies `state`, replacing every ArrayBufferView by a hole recorded in bufferPaths. */
export function removeBuffers(state: { [key: string]: unknown }): SplitState {
  const bufferPaths: BufferPath[] = [];
  const buffers: ArrayBufferView[] = [];
  const walk = (value: unknown, path: BufferPath): JSONValue | undefined => {
    if (isBinary(value)) {
      bufferPaths.push(path);
      buffers.push(value);
      return undefined;
    }
    if (value instanceof ArrayBuffer) {
      bufferPaths.push(path);
      buffers.push(new Uint8Array(value));
      return undefined;
    }
    if (Array.isArray(value)) {
      // ipywidgets keeps array positions: binary entries become null.
      return value.map((v, i) => {
        const out = walk(v, [...path, i]);
        return out === undefined ? null : out;
      });
    }
    if (value !== null && typeof value === "object") {
      const out: JSONObject = {};
      for (const [k, v] of Object.entries(value as object)) {
        const w = walk(v, [...path, k]);
        if (w !== undefined) out[k] = w;
      }
      return out;
    }
    if (value === undefined) return null;
    if (typeof value === "number" && !Number.isFinite(value)) return null;
    return value as JSONValue;
  };
  const out: JSONObject = {};
  for (const [k, v] of Object.entries(state)) {
    const w = walk(v, [k]);
    if (w !== undefined) out[k] = w;
  }
  return { state: out, bufferPaths, buffers };
}

type TypedArrayCtor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView;

function lookup(root: unknown, path: BufferPath): unknown {
  let cur = root;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}

/** Views `buf` as the same typed-array type as `like` when the byte length allows it. */
export function viewLike(buf: Uint8Array, like: unknown): ArrayBufferView {
  if (isBinary(like) && !(like instanceof DataView)) {
    const ctor = (like as unknown as { constructor: TypedArrayCtor & { BYTES_PER_ELEMENT: number } }).constructor;
    const size = ctor.BYTES_PER_ELEMENT;
    if (buf.byteLength % size === 0) {
      // Copy so the view is aligned whatever the offset of the zmq frame.
      const copy = new Uint8Array(buf.byteLength);
      copy.set(buf);
      return new ctor(copy.buffer, 0, buf.byteLength / size);
    }
  }
  return buf;
}

/**
 * Writes incoming buffers into `state` (in place) at their paths. Each buffer takes the
 * typed-array type found at the same path in `previous` (the current widget state), so a
 * Float32Array trait stays a Float32Array; otherwise it stays a Uint8Array.
 */
export function putBuffers(
  state: { [key: string]: unknown },
  bufferPaths: BufferPath[],
  buffers: Uint8Array[],
  previous: { [key: string]: unknown } = {},
): void {
  bufferPaths.forEach((path, i) => {
    if (!Array.isArray(path) || path.length === 0) {
      throw new Error(`buffer_paths[${i}] must be a non-empty array of keys, got ${JSON.stringify(path)}`);
    }
    const buf = buffers[i];
    if (buf === undefined) {
      throw new Error(`buffer_paths has ${bufferPaths.length} entries but only ${buffers.length} buffers arrived`);
    }
    let obj = state as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      if (obj[key] === null || typeof obj[key] !== "object") obj[key] = typeof key === "number" ? [] : {};
      obj = obj[key] as Record<string | number, unknown>;
    }
    obj[path[path.length - 1]] = viewLike(buf, lookup(previous, path));
  });
}
