/**
 * The seam to the static renderer. lib/ stays free of the DOM and of kernel/: whoever runs
 * the figures registers a renderer here. The kernel's entry point (kernel/main.ts) registers
 * kernel/render (jsdom + the same d3 views the browser runs); jest does the same in its
 * setup file. Without one, display bundles carry text only and toSVG() says why.
 */
export type StaticRenderer = (view: string, data: unknown, options: unknown) => string;

let registered: StaticRenderer | undefined;

export function registerStaticRenderer(fn: StaticRenderer | undefined): void {
  if (fn !== undefined && typeof fn !== "function") throw new Error(`registerStaticRenderer: fn must be (view, data, options) => svg string, got ${typeof fn}`);
  registered = fn;
}

/** The figure as standalone SVG, or undefined when no static renderer is registered. */
export function staticSVG(view: string, data: unknown, options: unknown): string | undefined {
  return registered ? registered(view, data, options) : undefined;
}
