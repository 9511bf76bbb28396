// The display resolver that shows method results as their figures (the kernel registers it).
export { resolveFigure } from "./register";
export * from "./widgets";
export * from "./figure";
export { registerStaticRenderer, staticSVG, type StaticRenderer } from "./static";
export { describeFigure } from "./text";
export type { FigureView as ViewKind } from "../../widgets/src/contract";
