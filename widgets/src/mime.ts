// The JupyterLab renderer for attnlab's display type (protocol.ts, FIGURE_MIME): a
// figure that never turns into "Error displaying widget". It draws at once what needs no
// kernel, then swaps in the live widget when the notebook's widget manager has the model:
//   1. live: the widget manager knows model_id (the cell ran in this kernel, or the manager
//      restored the saved widget state) → ipywidgets' own renderer draws the view;
//   2. saved: the notebook metadata holds the model's state (widget manager's saveState) →
//      the same renderer draws from it here, with hover and selectors but no kernel;
//   3. static: the bundle's image/svg+xml (a quiz: its questions from the bundle).
// It finds the notebook's rendermime and metadata by walking up its Lumino parents (output
// area → notebook panel), so the extension needs no JupyterLab packages beyond Lumino.
// Registered as a mime extension (package.json jupyterlab.mimeExtension).
import { Panel, Widget } from "@lumino/widgets";
import { RENDERERS } from "./views";
import { ViewHost, type Renderer } from "./views/host";
import { FIGURE_MIME, WIDGET_VIEW_MIME, savedView, type FigureRef, type ViewKind } from "./protocol";

// The parts of JupyterLab's IRenderMime we use, written out (no @jupyterlab/rendermime build dependency).
interface MimeModel {
  data: Record<string, unknown>;
  trusted?: boolean;
}
interface Renderer2 extends Widget {
  renderModel(model: MimeModel): Promise<void>;
}
interface RenderMimeLike {
  createRenderer(mimeType: string): Renderer2;
  mimeTypes: readonly string[];
}
interface ManagerLike {
  get_model(id: string): Promise<unknown>;
  restoredStatus?: boolean;
  restored?: { connect(fn: () => void, thisArg?: unknown): void; disconnect(fn: () => void, thisArg?: unknown): void };
}

function rendererOf(kind: ViewKind): Renderer {
  return RENDERERS[kind] as Renderer;
}

/** Where a figure's fallback came from: what the e2e tests and a curious user can read in the DOM. */
export type FigureSource = "live" | "saved" | "static";

export class FigureRenderer extends Panel implements Renderer2 {
  private ref: FigureRef | null = null;
  private bundle: Record<string, unknown> = {};
  private readonly fallback = new Widget();
  private host: ViewHost | null = null;
  private live: Renderer2 | null = null;
  private manager: ManagerLike | null = null;
  private waiting = false;
  private tried = false;

  constructor() {
    super();
    this.addClass("attnlab-figure");
    this.addWidget(this.fallback);
  }

  async renderModel(model: MimeModel): Promise<void> {
    const ref = model.data[FIGURE_MIME] as FigureRef | undefined;
    const same = this.ref && ref && this.ref.model_id === ref.model_id;
    this.ref = ref ?? null;
    this.bundle = model.data;
    if (same && this.live) return;
    this.tried = false;
    this.drawFallback();
    if (this.isAttached) void this.tryLive();
  }

  protected onAfterAttach(msg: unknown): void {
    super.onAfterAttach(msg as never);
    // The first time only: the saved state is found through the parents, known once attached.
    if (this.node.dataset.source !== "live") this.drawFallback();
    void this.tryLive();
  }

  /** Notebook metadata, rendermime: found on the output area's and the notebook's widgets. */
  private context(): { rendermime?: RenderMimeLike; widgets?: unknown } {
    let rendermime: RenderMimeLike | undefined;
    let widgets: unknown;
    for (let w: Widget | null = this.parent; w; w = w.parent) {
      const x = w as unknown as { rendermime?: RenderMimeLike; model?: { getMetadata?: (k: string) => unknown }; context?: { model?: { getMetadata?: (k: string) => unknown } } };
      if (!rendermime && x.rendermime && typeof x.rendermime.createRenderer === "function") rendermime = x.rendermime;
      const nbModel = x.context?.model ?? x.model;
      if (widgets === undefined && nbModel && typeof nbModel.getMetadata === "function") {
        try {
          widgets = nbModel.getMetadata("widgets");
        } catch {
          // not a notebook model
        }
      }
    }
    return { rendermime, widgets };
  }

