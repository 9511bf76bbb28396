// Thin ipywidgets wrappers: each model holds the renderer's data/options traits (tensors
// as binary buffers), each view calls its renderer and redraws on change (views/host.ts keeps
// the user's choices). Views whose model lacks a head's pattern fetch it from the kernel with
// a custom message.
import { DOMWidgetModel, DOMWidgetView, ISerializers } from "@jupyter-widgets/base";
import { RENDERERS } from "./views";
import type { Tensor } from "./contract";
import { ViewHost, type Renderer } from "./views/host";
import { HeadReply, MODULE_NAME, MODULE_VERSION, decodeData, encodeData, toFloat32 } from "./protocol";
import { VIEW_KINDS, VIEW_NAMES, type ViewKind } from "./contract";
import type { Asked, Tile, Window } from "./tiles";

// serialize matters when the widget manager saves state into the notebook (saveState).
const dataSerializer = {
  deserialize: (value: unknown) => decodeData(value),
  serialize: (value: unknown) => encodeData(value),
};

function modelClass(kind: ViewKind): typeof DOMWidgetModel {
  const name = VIEW_NAMES[kind];
  return class extends DOMWidgetModel {
    static serializers: ISerializers = { ...DOMWidgetModel.serializers, data: dataSerializer };
    defaults() {
      return {
        ...super.defaults(),
        _model_name: `${name}Model`,
        _model_module: MODULE_NAME,
        _model_module_version: MODULE_VERSION,
        _view_name: `${name}View`,
        _view_module: MODULE_NAME,
        _view_module_version: MODULE_VERSION,
        data: null,
        options: {},
        selected: null,
      };
    }
  };
}

function viewClass(kind: ViewKind): typeof DOMWidgetView {
  const renderer = RENDERERS[kind] as Renderer;
  return class extends DOMWidgetView {
    private host: ViewHost | null = null;
    /** Replies the view waits for, by request id: the reply's content and its first buffer as float32. */
    private pending = new Map<number, { resolve: (r: { content: { shape?: number[]; max?: number; mask?: boolean }; data: Float32Array }) => void; reject: (e: Error) => void }>();
    private nextId = 1;
    /** The playground's listeners for its kernel replies (views/explore.ts ExploreChannel). */
    private listeners = new Set<(content: unknown, buffers: DataView[]) => void>();

    render(): void {
      this.el.classList.add("attnlab-widget", `attnlab-widget-${kind}`);
      // Redraws keep the user's choices (heatmap mask, colour, highlight, head): see views/host.ts.
      this.host = new ViewHost(this.el, kind, renderer);
      this.draw();
      this.listenTo(this.model, "change:data", () => this.draw());
      this.listenTo(this.model, "change:options", () => {
        this.host?.optionsChanged(this.model.get("options"));
        this.draw();
      });
      this.listenTo(this.model, "msg:custom", (content: HeadReply, buffers: DataView[]) => this.onCustom(content, buffers));
    }

    private draw(): void {
      const data = this.model.get("data");
      this.host?.draw(data, this.model.get("options"), data ? this.rendererCallbacks() : {});
    }

    private select(sel: Record<string, unknown>): void {
      this.model.set("selected", sel);
      this.model.save_changes();
    }

    private rendererCallbacks(): Record<string, unknown> {
      const cb: Record<string, unknown> = {};
      if (kind === "heatmap" || kind === "lines") cb.onSelect = (layer: number, head: number) => this.select({ layer, head });
      if (kind === "thumbnails") cb.onOpen = (layer: number, head: number) => this.select({ layer, head });
      if (kind === "headscores") cb.onSelect = (layer: number, head: number, k: string) => this.select({ layer, head, kind: k });
      if (kind === "patching") cb.onSelect = (layer: number, column: number) => this.select({ layer, column });
      if (kind === "quiz") cb.onAnswer = (id: string, value: string | number) => this.send({ event: "answer", id, value });
      if (kind === "quiz") cb.onReveal = (id: string) => this.send({ event: "reveal", id });
      if (kind === "explore") {
        cb.channel = {
          send: (content: object) => this.send(content),
          listen: (fn: (content: unknown, buffers: DataView[]) => void) => {
            this.listeners.add(fn);
            return () => this.listeners.delete(fn);
          },
        };
      }
      // Patterns the kernel keeps (a long heatmap's other heads, the heads behind a score grid):
      // each view asks only for what its data lacks.
      cb.requestHead = (l: number, h: number) => this.requestHead(l, h);
      // A long context's windows (tiles.ts): the kernel pools them, so one head never crosses whole.
      cb.requestTile = (q: { layer: number; head: number; win: Window; h: number; w: number; shown: Asked }) => this.requestTile(q);
      return cb;
    }

    private ask(message: Record<string, unknown>): Promise<{ content: { shape?: number[]; max?: number; mask?: boolean }; data: Float32Array }> {
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.send({ ...message, id });
      });
    }

    private requestHead(layer: number, head: number): Promise<Tensor> {
      return this.ask({ event: "request_head", layer, head }).then((r) => ({ data: r.data, shape: r.content.shape ?? [] }));
    }

    private requestTile(q: { layer: number; head: number; win: Window; h: number; w: number; shown: Asked }): Promise<Tile> {
      const { layer, head, win, h, w, shown } = q;
      return this.ask({ event: "request_tile", layer, head, ...win, h, w, ...shown }).then((r) => {
        if (r.data.length !== h * w) throw new Error(`tile: expected ${h} × ${w} values, got ${r.data.length}`);
        // The reply says how the weights are shown (a mask of "auto" is decided by the kernel).
        return { layer, head, win: { ...win }, h, w, shown: { mask: r.content.mask === true, normalise: shown.normalise }, values: r.data, max: Number(r.content.max) };
      });
    }

    private onCustom(content: HeadReply, buffers: DataView[]): void {
      for (const fn of this.listeners) fn(content, buffers);
      const waiting = this.pending.get(content?.id);
      if (!waiting) return;
      this.pending.delete(content.id);
      if (content.event === "error") return waiting.reject(new Error(content.message ?? "kernel error"));
      try {
        waiting.resolve({ content, data: toFloat32(buffers[0]) });
      } catch (e) {
        waiting.reject(e as Error);
      }
    }

    remove(): void {
      this.host?.close();
      this.host = null;
      for (const p of this.pending.values()) p.reject(new Error("view removed"));
      this.pending.clear();
      super.remove();
    }
  };
}

/**
 * Every view's Model and View class, named "<Name>Model"/"<Name>View" from the one table of
 * views (contract VIEWS): the exports the widget registry gets (plugin.ts).
 */
export const widgetClasses: Record<string, typeof DOMWidgetModel | typeof DOMWidgetView> = {};
for (const kind of VIEW_KINDS) {
  widgetClasses[`${VIEW_NAMES[kind]}Model`] = modelClass(kind);
  widgetClasses[`${VIEW_NAMES[kind]}View`] = viewClass(kind);
}
