// Activation patching results: the patching metric over (layer, position) or (layer, head),
// on a diverging scale centred at zero (blue helps, red hurts) so the sign reads at once.
// Optionally a second map of the same shape beside it on the same scale (`exact`: attribution
// patching's estimate on the left, exact activation patching on the right), and a bar chart of
// labelled values (`bars`: direct logit attribution per layer beside its head × layer grid).
import * as d3 from "d3";
import { Cleanup, RasterEncoder, THEME, axisLabel, colorLegend, createFrame, fmt, hitLayer, matrixLabels, matrixPlot, range, showToken, styleAxis, MIN_TEXT, divergingRdBu, isDark, textWidth, tokenLabels } from "./common";
import { checkPatching, type PatchingData } from "../contract";

export type { PatchingData };

export interface PatchingOptions {
  raster?: RasterEncoder;
  /** Fixes the colour range to ±range (e.g. to compare maps, or to keep noise from looking saturated). */
  range?: number;
  theme?: "light" | "dark";
  /** Raw tokens as labels instead of words (sub-tokens merged). */
  rawTokens?: boolean;
  onSelect?: (layer: number, column: number) => void;
}

export function render(el: HTMLElement, data: PatchingData, options: PatchingOptions = {}): Cleanup {
  checkPatching(data);
  const t = data.values;
  const [nLayers, nCols] = t.shape;
  const colName = data.kind === "position" ? "Position (token)" : data.kind === "module" ? "Module" : "Head";
  const frame = createFrame(
    el,
    "patching",
    data.title ?? `Activation patching${data.activation ? ` of ${data.activation}` : ""} by layer and ${data.kind}`,
    data.note ?? `Colour: ${data.metric} when the clean activation is patched into the corrupted run (0 = no effect).`,
  );
  const cell = Math.max(6, Math.min(28, Math.floor(520 / Math.max(nCols, nLayers))));
  const pw = cell * nCols;
  const ph = cell * nLayers;
  const colLabels = data.kind === "position" ? tokenLabels(data.tokens!, options.rawTokens) : data.kind === "module" ? data.columns!.map(String) : range(nCols).map(String);
  const labelH = data.kind === "position" ? Math.min(110, 10 + 6.5 * (d3.max(colLabels, (l) => l.length) ?? 2)) : 16;
  const m = { left: 60, top: labelH + 8, right: 110, bottom: 40 };
  const ex = data.exact ?? null;
  const bars = data.bars ?? null;
  const bv = bars ? bars.values : null;
  const maps = ex ? [t, ex] : [t];
  const captions = data.panels ?? ["attribution patching (estimate)", "activation patching (exact)"];
  // Captions are centred under their maps: narrow maps (a few heads) get a wider gap so they never meet.
  const captionW = ex ? Math.max(...captions.map((c) => textWidth(c, MIN_TEXT, el.ownerDocument))) : 0;
  const gap = Math.max(30, Math.ceil(captionW - pw + 16));
  const mapsW = maps.length * pw + (maps.length - 1) * gap;
  const barRow = MIN_TEXT + 5;
  const barW = 180;
  const barLabelW = bars ? Math.max(60, ...bars.labels.map((l) => textWidth(String(l), MIN_TEXT, el.ownerDocument))) + 8 : 0;
  const barsH = bv ? bv.shape[0] * barRow : 0;
  const barsX = mapsW + 110 + barLabelW;
  const bottom = m.bottom + (ex ? 16 : 0);
  // Symmetric about zero: ±range when fixed, else ±(largest |value|), never narrower than the noise.
  const fixed = typeof options.range === "number" && options.range > 0 ? options.range : null;
  const a = fixed ?? Math.max(1e-6, data.noise ?? 0, ...maps.map((x) => d3.max(x.data, (v) => Math.abs(v)) ?? 1));
  // RdBu runs red → blue; negative (hurts) red, positive (helps) blue; zero is the background's lightness.
  const color = d3.scaleDiverging(divergingRdBu(isDark(el, options.theme))).domain([-a, 0, a]).clamp(true);
  const { g, paint } = matrixPlot(frame.body, {
    width: m.left + mapsW + m.right + (bv ? barLabelW + barW + 20 : 0),
    height: m.top + Math.max(ph, barsH, Math.min(Math.max(ph, 80), 200) + 24 - bottom) + bottom,
    margin: m,
    label: `patching map, ${nLayers} layers × ${nCols} ${data.kind}s`,
  });
  const mode = nLayers * nCols > 128 * 128 ? (options.raster ? "raster" : "canvas") : "svg";
  const step = Math.max(1, Math.ceil(10 / cell));
  const panels = maps.map((x, i) => {
    const pg = i === 0 ? g : g.append("g").attr("class", "panel-exact").attr("transform", `translate(${i * (pw + gap)},0)`);
    paint({ rows: nLayers, cols: nCols, width: pw, height: ph, value: (l, c) => x.data[l * nCols + c], color }, mode, { into: pg, x: i * (pw + gap), raster: options.raster });
    pg.append("rect").attr("width", pw).attr("height", ph).attr("fill", "none").style("stroke", THEME.border);
    const position = data.kind === "position";
    matrixLabels(pg, "col", range(nCols).filter((c) => c % step === 0), { cls: "col-label", pos: (c) => (c + 0.5) * cell, text: (c) => colLabels[c], rotate: position });
    if (i === 0) {
      matrixLabels(pg, "row", range(nLayers).filter((l) => l % step === 0), { cls: "row-label", pos: (l) => (l + 0.5) * cell, text: String });
      axisLabel(g, "Layer", -36, ph / 2, true);
    }
    axisLabel(pg, colName, pw / 2, ph + 24);
    if (ex) {
      const caption = captions[i];
      pg.append("text").attr("class", "panel-caption").attr("x", pw / 2).attr("y", ph + 42).attr("text-anchor", "middle").attr("font-size", MIN_TEXT).style("fill", THEME.fg).text(caption);
    }
    return { pg, x };
  });
  const legendH = Math.min(Math.max(ph, 80), 200);
  colorLegend(g, color, { x: mapsW + 40, y: 0, height: legendH, title: data.metric });
  // The range in words under the bar: a narrow automatic range (noise looking saturated) shows at once.
  g.append("text").attr("class", "legend-range").attr("x", mapsW + 30).attr("y", legendH + 18).attr("font-size", MIN_TEXT).attr("font-weight", 600).text(`range ±${fmt(a)}${fixed ? " (fixed)" : ""}`);
  if (bv && bars) {
    const bmax = Math.max(1e-6, d3.max(bv.data, (v) => Math.abs(v)) ?? 1);
    const bx = d3.scaleLinear().domain([-bmax, bmax]).range([0, barW]);
    const bcolor = d3.scaleDiverging(d3.interpolateRdBu).domain([-bmax, 0, bmax]);
    const bg = g.append("g").attr("class", "bars").attr("transform", `translate(${barsX},0)`);
    bg.append("g")
      .selectAll("rect")
      .data(range(bv.shape[0]))
      .join("rect")
      .attr("class", "bar")
      .attr("x", (i) => Math.min(bx(0), bx(bv!.data[i])))
      .attr("y", (i) => i * barRow + 2)
      .attr("width", (i) => Math.abs(bx(bv!.data[i]) - bx(0)))
      .attr("height", barRow - 4)
      .attr("fill", (i) => bcolor(bv!.data[i]));
    bg.append("g")
      .selectAll("text")
      .data(range(bv.shape[0]))
      .join("text")
      .attr("class", "bar-label")
      .attr("x", -4)
      .attr("y", (i) => (i + 0.5) * barRow)
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .attr("font-size", MIN_TEXT)
      .text((i) => bars.labels[i]);
    bg.append("line").attr("x1", bx(0)).attr("x2", bx(0)).attr("y1", 0).attr("y2", barsH).style("stroke", THEME.fg);
    const ax = bg.append("g").attr("transform", `translate(0,${barsH})`).call(d3.axisBottom(bx).ticks(4, ".2f"));
    styleAxis(ax);
    axisLabel(bg, bars.title, barW / 2, barsH + 30);
    bg.append("rect")
      .attr("class", "bar-hit")
      .attr("width", barW)
      .attr("height", barsH)
      .attr("fill", "transparent")
      .on("mousemove", (event: MouseEvent) => {
        const i = Math.floor(d3.pointer(event, bg.node())[1] / barRow);
        if (i >= 0 && i < bv!.shape[0]) frame.tip.show([bars.labels[i], `${bars.title} ${fmt(bv!.data[i])}`], event);
      })
      .on("mouseleave", () => frame.tip.hide());
  }
  for (const { pg, x } of panels) {
    const hover = pg.append("rect").attr("class", "hover-cell").attr("display", "none").attr("fill", "none").attr("width", cell).attr("height", cell).style("stroke", THEME.fg).style("pointer-events", "none");
    const { sel: hit, at } = hitLayer(pg, pw, ph, () => ({ rows: nLayers, cols: nCols, cw: cell, ch: cell }));
    hit
      .on("mousemove", (event: MouseEvent) => {
        const p = at(event);
        if (!p) return;
        hover.attr("display", null).attr("x", p[1] * cell).attr("y", p[0] * cell);
        const where = data.kind === "position" ? `position ${p[1]} (${colLabels[p[1]]})` : data.kind === "module" ? colLabels[p[1]] : `head ${p[1]}`;
        const lines = [`layer ${p[0]}, ${where}`, `${data.metric} ${fmt(x.data[p[0] * nCols + p[1]])}`];
        if (ex) lines.push(`${x === t ? "exact" : "estimate"} ${fmt((x === t ? ex : t).data[p[0] * nCols + p[1]])}`);
        frame.tip.show(lines, event);
      })
      .on("mouseleave", () => {
        hover.attr("display", "none");
        frame.tip.hide();
      })
      .on("click", (event: MouseEvent) => {
        const p = at(event);
        if (p) options.onSelect?.(p[0], p[1]);
      });
  }
  return () => frame.dispose();
}
