// Causal tracing in ROME's layout: for hidden states, MLP outputs and attention outputs, a
// token × layer map of p(answer) after restoring that clean state into the corrupted run.
// Tokens are rows (subject tokens, the corrupted ones, marked *), layers are columns, and
// each colour scale starts at p_corrupted, in ROME's hues: purple, green, red.
import * as d3 from "d3";
import { Cleanup, THEME, axisLabel, colorLegend, createFrame, fmt, paintMatrix, range, showToken, styleAxis, MIN_TEXT, fitText, isDark, sequentialHue, textWidth, tokenLabels } from "./common";
import { checkRestoration, type RestorationData, type RestorationKind } from "../contract";

export type { RestorationData, RestorationKind };

const PANELS: { kind: RestorationKind; title: string; xlabel: (w: string) => string; hue: (t: number) => string }[] = [
  { kind: "hidden", title: "Restoring the hidden state", xlabel: () => "single restored layer", hue: d3.interpolatePurples },
  { kind: "mlp", title: "Restoring MLP outputs", xlabel: (w) => `centre of ${w} restored MLP layers`, hue: d3.interpolateGreens },
  { kind: "attn", title: "Restoring attention outputs", xlabel: (w) => `centre of ${w} restored attention layers`, hue: d3.interpolateReds },
];

export function render(el: HTMLElement, data: RestorationData, _options: { theme?: "light" | "dark"; rawTokens?: boolean } = {}): Cleanup {
  const { nTok, nLayers } = checkRestoration(data);
  const tokens = data.tokens;
  const [s0, s1] = data.subject;
  const settings = Object.entries(data.settings ?? {}).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `${k} ${v}`);
  const frame = createFrame(
    el,
    "restoration",
    data.title ?? `Causal tracing: p(${showToken(data.answer)}) when one clean state is restored`,
    [`p clean ${fmt(data.pClean)}`, `p corrupted ${fmt(data.pCorrupted)}`, "* = corrupted subject token", ...settings].join(" · "),
  );
  const window = String(data.settings?.window ?? 10);
  const words = tokenLabels(tokens, (_options as { rawTokens?: boolean }).rawTokens);
  const labels = words.map((t, i) => (i >= s0 && i < s1 ? `${t}*` : t));
  const cell = 16;
  const dark = isDark(el, (_options as { theme?: string }).theme);
  const labelW = Math.ceil(Math.min(150, 8 + (d3.max(labels, (l) => textWidth(l, MIN_TEXT, el.ownerDocument)) ?? 30)));
  const pw = Math.max(nLayers * Math.min(cell, Math.floor(360 / nLayers)), 120);
  const cw = pw / nLayers;
  const ph = nTok * cell;
  const panelW = labelW + 16 + pw + 110;
  for (const panel of PANELS) {
    const t = data[panel.kind];
    if (!t) continue;
    const svg = d3
      .select(frame.body)
      .append("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("class", `panel panel-${panel.kind}`)
      .attr("width", panelW)
      .attr("height", ph + 90)
      .attr("role", "img")
      .attr("aria-label", `${panel.title}: p(${data.answer}) by token and layer`)
      .style("display", "inline-block")
      .style("margin-right", "8px");
    const g = svg.append("g").attr("transform", `translate(${labelW + 16},28)`);
    g.append("text").attr("class", "panel-title").attr("x", pw / 2).attr("y", -12).attr("text-anchor", "middle").attr("font-size", MIN_TEXT).attr("font-weight", 600).text(panel.title);
    const hi = Math.max(data.pCorrupted + 1e-6, d3.max(t.data) ?? 0);
    // ROME's hues from p_corrupted (palest) up; in the dark theme from near-black up, so nothing glares.
    const color = d3.scaleSequential(sequentialHue(panel.hue, dark)).domain([data.pCorrupted, hi]).clamp(true);
    paintMatrix("svg", g, frame.body, { left: 0, top: 0 }, {
      rows: nTok,
      cols: nLayers,
      width: pw,
      height: ph,
      value: (i, l) => t.data[i * nLayers + l],
      color,
    });
    g.append("rect").attr("width", pw).attr("height", ph).attr("fill", "none").style("stroke", THEME.border);
    g.append("g")
      .selectAll("text")
      .data(range(nTok))
      .join("text")
      .attr("class", (i) => (i >= s0 && i < s1 ? "token-label subject" : "token-label"))
      .attr("x", -4)
      .attr("y", (i) => (i + 0.5) * cell)
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .attr("font-size", MIN_TEXT)
      .each(function (i) {
        fitText(d3.select(this as SVGTextElement) as never, labels[i], labelW - 2, MIN_TEXT);
        if (words[i] !== showToken(tokens[i])) d3.select(this as SVGTextElement).append("title").text(`token ${i}: ${showToken(tokens[i])}`);
      });
    const x = d3.scaleLinear().domain([0, nLayers]).range([0, pw]);
    const ticks = range(nLayers).filter((l) => l % Math.max(1, Math.ceil(nLayers / 8)) === 0);
    styleAxis(g.append("g").attr("transform", `translate(0,${ph})`).call(d3.axisBottom(x).tickValues(ticks.map((l) => l + 0.5)).tickFormat((v) => String(Math.floor(+v)))));
    axisLabel(g, panel.xlabel(window), pw / 2, ph + 36, false, pw + 100);
    axisLabel(g, "input token", -labelW - 6, ph / 2, true, ph + 80);
    colorLegend(g, color, { x: pw + 36, y: 0, height: Math.max(60, Math.min(ph, 160)), title: `p(${showToken(data.answer)})` });
    const hover = g.append("rect").attr("class", "hover-cell").attr("display", "none").attr("fill", "none").attr("width", cw).attr("height", cell).style("stroke", THEME.fg).style("pointer-events", "none");
    const hit = g.append("rect").attr("class", "hit").attr("width", pw).attr("height", ph).attr("fill", "transparent");
    hit
      .on("mousemove", (event: MouseEvent) => {
        const [px, py] = d3.pointer(event, hit.node());
        const i = Math.floor(py / cell);
        const l = Math.floor(px / cw);
        if (i < 0 || l < 0 || i >= nTok || l >= nLayers) return;
        const p = t.data[i * nLayers + l];
        hover.attr("display", null).attr("x", l * cw).attr("y", i * cell);
        frame.tip.show(
          [
            `${panel.title.toLowerCase()} at token ${i} (${showToken(tokens[i])}${i >= s0 && i < s1 ? "*" : ""}), layer ${l}`,
            `p(${showToken(data.answer)}) ${fmt(p)}`,
            `indirect effect ${fmt(p - data.pCorrupted)} (of total ${fmt(data.pClean - data.pCorrupted)})`,
          ],
          event,
        );
      })
      .on("mouseleave", () => {
        hover.attr("display", "none");
        frame.tip.hide();
      });
  }
  return () => frame.dispose();
}
