/**
 * Kernel-side ipywidgets (protocol 2.1) models: state synced both ways over a comm to
 * target "jupyter.widget", binary fields as buffers, custom messages, display.
 */
import { randomUUID } from "crypto";
import { putBuffers, removeBuffers, type BufferPath } from "./buffers";
import { DISPLAY } from "./display";
import { getCommTransport, requireTransport, type Comm, type CommTransport, type JSONObject, type MimeBundle } from "./transport";

export const WIDGET_TARGET = "jupyter.widget";
export const WIDGET_CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_PROTOCOL_VERSION = "2.1.0";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** Which front-end classes render this model (the _model_* and _view_* fields). */
export interface WidgetSpec {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  /** null for models without a view. */
  viewName: string | null;
  viewModule: string;
  viewModuleVersion: string;
}

export type WidgetState = { [key: string]: unknown };
export type ChangeCallback<T> = (value: T, old: T) => void;
export type MsgCallback = (content: unknown, buffers: Uint8Array[]) => void;

// Global so that duplicate module copies share one registry (used by request_states).
const REGISTRY = Symbol.for("attnlab.widgets");
function registry(): Map<string, Widget> {
  const g = globalThis as unknown as { [REGISTRY]?: Map<string, Widget> };
  if (!g[REGISTRY]) g[REGISTRY] = new Map();
  return g[REGISTRY];
}

function specFields(spec: WidgetSpec): WidgetState {
  for (const k of ["modelName", "modelModule", "modelModuleVersion", "viewModule", "viewModuleVersion"] as const) {
    if (typeof spec?.[k] !== "string" || spec[k].length === 0) {
      throw new Error(`Widget spec.${k} must be a non-empty string, got ${JSON.stringify(spec?.[k])}`);
    }
  }
  return {
    _model_name: spec.modelName,
    _model_module: spec.modelModule,
    _model_module_version: spec.modelModuleVersion,
    _view_name: spec.viewName,
    _view_module: spec.viewModule,
    _view_module_version: spec.viewModuleVersion,
  };
}

/** Structural equality for JSON-like values; anything holding binary data counts as changed. */
function sameValue(a: unknown, b: unknown, depth = 0): boolean {
  // The same object set again is resent: it may have been mutated in place.
  if (a === b) return a === null || typeof a !== "object";
  // Binary values are always resent: comparing them costs as much as sending.
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || depth > 50) return false;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], depth + 1)) return false;
  }
  return true;
}

/**
 * A widget model living in the kernel. Subclass it (or instantiate it) with a spec and
 * an initial state; keys are the traits the front-end model sees.
 *
 * Outside the attnlab kernel (no transport registered) a widget is "detached": state,
 * get/set and change callbacks work locally, while display() and send() throw.
 */
export class Widget<S extends WidgetState = WidgetState> {
  readonly id: string;
  readonly spec: WidgetSpec;
  private state: WidgetState;
  private comm: Comm | undefined;
  private closed = false;
  private listeners = new Map<string, Set<(...args: never[]) => void>>();
  private msgListeners = new Set<MsgCallback>();

  constructor(spec: WidgetSpec, initial: S) {
    if (initial === null || typeof initial !== "object") {
      throw new Error(`Widget initial state must be an object of traits, got ${initial === null ? "null" : typeof initial}`);
    }
    this.spec = spec;
    this.state = { ...specFields(spec), ...initial };
    this.id = randomUUID().replace(/-/g, "");
    const transport = getCommTransport();
    if (transport) {
      const { state, bufferPaths, buffers } = removeBuffers(this.state);
      this.comm = transport.open(
        WIDGET_TARGET,
        { state, buffer_paths: bufferPaths as never },
        { commId: this.id, metadata: { version: WIDGET_PROTOCOL_VERSION }, buffers },
        { onMsg: (data, bufs) => this.handleMsg(data, bufs), onClose: () => this.markClosed() },
      );
      registry().set(this.id, this as unknown as Widget);
    }
  }

  /** True when a kernel comm carries this widget (false when detached or closed). */
  get attached(): boolean {
    return this.comm !== undefined && !this.closed;
  }

  get<K extends keyof S & string>(key: K): S[K] {
    return this.state[key] as S[K];
  }

  /** A shallow copy of the full state, spec fields included. */
  getState(): S & WidgetState {
    return { ...this.state } as S & WidgetState;
  }

  /** Sets traits locally, fires change callbacks, and syncs the changed ones to the front end. */
  set<K extends keyof S & string>(key: K, value: S[K]): void;
  set(values: Partial<S>): void;
  set(keyOrValues: string | WidgetState, value?: unknown): void {
    const values: WidgetState = typeof keyOrValues === "string" ? { [keyOrValues]: value } : keyOrValues;
    if (values === null || typeof values !== "object") {
      throw new Error(`Widget.set expects (key, value) or an object of traits, got ${typeof values}`);
    }
    const changed = this.apply(values);
    if (Object.keys(changed).length > 0 && this.attached) this.sendState("update", changed);
  }

