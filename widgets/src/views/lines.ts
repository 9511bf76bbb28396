// BertViz-style view of one head: the tokens twice, in two columns, with a line from each
// query token (left) to each key token (right) whose opacity is the attention weight.
// Hovering a token keeps only its lines.
import * as d3 from "d3";
import { Cleanup, THEME, addSelect, createFrame, fmt, range, showToken, subMatrix, MIN_TEXT } from "./common";
import { checkLines, type LinesData } from "../contract";

export type { LinesData };

export interface LinesOptions {
  /** Weights below this are not drawn (they would be invisible anyway). */
  minWeight?: number;
  onSelect?: (layer: number, head: number) => void;
}

export function render(el: HTMLElement, data: LinesData, options: LinesOptions = {}): Cleanup {
  checkLines(data);
  const { pattern, tokens } = data;
  const rank = pattern.shape.length;
  const [rows, cols] = pattern.shape.slice(-2);
  const minWeight = options.minWeight ?? 0.01;
  let layer = data.layer ?? 0;
  let head = data.head ?? 0;
  const frame = createFrame(
    el,
    "lines",
    data.title ?? "Attention lines",
    "Left: query token (attending from). Right: key token (attended to). Line opacity: attention weight.",
  );
  const heading = frame.root.querySelector(".attnlab-title") as HTMLDivElement;
  if (rank === 4) {
    const opts = (n: number) => range(n).map((i) => ({ value: String(i), label: String(i) }));
    addSelect(frame.controls, "Layer", opts(pattern.shape[0]), String(layer), (v) => {
      layer = +v;
      options.onSelect?.(layer, head);
      draw();
    });
    addSelect(frame.controls, "Head", opts(pattern.shape[1]), String(head), (v) => {
      head = +v;
      options.onSelect?.(layer, head);
      draw();
    });
  }

  function draw(): void {
    frame.body.textContent = "";
    frame.tip.hide();
    const mat = rank === 4 ? subMatrix(pattern, [layer, head]) : pattern.data;
    heading.textContent = `${data.title ?? "Attention lines"}${rank === 4 ? `: layer ${layer}, head ${head}` : ""}`;
    const rowH = 18;
    const colW = Math.min(140, 16 + 7 * (d3.max(tokens, (t) => showToken(t).length) ?? 4));
    const gapW = 160;
    const m = { left: 10, top: 34, bottom: 10 };
    const width = m.left + 2 * colW + gapW + 10;
    const svg = d3
      .select(frame.body)
      .append("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("width", width)
      .attr("height", m.top + rows * rowH + m.bottom)
      .attr("role", "img")
      .attr("aria-label", `attention lines for ${rows} tokens`);
    const g = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);
    const xl = colW;
    const xr = colW + gapW;
    const y = (i: number) => i * rowH + rowH / 2;
    g.append("text").attr("class", "axis-label").attr("x", xl).attr("y", -14).attr("text-anchor", "end").attr("font-size", MIN_TEXT).text("Query (from)");
    g.append("text").attr("class", "axis-label").attr("x", xr).attr("y", -14).attr("text-anchor", "start").attr("font-size", MIN_TEXT).text("Key (to)");
    const links: { i: number; j: number; w: number }[] = [];
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) if (mat[i * cols + j] >= minWeight) links.push({ i, j, w: mat[i * cols + j] });
    const lines = g
      .append("g")
      .attr("class", "links")
      .selectAll("line")
      .data(links)
      .join("line")
      .attr("class", "link")
      .attr("x1", xl + 6)
      .attr("y1", (d) => y(d.i))
      .attr("x2", xr - 6)
      .attr("y2", (d) => y(d.j))
      .attr("stroke-width", 2)
      .attr("stroke-opacity", (d) => d.w)
      .style("stroke", THEME.accent);
    const focus = (side: "query" | "key" | null, k: number, event?: MouseEvent): void => {
      lines.attr("display", (d) => (side === null || (side === "query" ? d.i : d.j) === k ? null : "none"));
      g.selectAll<SVGTextElement, number>(".left").classed("active", (i) => side === "query" && i === k);
      g.selectAll<SVGTextElement, number>(".right").classed("active", (j) => side === "key" && j === k);
      if (side === null || !event) return frame.tip.hide();
      const ws = range(cols).map((o) => ({ o, w: side === "query" ? mat[k * cols + o] : mat[o * cols + k] }));
      ws.sort((a, b) => b.w - a.w);
      frame.tip.show(
        [
          side === "query" ? `query ${k}: ${showToken(tokens[k])} attends to` : `key ${k}: ${showToken(tokens[k])} is attended by`,
          ...ws.slice(0, 3).map(({ o, w }) => `  ${showToken(tokens[o])} (${o}) ${fmt(w)}`),
        ],
        event,
      );
    };
    for (const side of ["left", "right"] as const) {
      g.append("g")
        .selectAll("text")
        .data(range(rows))
        .join("text")
        .attr("class", `token-label ${side}`)
        .attr("data-index", (i) => i)
        .attr("x", side === "left" ? xl : xr)
        .attr("y", y)
        .attr("dy", "0.35em")
        .attr("text-anchor", side === "left" ? "end" : "start")
        .attr("font-size", MIN_TEXT)
        .text((i) => showToken(tokens[i]))
        .on("mouseenter", (event: MouseEvent, i) => focus(side === "left" ? "query" : "key", i, event))
        .on("mouseleave", () => focus(null, -1));
    }
  }
  draw();
  return () => frame.dispose();
}
