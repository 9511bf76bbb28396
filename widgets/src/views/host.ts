// What a live widget view does with its renderer, free of Jupyter imports so jest can run it:
// redraw on every new `data`/`options` from the kernel, show renderer errors in place, and
// carry the user's choices across redraws. A renderer that has choices to keep reports them
// with `options.onState(state)` and gets them back as `options.state` on the next render; what
// survives new data is the renderer's own business (the heatmap keeps mask, colour, highlight,
// zoom, and the picked head unless the kernel moved the head). The host only drops what the
// kernel's options now set explicitly.
import { PRESENTATION_SCALE, fitDrawings, hasSubwords, scaleDrawings, type Cleanup } from "./common";

export type Renderer = (el: HTMLElement, data: never, options: never) => Cleanup;

export class ViewHost {
  private cleanup: Cleanup | null = null;
  /** The choices the user made, as the renderer last reported them; carried into the next render. */
  private state: Record<string, unknown> = {};
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
    for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined && v !== null) delete this.state[k];
  }

  /** Draws `data` (nothing when null) with the kernel's options plus the view's callbacks. */
  draw(data: unknown, options: Record<string, unknown> | null | undefined, callbacks: Record<string, unknown> = {}): void {
    this.dispose();
    this.el.textContent = "";
    if (!data) return;
    const opts: Record<string, unknown> = { ...(options ?? {}), ...callbacks };
    opts.state = { ...this.state };
    const onState = callbacks.onState as ((s: Record<string, unknown>) => void) | undefined;
    opts.onState = (s: Record<string, unknown>) => {
      this.state = { ...s };
      onState?.(s);
    };
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

  /** The state the next render starts from (for tests and debugging). */
  get viewState(): Record<string, unknown> {
    return { ...this.state };
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
