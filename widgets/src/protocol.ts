// The wire contract between lib/figures (kernel) and these views, free of Jupyter imports
// so it can be unit-tested: every model has traits
//   data     – the renderer's data; tensors as {data: <binary buffer>, shape} (buffer_paths),
//   options  – the renderer's JSON options,
//   selected – {layer, head, kind?, column?} set here when the user picks a head or cell.
// Custom messages, view → kernel: {event: "request_head", id, layer, head};
// kernel → view: {event: "head", id, layer, head, shape} + one float32 buffer, or
// {event: "error", id, message}. A long heatmap's overview and window tiles
// ({event: "request_tile", ...} / {event: "tile", ...}) are specified in tiles.ts.

// The table of views (names, data types, checks) is contract/, imported by lib/ too.
import { isFloat32, type ExploreResult, type Tensor, type ViewKind, VIEW_NAMES } from "./contract";
export { VIEW_NAMES, FIGURE_VIEWS, isFloat32, type ViewKind, type FigureView, type ExploreResult } from "./contract";

export const MODULE_NAME = "attnlab-widgets";
export const MODULE_VERSION = "0.1.0";

/**
 * The mime type of an attnlab view in a display bundle, {model_id, version_major,
 * version_minor, view}, in place of ipywidgets' widget-view type. The bundle also carries
 * the static figure (image/svg+xml, or text/html for a quiz) and text/plain. Our own type
 * because JupyterLab's widget renderer answers a model it cannot find with "Error
 * displaying widget: model not found" instead of the next entry of the bundle, and
 * nbconvert's HTML prefers the widget-view type whenever widget state is saved and then
 * loads the widget from a CDN. With this type the attnlab renderer (mime.ts) shows the live
 * widget when the widget manager has the model, the view drawn from the widget state
 * saved in the notebook when it has not, and the static figure otherwise; every other
 * front end (nbconvert, GitHub, VS Code) shows the static figure.
 */
export const FIGURE_MIME = "application/vnd.attnlab.widget-view+json";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";
export const WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json";

export interface FigureRef {
  model_id: string;
  version_major: number;
  version_minor: number;
  view: ViewKind;
  /** A quiz's data as displayed (the questions), drawn when neither live nor saved state exists. */
  data?: unknown;
}

/** The view kind of a model name ("HeatmapModel" -> "heatmap"), or undefined. */
export function viewOfModel(modelName: unknown): ViewKind | undefined {
  for (const [k, n] of Object.entries(VIEW_NAMES)) if (modelName === `${n}Model`) return k as ViewKind;
  return undefined;
}

type SavedModel = { model_name?: string; model_module?: string; state?: Record<string, unknown>; buffers?: { path: (string | number)[]; encoding?: string; data: string }[] };

function base64Bytes(s: string): Uint8Array {
  if (typeof atob === "function") {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const B = (globalThis as unknown as { Buffer: { from(s: string, enc: string): Uint8Array } }).Buffer;
  return new Uint8Array(B.from(s, "base64"));
}

/**
 * One attnlab model's traits from the widget state saved in a notebook's metadata
 * (metadata.widgets["application/vnd.jupyter.widget-state+json"]), tensors decoded from
 * their base64 buffers as Float32Array: {view, data, options}, or undefined when the
 * notebook holds no state for `modelId` or it is not an attnlab view.
 */
export function savedView(widgetsMetadata: unknown, modelId: string): { view: ViewKind; data: unknown; options: Record<string, unknown> } | undefined {
  const all = (widgetsMetadata as Record<string, { state?: Record<string, SavedModel> }> | undefined)?.[WIDGET_STATE_MIME]?.state;
  const m = all?.[modelId];
  if (!m || m.model_module !== MODULE_NAME || !m.state) return undefined;
  const view = viewOfModel(m.model_name);
  if (!view) return undefined;
  const state = JSON.parse(JSON.stringify(m.state)) as Record<string, unknown>;
  for (const b of m.buffers ?? []) {
    if (b.encoding !== "base64" && b.encoding !== undefined) continue;
    const bytes = base64Bytes(b.data);
    let at: Record<string | number, unknown> = state;
    for (let i = 0; i < b.path.length - 1; i++) {
      const next = at[b.path[i]];
      if (next === null || typeof next !== "object") at[b.path[i]] = {};
      at = at[b.path[i]] as Record<string | number, unknown>;
    }
    at[b.path[b.path.length - 1]] = bytes;
  }
  if (!state.data) return undefined;
  return { view, data: decodeData(state.data), options: (state.options as Record<string, unknown>) ?? {} };
}

/** A buffer as the widget manager hands it over (DataView), or any binary view, as float32. */
export function toFloat32(buf: unknown): Float32Array {
  if (isFloat32(buf)) return buf;
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

/**
 * The playground (views/explore.ts ↔ lib/widget/explore.ts). View → kernel:
 * {event: "explore", id, prompt, layer, head}; kernel → view: {event: "explore-result", id,
 * result} with the result's tensors as float32 buffers (each {buffer: i, shape} in the JSON),
 * or {event: "explore-error", id, message}. Ids grow; the view drops replies older than its
 * latest request, and the kernel skips requests a newer one has overtaken.
 */
export interface ExploreRequest {
  event: "explore";
  id: number;
  prompt: string;
  layer: number;
  head: number;
}

export interface ExploreReply {
  event: "explore-result" | "explore-error";
  id: number;
  result?: unknown;
  message?: string;
}

/** The reply for `result` as JSON content plus one float32 buffer per tensor (never nested number arrays). */
export function packExplore(id: number, result: ExploreResult): { content: ExploreReply; buffers: Float32Array[] } {
  const buffers: Float32Array[] = [];
  const walk = (v: unknown): unknown => {
    if (v && typeof v === "object" && isFloat32((v as Tensor).data) && Array.isArray((v as Tensor).shape)) {
      buffers.push((v as Tensor).data);
      return { buffer: buffers.length - 1, shape: (v as Tensor).shape };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { content: { event: "explore-result", id, result: walk(result) }, buffers };
}

/** The inverse of packExplore on the view's side (buffers arrive as DataViews). */
export function unpackExplore(content: ExploreReply, buffers: unknown[]): ExploreResult {
  const walk = (v: unknown): unknown => {
    if (v && typeof v === "object" && typeof (v as { buffer?: unknown }).buffer === "number" && Array.isArray((v as { shape?: unknown }).shape)) {
      const i = (v as { buffer: number }).buffer;
      if (i < 0 || i >= buffers.length) throw new Error(`explore reply: buffer ${i} missing (${buffers.length} arrived)`);
      return { data: toFloat32(buffers[i]), shape: (v as { shape: number[] }).shape };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(content.result) as ExploreResult;
}
