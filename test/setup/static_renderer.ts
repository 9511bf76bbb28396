// jest: what the kernel's entry point registers (kernel/main.ts). The figure resolver (method
// results display as figures), and the static renderer, loaded on the first figure, so tests
// that make display bundles or SVGs run the real renderer; not in jsdom test environments:
// jsdom cannot load inside one (no TextEncoder there).
import { registerStaticRenderer } from "../../lib/figures/static";
import { resolveFigure } from "../../lib/figures/register";
import { registerDisplayResolver } from "../../lib/widget/display";

registerDisplayResolver(resolveFigure);

if (typeof document === "undefined") {
  registerStaticRenderer((view, data, options) => (require("../../kernel/render") as typeof import("../../kernel/render")).renderSVG(view, data, options));
}
