// Colour bars and axis text: the legend beside every map, axis titles that never clip.
import * as d3 from "d3";
import { MIN_TEXT, fitText, wrapText } from "./text";
import { THEME } from "./theme";

let gradientCounter = 0;

/** Any d3 colour scale over numbers (sequential or diverging). */
export interface ColorScale {
  (v: number): string;
  domain(): number[];
}

/** A vertical colour bar with an axis, drawn at (x, y) in `g`. */
export function colorLegend(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  scale: ColorScale,
  opts: { x: number; y: number; height: number; title: string },
): void {
  const id = `attnlab-grad-${++gradientCounter}`;
  const dom = scale.domain();
  const lo = dom[0];
  const hi = dom[dom.length - 1];
  const grad = g.append("defs").append("linearGradient").attr("id", id).attr("x1", 0).attr("x2", 0).attr("y1", 1).attr("y2", 0);
  for (let k = 0; k <= 10; k++) {
    grad.append("stop").attr("offset", `${k * 10}%`).attr("stop-color", scale(lo + ((hi - lo) * k) / 10));
  }
  const lg = g.append("g").attr("class", "legend").attr("transform", `translate(${opts.x},${opts.y})`);
  lg.append("rect").attr("width", 12).attr("height", opts.height).attr("fill", `url(#${id})`);
  const axis = d3.scaleLinear().domain([lo, hi]).range([opts.height, 0]);
  const ax = lg.append("g").attr("transform", "translate(12,0)").call(d3.axisRight(axis).ticks(5, ".2f"));
  styleAxis(ax);
  ax.selectAll("text").attr("font-size", MIN_TEXT);
  // The title runs along the bar in up to two lines as long as the bar (at least 90 px);
  // anything longer ends in "…" with the full title as the legend's tooltip.
  const max = Math.max(opts.height, 90);
  const doc = g.node()?.ownerDocument;
  const lines = wrapText(opts.title, max, MIN_TEXT, 2, doc);
  const title = lg
    .append("text")
    .attr("class", "legend-title")
    .attr("transform", `translate(-5,${opts.height / 2}) rotate(-90)`)
    .attr("text-anchor", "middle")
    .attr("font-size", MIN_TEXT);
  lines.forEach((line, i) =>
    title
      .append("tspan")
      .attr("x", 0)
      .attr("dy", i === 0 ? `${-(lines.length - 1) * 1.15}em` : "1.15em")
      .text(i < lines.length - 1 ? `${line} ` : line),
  );
  if (lines.join(" ") !== opts.title) lg.insert("title", ":first-child").text(opts.title);
}


/** Axis lines and ticks in the theme's colours (d3 draws them currentColor). */
export function styleAxis(ax: d3.Selection<SVGGElement, unknown, null, undefined>): void {
  ax.attr("color", null).style("color", THEME.fg2).attr("font-size", MIN_TEXT);
}

export function axisLabel(
  g: d3.Selection<SVGGElement, unknown, null, undefined>,
  text: string,
  x: number,
  y: number,
  rotate = false,
  max = Infinity,
): void {
  const t = g
    .append("text")
    .attr("class", "axis-label")
    .attr("text-anchor", "middle")
    .attr("font-size", MIN_TEXT)
    .attr("transform", rotate ? `translate(${x},${y}) rotate(-90)` : `translate(${x},${y})`);
  // Along its axis a label gets at most `max` px (e.g. the plot's side), else "…" and a tooltip.
  fitText(t, text, Math.max(max, 60), MIN_TEXT);
}
