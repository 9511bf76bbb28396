// jest: the static renderer registered as the kernel's entry point does (kernel/main.ts),
// loaded on the first figure, so tests that make display bundles or SVGs run the real renderer.
// Not in jsdom test environments: jsdom cannot load inside one (no TextEncoder there).
import { registerStaticRenderer } from "../../lib/figures/static";

if (typeof document === "undefined") {
  registerStaticRenderer((view, data, options) => (require("../../kernel/render") as typeof import("../../kernel/render")).renderSVG(view, data, options));
}
