// Static rendering for display bundles; loading this module registers it with lib/figures.
import { registerStaticRenderer } from "../../lib/figures/static";
import { renderSVG } from "./svg";

registerStaticRenderer(renderSVG);

export { renderSVG } from "./svg";
export { encodePNG, pngDataURL, crc32 } from "./png";
