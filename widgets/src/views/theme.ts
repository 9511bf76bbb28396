// Colour scales' theme variants: JupyterLab's dark theme gets scales whose low end (and a
// diverging scale's zero) is near black, so no map glares as a white box.
import * as d3 from "d3";

// JupyterLab's theme variables with light-theme fallbacks, so a figure follows the light
// and dark themes inside Lab and still reads on a bare page.
export const THEME = {
  fg: "var(--jp-ui-font-color1, #1f1f1f)",
  fg2: "var(--jp-ui-font-color2, #555)",
  bg: "var(--jp-layout-color1, #fff)",
  bg2: "var(--jp-layout-color2, #eee)",
  border: "var(--jp-border-color1, #bbb)",
  accent: "var(--jp-brand-color1, #1976d2)",
  warn: "var(--jp-warn-color0, #e65100)",
  font: "var(--jp-ui-font-family, system-ui, sans-serif)",
  mono: "var(--jp-code-font-family, monospace)",
};

// Okabe & Ito's palette: distinguishable under the common colour-vision deficiencies.
export const CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

/**
 * True when the view sits in JupyterLab's dark theme (body[data-jp-theme-light="false"]) or
 * the caller asks for it (options.theme "dark"): colour scales then use their dark variants.
 */
export function isDark(el: Element, theme?: string): boolean {
  if (theme === "dark") return true;
  if (theme === "light") return false;
  const host = el.closest?.("[data-jp-theme-light]");
  return host?.getAttribute("data-jp-theme-light") === "false";
}

/** Dark variant of a single-hue scale: low values near the dark background, high values the hue at full strength. */
export function sequentialHue(hue: (t: number) => string, dark: boolean): (t: number) => string {
  if (!dark) return hue;
  const top = d3.rgb(hue(0.85));
  return d3.interpolateRgb("#1b1b1f", top.brighter(0.6).formatRgb());
}

/** RdBu in light theme; in dark theme red → near-black → blue, so zero is as dark as the background. */
export function divergingRdBu(dark: boolean): (t: number) => string {
  if (!dark) return d3.interpolateRdBu;
  return d3.interpolateRgbBasis(["#f4a582", "#d6604d", "#5a1f24", "#1b1b1f", "#1d3b57", "#4393c3", "#92c5de"]);
}
