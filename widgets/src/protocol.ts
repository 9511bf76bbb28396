// The wire contract between lib/figures (kernel) and these views, free of Jupyter imports
// so it can be unit-tested: every model has traits
//   data     – the renderer's data; tensors as {data: <binary buffer>, shape} (buffer_paths),
//   options  – the renderer's JSON options,
//   selected – {layer, head, kind?, column?} set here when the user picks a head or cell.
// Custom messages, view → kernel: {event: "request_head", id, layer, head};
// kernel → view: {event: "head", id, layer, head, shape} + one float32 buffer, or
// {event: "error", id, message}.

export const MODULE_NAME = "attnlab-widgets";
export const MODULE_VERSION = "0.1.0";

/** Views names per renderer; model "<Name>Model", view "<Name>View". */
export const VIEW_NAMES = {
  heatmap: "Heatmap",
  thumbnails: "Thumbnails",
  lines: "Lines",
  headscores: "HeadScores",
  probe: "Probe",
  restoration: "Restoration",
  patching: "Patching",
  attribution: "Attribution",
  lens: "Lens",
  quiz: "Quiz", // lib/quiz; custom message view → kernel: {event: "answer", id, value}
} as const;

export type ViewKind = keyof typeof VIEW_NAMES;

/** A buffer as the widget manager hands it over (DataView), or any binary view, as float32. */
export function toFloat32(buf: unknown): Float32Array {
  if (buf instanceof Float32Array) return buf;
  if (ArrayBuffer.isView(buf)) {
    if (buf.byteLength % 4 !== 0) throw new Error(`expected a float32 buffer, got ${buf.byteLength} bytes (not a multiple of 4)`);
    // Copy: the frame's offset inside the websocket message need not be 4-byte aligned.
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }
  if (buf instanceof ArrayBuffer) return new Float32Array(buf.slice(0));
  throw new Error(`expected a binary buffer, got ${buf === null ? "null" : typeof buf}`);
}

/** Replaces every binary leaf of a deserialized `data` trait by a Float32Array (all tensors are float32). */
export function decodeData<T = unknown>(value: unknown): T {
  const walk = (v: unknown): unknown => {
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return toFloat32(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as object)) out[k] = walk(x);
      return out;
    }
    return v;
  };
  return walk(value) as T;
}

/**
 * The inverse of decodeData for the widget manager's get_state (saving widget state with
 * the notebook): binary leaves stay binary, each a copy whose ArrayBuffer is exactly its
 * bytes, so remove_buffers stores them as base64 buffers. Without this the default
 * JSON round trip turns a Float32Array into {"0": x, ...}, which cannot be restored.
 */
export function encodeData(value: unknown): unknown {
  if (value instanceof Float32Array) return new Float32Array(value);
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return toFloat32(value);
  if (Array.isArray(value)) return value.map(encodeData);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value as object)) out[k] = encodeData(x);
    return out;
  }
  // JSON has no NaN/Infinity (as the default serializer would do).
  if (typeof value === "number" && !Number.isFinite(value)) return null;
  return value;
}

export interface HeadRequest {
  event: "request_head";
  id: number;
  layer: number;
  head: number;
}

export interface HeadReply {
  event: "head" | "error";
  id: number;
  layer?: number;
  head?: number;
  shape?: number[];
  message?: string;
}