  private drawFallback(): void {
    const ref = this.ref;
    const el = this.fallback.node;
    this.host?.close();
    this.host = null;
    el.textContent = "";
    this.fallback.show();
    if (!ref) return;
    const saved = this.isAttached ? savedView(this.context().widgets, ref.model_id) : undefined;
    if (saved) {
      this.host = new ViewHost(el, saved.view, rendererOf(saved.view));
      this.host.draw(saved.data, saved.options, {});
      this.setSource("saved");
      return;
    }
    if (ref.view === "quiz" && ref.data) {
      this.host = new ViewHost(el, "quiz", rendererOf("quiz"));
      this.host.draw(ref.data, {}, {});
      this.setSource("static");
      return;
    }
    const svg = this.bundle["image/svg+xml"];
    if (typeof svg === "string") {
      const img = document.createElement("img");
      img.className = "attnlab-static";
      img.alt = String(this.bundle["text/plain"] ?? "attnlab figure");
      img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
      el.appendChild(img);
    } else {
      const pre = document.createElement("pre");
      pre.textContent = String(this.bundle["text/plain"] ?? "");
      el.appendChild(pre);
    }
    this.setSource("static");
  }

  private setSource(s: FigureSource): void {
    this.node.dataset.source = s;
    this.node.title = s === "live" ? "" : s === "saved" ? "Drawn from the widget state saved in the notebook; run the cell to connect it to the kernel" : "Static figure; run the cell for the interactive view";
  }

  /** Swaps in the live widget if the notebook's widget manager has the model (now, or once it has restored). */
  private async tryLive(): Promise<void> {
    const ref = this.ref;
    if (!ref || this.live || this.tried || !this.isAttached) return;
    this.tried = true;
    const { rendermime } = this.context();
    if (!rendermime || !rendermime.mimeTypes.includes(WIDGET_VIEW_MIME)) return;
    let probe: Renderer2;
    try {
      probe = rendermime.createRenderer(WIDGET_VIEW_MIME);
    } catch {
      return;
    }
    // jupyterlab_widgets' WidgetRenderer resolves its manager through a PromiseDelegate.
    const delegate = (probe as unknown as { _manager?: { promise?: Promise<ManagerLike> } })._manager;
    if (!delegate?.promise) {
      probe.dispose();
      return;
    }
    const manager = (this.manager = await delegate.promise);
    const attempt = async (): Promise<boolean> => {
      if (this.isDisposed || this.ref !== ref) return true;
      try {
        await manager.get_model(ref.model_id);
      } catch {
        return false;
      }
      if (this.isDisposed || this.ref !== ref) return true;
      await probe.renderModel({ data: { [WIDGET_VIEW_MIME]: { model_id: ref.model_id, version_major: 2, version_minor: 0 } }, trusted: true });
      if (probe.node.textContent?.startsWith("Error")) return false;
      this.live = probe;
      this.host?.close();
      this.host = null;
      this.fallback.node.textContent = "";
      this.fallback.hide();
      this.addWidget(probe);
      this.setSource("live");
      // The model can go (kernel restart, widget closed): the renderer hides itself; show the fallback again.
      const inner = (probe as unknown as Panel).widgets?.[0];
      inner?.disposed.connect(() => {
        if (this.isDisposed) return;
        this.live = null;
        probe.parent = null;
        probe.dispose();
        this.tried = true; // a fresh output brings a fresh renderer
        this.drawFallback();
      });
      return true;
    };
    if (await attempt()) return;
    if (manager.restoredStatus || !manager.restored) {
      probe.dispose();
      return;
    }
    // Not restored yet (the kernel is starting, or saved state is being loaded): try once more when it is.
    if (this.waiting) return;
    this.waiting = true;
    const onRestored = async () => {
      manager.restored!.disconnect(onRestored, this);
      this.waiting = false;
      if (!(await attempt())) probe.dispose();
    };
    manager.restored.connect(onRestored, this);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.host?.close();
    this.host = null;
    super.dispose();
  }
}

const extension = {
  id: "attnlab-widgets:figures",
  rendererFactory: {
    // Safe: nothing from the bundle runs; the SVG shows as an <img>, data as text.
    safe: true,
    mimeTypes: [FIGURE_MIME],
    createRenderer: () => new FigureRenderer(),
  },
  // Ahead of image/svg+xml (and everything else JupyterLab ships).
  rank: 0,
  dataType: "json" as const,
};

export default extension;
