// What a live widget view does with its renderer, free of Jupyter imports so jest can run it:
// redraw on every new `data`/`options` from the kernel, show renderer errors in place, and
// keep the user's choices across redraws. Without this a kernel push (HeatmapFigure.show,
// a new pattern, a changed title) would redraw from scratch and drop the heatmap's mask,
// colour mode, highlight and the head the user picked.
import { PRESENTATION_SCALE, fitDrawings, hasSubwords, scaleDrawings, type Cleanup } from "./common";
import type { HeatmapViewState } from "./heatmap";

export type Renderer = (el: HTMLElement, data: never, options: never) => Cleanup;

type HeadOf = { layer?: number; head?: number };

export class ViewHost {
  private cleanup: Cleanup | null = null;
  /** The heatmap choices the user made, carried into the next render. */
  private heatmap: Partial<HeatmapViewState> = {};
  /** layer/head of the data last drawn: when the kernel changes them, its head wins. */
  private drawnHead: HeadOf | null = null;
  /** Presentation size as toggled in this view (null: as the kernel's options say). */
  private presentation: boolean | null = null;
  /** Raw tokens instead of words, as toggled in this view (null: the options' rawTokens). */
  private rawTokens: boolean | null = null;
  private last: { data: unknown; options: Record<string, unknown> | null | undefined; callbacks: Record<string, unknown> } | null = null;

  private themeWatch: MutationObserver | null = null;

  constructor(
    private readonly el: HTMLElement,
    private readonly kind: string,
    private readonly renderer: Renderer,
  ) {
    // Colour scales pick their light or dark variant when drawn: redraw when JupyterLab's theme changes.
    const win = el.ownerDocument.defaultView as (Window & { MutationObserver?: typeof MutationObserver }) | null;
    if (win?.MutationObserver && el.ownerDocument.body) {
      this.themeWatch = new win.MutationObserver(() => {
        if (this.last) this.draw(this.last.data, this.last.options, this.last.callbacks);
      });
      this.themeWatch.observe(el.ownerDocument.body, { attributes: true, attributeFilter: ["data-jp-theme-light"] });
    }
  }

  /** The kernel set new options: what they now say explicitly replaces the user's choice. */
  optionsChanged(options: Record<string, unknown> | null | undefined): void {
    for (const k of ["maskUpper", "normalise"] as const) {
      if (options && options[k] !== undefined && options[k] !== null) delete this.heatmap[k];
    }
  }

  /** Draws `data` (nothing when null) with the kernel's options plus the view's callbacks. */
  draw(data: unknown, options: Record<string, unknown> | null | undefined, callbacks: Record<string, unknown> = {}): void {
    this.dispose();
    this.el.textContent = "";
    if (!data) return;
    const opts: Record<string, unknown> = { ...(options ?? {}), ...callbacks };
    if (this.kind === "heatmap") {
      const d = data as HeadOf;
      const now = { layer: d.layer, head: d.head };
      if (this.drawnHead && (this.drawnHead.layer !== now.layer || this.drawnHead.head !== now.head)) {
        delete this.heatmap.layer;
        delete this.heatmap.head;
      }
      this.drawnHead = now;
      opts.state = { ...this.heatmap };
      const onState = callbacks.onState as ((s: HeatmapViewState) => void) | undefined;
      opts.onState = (s: HeatmapViewState) => {
        this.heatmap = { ...s };
        onState?.(s);
      };
    }
    this.last = { data, options, callbacks };
    const big = this.presentation ?? opts.presentation === true;
    if (this.rawTokens !== null) opts.rawTokens = this.rawTokens;
    try {
      this.cleanup = this.renderer(this.el, data as never, opts as never);
      this.finish(big, hasSubwords((data as { tokens?: unknown }).tokens) ? opts.rawTokens === true : null);
    } catch (e) {
      const doc = this.el.ownerDocument;
      const pre = doc.createElement("pre");
      pre.className = "attnlab-error";
      pre.textContent = `attnlab ${this.kind} view: ${(e as Error).message}`;
      this.el.appendChild(pre);
    }
  }

  /**
   * After a render: SVGs grown to hold all their text (where the browser measures), the
   * presentation size applied, and its toggle in the view's controls.
   */
  private finish(big: boolean, raw: boolean | null): void {
    const root = this.el.querySelector(".attnlab-view");
    if (!root) return;
    if (big) {
      root.classList.add("attnlab-presentation");
      scaleDrawings(root, PRESENTATION_SCALE);
    }
    // Text is measured once the view is in the page: a widget view draws before it is attached.
    const win = this.el.ownerDocument.defaultView;
    let frames = 0;
    const fit = (): void => {
      if (root.isConnected) fitDrawings(root);
      else if (win?.requestAnimationFrame && frames++ < 600) win.requestAnimationFrame(fit);
    };
    fit();
    const controls = root.querySelector(".attnlab-controls");
    if (!controls) return;
    const doc = this.el.ownerDocument;
    // Each switch redraws the last data with the new setting.
    const toggle = (className: string, title: string, label: string, checked: boolean, set: (on: boolean) => void) => {
      const wrap = doc.createElement("label");
      wrap.className = className;
      wrap.title = title;
      const box = doc.createElement("input");
      box.type = "checkbox";
      box.checked = checked;
      box.setAttribute("aria-label", label);
      box.addEventListener("change", () => {
        set(box.checked);
        if (this.last) this.draw(this.last.data, this.last.options, this.last.callbacks);
      });
      wrap.append(box, doc.createTextNode(` ${label}`));
      controls.insertBefore(wrap, controls.lastChild);
    };
    toggle("attnlab-size-toggle", "Text at 16 px or more and bigger cells, to read from the back of a room", "presentation size", big, (on) => {
      this.presentation = on;
    });
    // Words by default (sub-tokens merged); the raw tokens one click away.
    if (raw === null) return;
    toggle("attnlab-raw-toggle", "Label each token as the tokenizer split it, instead of whole words", "raw tokens", raw, (on) => {
      this.rawTokens = on;
    });
  }

  /** The state the next heatmap render starts from (for tests and debugging). */
  get heatmapState(): Partial<HeatmapViewState> {
    return { ...this.heatmap };
  }

  /** Ends the current drawing (the next draw() starts a new one). */
  dispose(): void {
    this.cleanup?.();
    this.cleanup = null;
  }

  /** Ends the drawing and stops following the theme (the view is gone). */
  close(): void {
    this.dispose();
    this.themeWatch?.disconnect();
    this.themeWatch = null;
    this.last = null;
  }
}
