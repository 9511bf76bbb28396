// The renderers, each a pure render(el, data, options) -> cleanup.
import type { ViewData, ViewKind } from "../contract";
import type { Cleanup } from "./common";
import * as heatmap from "./heatmap";
import * as thumbnails from "./thumbnails";
import * as lines from "./lines";
import * as headscores from "./headscores";
import * as probe from "./probe";
import * as restoration from "./restoration";
import * as patching from "./patching";
import * as attribution from "./attribution";
import * as explore from "./explore";
import * as lens from "./lens";
import * as quiz from "./quiz";

export { heatmap, thumbnails, lines, headscores, probe, restoration, patching, attribution, explore, lens, quiz };
export type { Tensor, Cleanup, RasterEncoder } from "./common";

/**
 * One renderer per entry of the table of views (contract VIEWS), drawing that view's data
 * type: a view missing here, or a renderer for data of another shape, does not compile.
 */
export const RENDERERS: { readonly [K in ViewKind]: (el: HTMLElement, data: ViewData[K], options: never) => Cleanup } = {
  heatmap: heatmap.render,
  thumbnails: thumbnails.render,
  lines: lines.render,
  headscores: headscores.render,
  probe: probe.render,
  restoration: restoration.render,
  patching: patching.render,
  attribution: attribution.render,
  explore: explore.render,
  lens: lens.render,
  quiz: quiz.render,
};
