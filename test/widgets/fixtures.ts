/// <reference lib="dom" />
// Seeded test data for the renderer tests: no clock, no network, same bytes every run.
import type { Tensor } from "../../widgets/src/views/common";
import type { CommTransport, JSONObject } from "../../lib/widget";

import { mulberry32 } from "../../lib/methods/rng";

/** The library's seeded PRNG, as `rng(seed)` for test data. */
export const rng = mulberry32;

/** Causal softmax attention patterns, [layers, heads, n, n], each row summing to 1. */
export function causalPatterns(layers: number, heads: number, n: number, seed = 1): Tensor {
  const r = rng(seed);
  const data = new Float32Array(layers * heads * n * n);
  for (let b = 0; b < layers * heads; b++) {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      const row = b * n * n + i * n;
      for (let j = 0; j <= i; j++) {
        const w = Math.exp(3 * r());
        data[row + j] = w;
        sum += w;
      }
      for (let j = 0; j <= i; j++) data[row + j] /= sum;
    }
  }
  return { data, shape: [layers, heads, n, n] };
}

export function randomMatrix(rows: number, cols: number, seed = 2, lo = 0, hi = 1): Tensor {
  const r = rng(seed);
  return { data: Float32Array.from({ length: rows * cols }, () => lo + (hi - lo) * r()), shape: [rows, cols] };
}

export const TOKENS = ["<|endoftext|>", "The", " cat", " sat", " on", " the", " mat", "."];

/** Fires a mouse event at plot coordinates (jsdom lays nothing out, so client = local). */
export function mouse(node: Element, type: string, x = 0, y = 0): void {
  node.dispatchEvent(new MouseEvent(type, { bubbles: true, clientX: x, clientY: y }));
}

export function change(sel: HTMLSelectElement | HTMLInputElement, value?: string | boolean): void {
  if (typeof value === "boolean") (sel as HTMLInputElement).checked = value;
  else if (value !== undefined) sel.value = value;
  sel.dispatchEvent(new Event("change", { bubbles: true }));
}

export function svgOf(el: Element): string {
  const svg = el.querySelector("svg");
  if (!svg) throw new Error("no svg drawn");
  return svg.outerHTML;
}

/** A comm transport that records what the kernel side sends and lets a test play the front end. */
export interface Sent {
  kind: "open" | "msg" | "display";
  data: JSONObject;
  buffers: ArrayBufferView[];
}

export function mockTransport() {
  const sent: Sent[] = [];
  const handlers = new Map<string, (data: JSONObject, buffers: Uint8Array[]) => void>();
  const transport: CommTransport = {
    open(_target, data, opts, h) {
      const id = opts.commId ?? "c";
      sent.push({ kind: "open", data, buffers: opts.buffers ?? [] });
      if (h.onMsg) handlers.set(id, h.onMsg);
      return { id, targetName: _target, send: (d, b = []) => sent.push({ kind: "msg", data: d, buffers: b }), close: () => undefined };
    },
    registerTarget: () => undefined,
    display: (bundle) => sent.push({ kind: "display", data: bundle as JSONObject, buffers: [] }),
  };
  return { transport, sent, fromFrontEnd: (id: string, data: JSONObject, buffers: Uint8Array[] = []) => handlers.get(id)!(data, buffers) };
}

/** What the widget manager does with a comm_open: buffers become DataViews at their paths. */
export function frontEndState(open: Sent): Record<string, unknown> {
  const state = JSON.parse(JSON.stringify((open.data as { state: object }).state));
  const paths = (open.data as { buffer_paths: (string | number)[][] }).buffer_paths;
  paths.forEach((p, i) => {
    let o = state;
    for (const k of p.slice(0, -1)) o = o[k];
    const b = open.buffers[i];
    o[p[p.length - 1]] = new DataView(b.buffer, b.byteOffset, b.byteLength);
  });
  return state;
}
