/**
 * The seam to the static renderer. lib/ stays free of the DOM: kernel/render (jsdom + the
 * same d3 renderers the browser runs) registers itself here when loaded. If nobody has
 * registered one, the compiled kernel/render next to this library is loaded on first use.
 */
import * as path from "path";

export type StaticRenderer = (view: string, data: unknown, options: unknown) => string;

const KEY = Symbol.for("attnlab.staticRenderer");
type Holder = { [KEY]?: StaticRenderer | null };

export function registerStaticRenderer(fn: StaticRenderer | undefined): void {
  (globalThis as unknown as Holder)[KEY] = fn;
}

function renderer(): StaticRenderer | undefined {
  const g = globalThis as unknown as Holder;
  if (g[KEY] === undefined) {
    g[KEY] = null; // tried once
    try {
      // A computed path keeps tsc (and lib/'s import graph) away from kernel/.
      const where = path.join(__dirname, "..", "..", "kernel", "render");
      require(where);
    } catch (e) {
      // No kernel/render here (lib used on its own): bundles carry text only.
      if (process.env.ATTNLAB_DEBUG_RENDER) console.error("attnlab: static renderer unavailable:", e);
    }
  }
  return g[KEY] ?? undefined;
}

/** The figure as standalone SVG, or undefined when no static renderer is available. */
export function staticSVG(view: string, data: unknown, options: unknown): string | undefined {
  const r = renderer();
  return r ? r(view, data, options) : undefined;
}
