// The renderers, each a pure render(el, data, options) -> cleanup.
export * as heatmap from "./heatmap";
export * as thumbnails from "./thumbnails";
export * as lines from "./lines";
export * as headscores from "./headscores";
export * as probe from "./probe";
export * as restoration from "./restoration";
export * as patching from "./patching";
export * as attribution from "./attribution";
export * as explore from "./explore";
export * as lens from "./lens";
export * as quiz from "./quiz";
export type { Tensor, Cleanup, RasterEncoder } from "./common";