  /** on("change:x", (value, old) => ...) or on("change", (changes) => ...). Returns an unsubscribe. */
  on<K extends keyof S & string>(event: `change:${K}`, cb: ChangeCallback<S[K]>): () => void;
  on(event: "change", cb: (changes: Partial<S>) => void): () => void;
  on(event: string, cb: (...args: never[]) => void): () => void {
    if (typeof cb !== "function") throw new Error(`Widget.on("${event}") needs a callback function`);
    if (event !== "change" && !event.startsWith("change:")) {
      throw new Error(`Widget.on: event must be "change" or "change:<trait>", got ${JSON.stringify(event)}`);
    }
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(cb);
    return () => set!.delete(cb);
  }

  /** Sends a custom message ({method: "custom", content}) with optional binary buffers. */
  send(content: unknown, buffers: ArrayBufferView[] = []): void {
    this.liveComm("send").send({ method: "custom", content: content as never }, buffers);
  }

  /** Receives custom messages from the front-end model (model.send(content, callbacks, buffers)). */
  onMsg(cb: MsgCallback): () => void {
    this.msgListeners.add(cb);
    return () => this.msgListeners.delete(cb);
  }

  /** Shows a view of this widget in the current cell's output. */
  display(): void {
    this.liveComm("display");
    requireTransport("Widget.display()").display(this[DISPLAY]());
  }

  [DISPLAY](): MimeBundle {
    return {
      "text/plain": `${this.spec.modelName}(${this.id})`,
      [WIDGET_VIEW_MIME]: { model_id: this.id, version_major: 2, version_minor: 0 },
    };
  }

  /** Closes the comm; views disappear and further sends throw. */
  close(): void {
    if (this.closed) return;
    const comm = this.comm;
    this.markClosed();
    comm?.close({});
  }

  /** The state split for the wire: JSON part, buffer paths and buffers. */
  serializeState(keys?: string[]): { state: JSONObject; bufferPaths: BufferPath[]; buffers: ArrayBufferView[] } {
    const part: WidgetState = {};
    for (const k of keys ?? Object.keys(this.state)) part[k] = this.state[k];
    return removeBuffers(part);
  }

  private liveComm(what: string): Comm {
    if (this.closed) throw new Error(`Widget ${this.id} is closed: cannot ${what}`);
    if (!this.comm) requireTransport(`Widget.${what}()`);
    return this.comm!;
  }

  private markClosed(): void {
    this.closed = true;
    registry().delete(this.id);
  }

  private apply(values: WidgetState): WidgetState {
    const changed: WidgetState = {};
    const olds: WidgetState = {};
    for (const [k, v] of Object.entries(values)) {
      if (sameValue(this.state[k], v)) continue;
      olds[k] = this.state[k];
      this.state[k] = v;
      changed[k] = v;
    }
    for (const k of Object.keys(changed)) {
      for (const cb of this.listeners.get(`change:${k}`) ?? []) this.safeCall(cb, changed[k], olds[k]);
    }
    if (Object.keys(changed).length > 0) {
      for (const cb of this.listeners.get("change") ?? []) this.safeCall(cb, changed);
    }
    return changed;
  }

  private safeCall(cb: (...args: never[]) => void, ...args: unknown[]): void {
    try {
      (cb as (...a: unknown[]) => void)(...args);
    } catch (e) {
      console.error(`Widget ${this.spec.modelName} callback failed:`, e);
    }
  }

  private sendState(method: "update" | "echo_update", values: WidgetState): void {
    const { state, bufferPaths, buffers } = removeBuffers(values);
    this.comm!.send({ method, state, buffer_paths: bufferPaths as never }, buffers);
  }

  private handleMsg(data: JSONObject, buffers: Uint8Array[]): void {
    const method = data.method;
    if (method === "update") {
      const incoming = (data.state ?? {}) as WidgetState;
      putBuffers(incoming, (data.buffer_paths ?? []) as BufferPath[], buffers, this.state);
      // ipywidgets 8 order: confirm what the front end sent, then apply it.
      this.sendState("echo_update", incoming);
      this.apply(incoming);
    } else if (method === "request_state") {
      this.sendState("update", this.state);
    } else if (method === "custom") {
      for (const cb of this.msgListeners) this.safeCall(cb, data.content, buffers);
    } else {
      console.error(`Widget ${this.id}: unknown comm method ${JSON.stringify(method)}`);
    }
  }
}

/** Live widgets, for jupyter.widget.control's request_states. */
export function liveWidgets(): Widget[] {
  return [...registry().values()];
}

/**
 * Registers the jupyter.widget.control target so a reloaded page gets every live
 * widget's state at once ({method: "update_states", states, buffer_paths}).
 * The kernel calls this once after registerCommTransport.
 */
export function attachWidgetControl(transport: CommTransport): void {
  transport.registerTarget(WIDGET_CONTROL_TARGET, (comm) => ({
    onMsg(data) {
      if (data.method !== "request_states") {
        console.error(`jupyter.widget.control: unknown method ${JSON.stringify(data.method)}`);
        return;
      }
      const full: WidgetState = {};
      for (const w of liveWidgets()) {
        const s = w.getState();
        full[w.id] = {
          model_name: s._model_name,
          model_module: s._model_module,
          model_module_version: s._model_module_version,
          state: s,
        };
      }
      const { state, bufferPaths, buffers } = removeBuffers(full);
      comm.send({ method: "update_states", states: state, buffer_paths: bufferPaths as never }, buffers);
    },
  }));
}
