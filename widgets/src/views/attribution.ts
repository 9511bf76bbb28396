// Attention beside other importance measures (Jain & Wallace): one row of tokens per
// measure, each token shaded by its importance (scaled to the row's largest magnitude),
// with Kendall τ between that measure and attention beside the row.
import * as d3 from "d3";
import { Cleanup, THEME, createFrame, fmt, showToken, MIN_TEXT, divergingRdBu, isDark, sequentialHue } from "./common";
import { checkAttribution, type AttributionData } from "../contract";

export type { AttributionData };

/** Kendall's τ-b over paired values (ties handled; pairs with a NaN skipped), used when the method did not report τ. */
export function kendallTau(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error(`kendallTau: lengths differ (${n} vs ${b.length})`);
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i])) continue;
    for (let j = i + 1; j < n; j++) {
      if (!Number.isFinite(a[j]) || !Number.isFinite(b[j])) continue;
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  const denom = Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
  return denom === 0 ? NaN : (concordant - discordant) / denom;
}

export function render(el: HTMLElement, data: AttributionData, _options: { theme?: "light" | "dark" } = {}): Cleanup {
  const dark = isDark(el, _options.theme);
  checkAttribution(data);
  const att = data.attention;
  const n = att.shape[0];
  const tokens = data.tokens;
  const rows = [{ name: "attention", values: att.data, tau: NaN }].concat(
    data.measures.map((m) => ({ name: m.name, values: m.values.data, tau: data.tau?.[m.name] ?? kendallTau(att.data, m.values.data) })),
  );
  const frame = createFrame(
    el,
    "attribution",
    data.title ?? "Attention against other importance measures",
    [
      data.target,
      "Shade: importance ÷ the row's largest magnitude.",
      `τ: Kendall rank correlation with attention${data.tauNote ? ` (${data.tauNote})` : data.tau ? "" : " (computed here over all tokens)"}.`,
    ]
      .filter(Boolean)
      .join(" "),
  );
  const labelW = 150;
  const rowH = 26;
  const widths = tokens.map((t) => Math.max(22, 8 + 7 * showToken(t).length));
  const xs = d3.cumsum([0, ...widths]);
  const totalW = labelW + xs[n] + 10;
  const svg = d3
    .select(frame.body)
    .append("svg")
    .attr("xmlns", "http://www.w3.org/2000/svg")
    .attr("width", totalW)
    .attr("height", 30 + rows.length * rowH + 10)
    .attr("role", "img")
    .attr("aria-label", `token importance by ${rows.map((r) => r.name).join(", ")}`);
  const g = svg.append("g").attr("transform", "translate(0,26)");
  g.append("text").attr("class", "axis-label").attr("x", 0).attr("y", -10).attr("font-size", MIN_TEXT).text("Measure (τ vs attention)");
  g.append("text").attr("class", "axis-label").attr("x", labelW).attr("y", -10).attr("font-size", MIN_TEXT).text("Input tokens →");
  let picked: number | null = null;
  rows.forEach((r, k) => {
    const maxAbs = d3.max(r.values, (v) => Math.abs(v)) || 1;
    const signed = d3.min(r.values)! < 0;
    const scale = signed ? d3.scaleDiverging(divergingRdBu(dark)).domain([-1, 0, 1]) : d3.scaleSequential(sequentialHue(d3.interpolateBlues, dark)).domain([0, 1]);
    // NaN: a value the method does not define (e.g. leaving out the query token itself).
    const color = (v: number) => (Number.isFinite(v) ? scale(v) : dark ? "#4a4a4a" : "#d9d9d9");
    const rg = g.append("g").attr("class", "measure").attr("data-name", r.name).attr("transform", `translate(0,${k * rowH})`);
    rg.append("text")
      .attr("class", "measure-label")
      .attr("x", 0)
      .attr("y", rowH / 2)
      .attr("dy", "0.35em")
      .attr("font-size", MIN_TEXT)
      .text(k === 0 ? r.name : `${r.name} (τ ${Number.isNaN(r.tau) ? "n/a" : r.tau.toFixed(2)})`);
    const cells = rg
      .selectAll("g.tok")
      .data(Array.from(r.values, (v, i) => ({ v, i })))
      .join("g")
      .attr("class", "tok")
      .attr("data-index", (d) => d.i)
      .attr("transform", (d) => `translate(${labelW + xs[d.i]},2)`);
    cells
      .append("rect")
      .attr("width", (d) => widths[d.i] - 2)
      .attr("height", rowH - 4)
      .attr("fill", (d) => color(d.v / maxAbs))
      .attr("data-missing", (d) => (Number.isFinite(d.v) ? null : "true"));
    cells
      .append("text")
      .attr("x", (d) => (widths[d.i] - 2) / 2)
      .attr("y", (rowH - 4) / 2)
      .attr("dy", "0.35em")
      .attr("text-anchor", "middle")
      .attr("font-size", MIN_TEXT)
      // Dark shades get light text; the theme colour would vanish on them in either theme.
      .style("fill", (d) => (d3.hsl(color(d.v / maxAbs)).l < 0.55 ? "#fff" : "#111"))
      .text((d) => showToken(tokens[d.i]));
    cells
      .on("mouseenter", (event: MouseEvent, d) =>
        frame.tip.show(
          [`token ${d.i}: ${showToken(tokens[d.i])}`, ...rows.map((o) => `${o.name}: ${Number.isFinite(o.values[d.i]) ? fmt(o.values[d.i]) : "n/a"}`)],
          event,
        ),
      )
      .on("mouseleave", () => frame.tip.hide())
      .on("click", (_e: MouseEvent, d) => {
        picked = picked === d.i ? null : d.i;
        g.selectAll<SVGGElement, { i: number }>("g.tok rect")
          .style("stroke", (o) => (picked !== null && o.i === picked ? THEME.accent : null))
          .attr("stroke-width", (o) => (picked !== null && o.i === picked ? 2.5 : null));
      });
  });
  return () => frame.dispose();
}
