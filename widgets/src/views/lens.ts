// Logit lens (nostalgebraist 2020): each layer's residual stream read through the final
// LayerNorm and the unembedding. One row per layer (last row = the model's output), one
// column per position; a cell shows the top prediction there, shaded by its probability
// (or by the probability of a chosen target token).
import * as d3 from "d3";
import { Cleanup, THEME, addSelect, axisLabel, colorLegend, createFrame, fmt, range, showToken, MIN_TEXT } from "./common";
import { checkLens, type LensData } from "../contract";

export type { LensData };

export interface LensOptions {
  /** Start with cells shaded by the target's probability (when given). */
  colour?: "top" | "target";
}

export function render(el: HTMLElement, data: LensData, options: LensOptions = {}): Cleanup {
  checkLens(data);
  const { top, tokens, layers, topTokens: tt } = data;
  const [nL, P, k] = top.shape;
  const target = data.targetProb ?? null;
  let mode: "top" | "target" = options.colour === "target" && target ? "target" : "top";
  const frame = createFrame(
    el,
    "lens",
    data.title ?? "Logit lens",
    "Each row reads the residual stream through the final LayerNorm and unembedding. Cell: top prediction at that position.",
  );
  if (target) {
    addSelect(
      frame.controls,
      "Colour",
      [
        { value: "top", label: "p(top prediction)" },
        { value: "target", label: `p(${showToken(data.target ?? "target")})` },
      ],
      mode,
      (v) => {
        mode = v as "top" | "target";
        draw();
      },
    );
  }
  const color = d3.scaleSequential(d3.interpolateViridis).domain([0, 1]);
  const longest = d3.max(tt.flat().map((c) => showToken(c[0]).length)) ?? 1;
  const cw = Math.max(28, Math.min(90, 8 + 6.2 * longest));
  const ch = 20;
  const labelW = 8 + 6.5 * (d3.max(layers, (l) => l.length) ?? 4);
  const colH = Math.min(110, 10 + 6.5 * (d3.max(tokens, (t) => showToken(t).length) ?? 2));
  const m = { left: labelW + 22, top: colH + 8, right: 100, bottom: 30 };
  const value = (l: number, p: number) => (mode === "target" && target ? target.data[l * P + p] : top.data[(l * P + p) * k]);

  function draw(): void {
    frame.body.textContent = "";
    frame.tip.hide();
    const svg = d3
      .select(frame.body)
      .append("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("width", m.left + cw * P + m.right)
      .attr("height", m.top + ch * nL + m.bottom)
      .attr("role", "img")
      .attr("aria-label", `logit lens, ${nL} layers × ${P} positions`);
    const g = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);
    const cells = g
      .append("g")
      .attr("class", "cells")
      .selectAll("g")
      .data(range(nL * P).map((i) => ({ l: Math.floor(i / P), p: i % P })))
      .join("g")
      .attr("class", "lens-cell")
      .attr("data-layer", (d) => d.l)
      .attr("data-pos", (d) => d.p)
      .attr("transform", (d) => `translate(${d.p * cw},${d.l * ch})`);
    cells
      .append("rect")
      .attr("class", "cell")
      .attr("width", cw - 1)
      .attr("height", ch - 1)
      .attr("fill", (d) => color(value(d.l, d.p)));
    cells
      .append("text")
      .attr("class", "top-token")
      .attr("x", (cw - 1) / 2)
      .attr("y", (ch - 1) / 2)
      .attr("dy", "0.35em")
      .attr("text-anchor", "middle")
      .attr("font-size", MIN_TEXT)
      // Light text on dark viridis, dark on light, in either theme.
      .style("fill", (d) => (d3.hsl(color(value(d.l, d.p))).l < 0.55 ? "#fff" : "#111"))
      .text((d) => showToken(tt[d.l][d.p][0]));
    g.append("g")
      .selectAll("text")
      .data(range(nL))
      .join("text")
      .attr("class", "row-label")
      .attr("x", -4)
      .attr("y", (l) => (l + 0.5) * ch)
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .attr("font-size", MIN_TEXT)
      .text((l) => layers[l]);
    g.append("g")
      .selectAll("text")
      .data(range(P))
      .join("text")
      .attr("class", "col-label")
      .attr("transform", (p) => `translate(${(p + 0.5) * cw},-4) rotate(-90)`)
      .attr("dy", "0.35em")
      .attr("font-size", MIN_TEXT)
      .text((p) => showToken(tokens[p]));
    axisLabel(g, "Layer (residual stream read)", -labelW - 10, (ch * nL) / 2, true);
    axisLabel(g, "Input position", (cw * P) / 2, ch * nL + 20);
    colorLegend(g, color, { x: cw * P + 40, y: 0, height: Math.min(Math.max(ch * nL, 80), 200), title: mode === "target" ? `p(${showToken(data.target ?? "target")})` : "p(top)" });
    cells
      .on("mouseenter", (event: MouseEvent, d) => {
        const lines = [`${layers[d.l]}, position ${d.p} (${showToken(tokens[d.p])})`];
        for (let r = 0; r < k; r++) lines.push(`${r + 1}. ${showToken(tt[d.l][d.p][r])}  ${fmt(top.data[(d.l * P + d.p) * k + r])}`);
        if (target) lines.push(`p(${showToken(data.target ?? "target")}) ${fmt(target.data[d.l * P + d.p])}`);
        frame.tip.show(lines, event);
      })
      .on("mouseleave", () => frame.tip.hide());
    cells.selectAll("rect").style("stroke", THEME.bg);
  }
  draw();
  return () => frame.dispose();
}
