// Probe accuracy by layer (Hewitt & Liang's control tasks): one line per property with its
// confidence band, the control task dashed, the majority-class baseline dotted, and
// selectivity (task − control) in a second panel underneath.
import * as d3 from "d3";
import { CATEGORICAL, Cleanup, THEME, axisLabel, createFrame, fmt, styleAxis, MIN_TEXT } from "./common";
import { checkProbe, type ProbeData, type ProbeProperty } from "../contract";

export type { ProbeData, ProbeProperty };

export function render(el: HTMLElement, data: ProbeData, _options: Record<string, never> = {}): () => void {
  checkProbe(data);
  const layers = data.layers;
  const frame = createFrame(
    el,
    "probe",
    data.title ?? "Probe accuracy by layer",
    data.note ?? "Solid: task accuracy (band: confidence interval). Dashed: control task. Dotted: majority-class baseline. Lower panel: selectivity = task − control.",
  );
  const w = 520;
  const h1 = 240;
  const h2 = 110;
  const m = { left: 56, top: 12, right: 150, bottom: 40, gap: 46 };
  const svg = d3
    .select(frame.body)
    .append("svg")
    .attr("xmlns", "http://www.w3.org/2000/svg")
    .attr("width", m.left + w + m.right)
    .attr("height", m.top + h1 + m.gap + h2 + m.bottom)
    .attr("role", "img")
    .attr("aria-label", `probe accuracy by layer for ${data.properties.map((p) => p.name).join(", ")}`);
  const g = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);
  const x = d3.scaleLinear().domain(d3.extent(layers) as [number, number]).range([0, w]);
  if (layers.length === 1) x.domain([layers[0] - 0.5, layers[0] + 0.5]);
  const y = d3.scaleLinear().domain([0, 1]).range([h1, 0]);
  // Values may arrive as null (JSON has no NaN) where a cancelled run stopped.
  const ok = (v: number | null) => typeof v === "number" && Number.isFinite(v);
  const selOf = (p: ProbeProperty, i: number) => (ok(p.accuracy[i]) && ok(p.control![i]) ? p.accuracy[i] - p.control![i] : NaN);
  const withControl = data.properties.filter((p) => p.control);
  const sel = withControl.flatMap((p) => p.accuracy.map((_, i) => selOf(p, i))).filter(ok);
  const y2 = d3
    .scaleLinear()
    .domain([Math.min(0, d3.min(sel) ?? 0), Math.max(0.1, d3.max(sel) ?? 0.1)])
    .nice()
    .range([h2, 0]);
  const xTicks = layers.length <= 16 ? layers : undefined;
  styleAxis(g.append("g").attr("transform", `translate(0,${h1})`).call(d3.axisBottom(x).tickValues(xTicks ?? x.ticks()).tickFormat(d3.format("d"))));
  styleAxis(g.append("g").call(d3.axisLeft(y).ticks(5)));
  axisLabel(g, "Accuracy", -42, h1 / 2, true);
  const g2 = g.append("g").attr("class", "selectivity").attr("transform", `translate(0,${h1 + m.gap})`);
  styleAxis(g2.append("g").attr("transform", `translate(0,${h2})`).call(d3.axisBottom(x).tickValues(xTicks ?? x.ticks()).tickFormat(d3.format("d"))));
  styleAxis(g2.append("g").call(d3.axisLeft(y2).ticks(4)));
  axisLabel(g2, "Layer", w / 2, h2 + 34);
  axisLabel(g2, "Selectivity", -42, h2 / 2, true);
  g2.append("line").attr("x1", 0).attr("x2", w).attr("y1", y2(0)).attr("y2", y2(0)).style("stroke", THEME.border);

  // A missing value leaves a gap rather than a broken path.
  const line = d3.line<number>().defined(ok).x((_, i) => x(layers[i])).y((v) => y(v));
  const line2 = d3.line<number>().defined(ok).x((_, i) => x(layers[i])).y((v) => y2(v));
  data.properties.forEach((p, k) => {
    const c = CATEGORICAL[k % CATEGORICAL.length];
    const pg = g.append("g").attr("class", "property").attr("data-name", p.name);
    if (p.lower && p.upper) {
      const area = d3
        .area<number>()
        .defined((_, i) => ok(p.lower![i]) && ok(p.upper![i]))
        .x((_, i) => x(layers[i]))
        .y0((_, i) => y(p.lower![i]))
        .y1((_, i) => y(p.upper![i]));
      pg.append("path").attr("class", "band").attr("d", area(p.accuracy)).attr("fill", c).attr("fill-opacity", 0.18);
    }
    pg.append("path").attr("class", "task").attr("d", line(p.accuracy)).attr("fill", "none").attr("stroke", c).attr("stroke-width", 2);
    pg.selectAll("circle")
      .data(p.accuracy.map((v, i) => ({ v, i })).filter((d) => ok(d.v)))
      .join("circle")
      .attr("cx", (d) => x(layers[d.i]))
      .attr("cy", (d) => y(d.v))
      .attr("r", 3)
      .attr("fill", c);
    if (p.control) {
      pg.append("path").attr("class", "control").attr("d", line(p.control)).attr("fill", "none").attr("stroke", c).attr("stroke-width", 1.5).attr("stroke-dasharray", "6 4");
      g2.append("path")
        .attr("class", "selectivity-line")
        .attr("data-name", p.name)
        .attr("d", line2(p.accuracy.map((_, i) => selOf(p, i))))
        .attr("fill", "none")
        .attr("stroke", c)
        .attr("stroke-width", 2);
    }
    if (p.majority != null) {
      pg.append("line").attr("class", "majority").attr("x1", 0).attr("x2", w).attr("y1", y(p.majority)).attr("y2", y(p.majority)).attr("stroke", c).attr("stroke-dasharray", "2 3");
    }
    const ly = 10 + k * 18;
    const lg = g.append("g").attr("class", "legend-item").attr("transform", `translate(${w + 16},${ly})`);
    lg.append("line").attr("x1", 0).attr("x2", 18).attr("stroke", c).attr("stroke-width", 2);
    lg.append("text").attr("x", 24).attr("dy", "0.35em").attr("font-size", MIN_TEXT).text(p.name);
  });
  if (data.majority != null && ok(data.majority)) {
    g.append("line").attr("class", "majority shared").attr("x1", 0).attr("x2", w).attr("y1", y(data.majority)).attr("y2", y(data.majority)).attr("stroke-dasharray", "2 3").style("stroke", THEME.fg2);
  }
  const key = g.append("g").attr("class", "style-key").attr("transform", `translate(${w + 16},${20 + data.properties.length * 18})`);
  [
    ["task", null],
    ["control task", "6 4"],
    ["majority baseline", "2 3"],
  ].forEach(([label, dash], i) => {
    key.append("line").attr("x1", 0).attr("x2", 18).attr("y1", i * 16).attr("y2", i * 16).attr("stroke-width", 1.5).attr("stroke-dasharray", dash).style("stroke", THEME.fg2);
    key.append("text").attr("x", 24).attr("y", i * 16).attr("dy", "0.35em").attr("font-size", MIN_TEXT).text(label as string);
  });

  // Hover: a rule at the nearest layer and every property's numbers there.
  const rule = g.append("line").attr("class", "rule").attr("display", "none").attr("y1", 0).attr("y2", h1 + m.gap + h2).style("stroke", THEME.fg2).style("pointer-events", "none");
  const hit = g.append("rect").attr("class", "hit").attr("width", w).attr("height", h1 + m.gap + h2).attr("fill", "transparent");
  hit
    .on("mousemove", (event: MouseEvent) => {
      const [px] = d3.pointer(event, hit.node());
      const i = d3.minIndex(layers, (l) => Math.abs(x(l) - px));
      rule.attr("display", null).attr("x1", x(layers[i])).attr("x2", x(layers[i]));
      const lines = [`layer ${layers[i]}`];
      for (const p of data.properties) {
        if (!ok(p.accuracy[i])) {
          lines.push(`${p.name}: not computed`);
          continue;
        }
        let s = `${p.name}: ${fmt(p.accuracy[i])}`;
        if (p.lower && p.upper) s += ` [${fmt(p.lower[i])}, ${fmt(p.upper[i])}]`;
        if (p.control && ok(p.control[i])) s += `, control ${fmt(p.control[i])}, selectivity ${fmt(selOf(p, i))}`;
        lines.push(s);
      }
      if (data.majority != null) lines.push(`majority baseline ${fmt(data.majority)}`);
      frame.tip.show(lines, event);
    })
    .on("mouseleave", () => {
      rule.attr("display", "none");
      frame.tip.hide();
    });
  return () => frame.dispose();
}
