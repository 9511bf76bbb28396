// Static rendering for display bundles. Loading this module registers nothing: the kernel's
// entry point (kernel/main.ts) registers renderSVG with lib/figures, and jest's setup does the same.
export { renderSVG } from "./svg";
export { encodePNG, pngDataURL, crc32 } from "./png";
