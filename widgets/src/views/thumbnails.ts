// Every head of a model at once: a layers × heads grid of small attention maps. Hovering a
// thumbnail previews it large beside the grid; clicking it asks for that head's heatmap.
import * as d3 from "d3";
import {
  Cleanup,
  PaintMode,
  RasterEncoder,
  Tensor,
  THEME,
  axisLabel,
  createFrame,
  hitLayer,
  matrixPlot,
  range,
  showToken,
  subMatrix,
  MIN_TEXT,
} from "./common";
import { render as renderHeatmap } from "./heatmap";
import { checkThumbnails, type ThumbnailsData } from "../contract";

export type { ThumbnailsData };

export interface ThumbnailsOptions {
  /** Side of one thumbnail in pixels. */
  thumb?: number;
  /** Side of the hover preview in pixels; 0 for none (static export). */
  preview?: number;
  raster?: RasterEncoder;
  /** Called when a head is opened (its heatmap is also drawn under the grid). */
  onOpen?: (layer: number, head: number) => void;
}

export function render(el: HTMLElement, data: ThumbnailsData, options: ThumbnailsOptions = {}): Cleanup {
  checkThumbnails(data);
  const pattern = data.pattern;
  const [nLayers, nHeads, rows, cols] = pattern.shape;
  const frame = createFrame(
    el,
    "thumbnails",
    data.title ?? `All attention heads (${nLayers} layers × ${nHeads} heads)`,
    "Each square is one head's query × key pattern, coloured by attention weight (0 to 1). Hover to preview, click to open.",
  );
  const t = options.thumb ?? Math.max(24, Math.min(64, Math.floor(720 / nHeads) - 6));
  const gap = 6;
  const pv = options.preview ?? 240;
  const withPreview = pv > 0;
  const m = { left: 56, top: 44, right: 20, bottom: 10 };
  const gridW = nHeads * (t + gap);
  const gridH = nLayers * (t + gap);
  const mode: PaintMode = rows * cols <= 24 * 24 ? "svg" : options.raster ? "raster" : "canvas";
  const color = d3.scaleSequential(d3.interpolateViridis).domain([0, 1]);
  const { g, paint } = matrixPlot(frame.body, {
    width: m.left + gridW + (withPreview ? pv + 40 : 0) + m.right,
    height: m.top + Math.max(gridH, withPreview ? pv + 30 : 0) + m.bottom,
    margin: m,
    label: `attention thumbnails for ${nLayers * nHeads} heads`,
  });
  axisLabel(g, "Head", gridW / 2, -28);
  axisLabel(g, "Layer", -40, gridH / 2, true);
  g.append("g")
    .selectAll("text")
    .data(range(nHeads))
    .join("text")
    .attr("class", "tick-label")
    .attr("x", (h) => h * (t + gap) + t / 2)
    .attr("y", -8)
    .attr("text-anchor", "middle")
    .attr("font-size", MIN_TEXT)
    .text((h) => h);
  g.append("g")
    .selectAll("text")
    .data(range(nLayers))
    .join("text")
    .attr("class", "tick-label")
    .attr("x", -8)
    .attr("y", (l) => l * (t + gap) + t / 2)
    .attr("dy", "0.35em")
    .attr("text-anchor", "end")
    .attr("font-size", MIN_TEXT)
    .text((l) => l);

  for (let l = 0; l < nLayers; l++) {
    for (let h = 0; h < nHeads; h++) {
      const x = h * (t + gap);
      const y = l * (t + gap);
      const cell = g.append("g").attr("class", "thumb").attr("data-layer", l).attr("data-head", h).attr("transform", `translate(${x},${y})`);
      const mat = subMatrix(pattern, [l, h]);
      paint({ rows, cols, width: t, height: t, value: (i, j) => blankCausal(mat, i, j, cols), color }, mode, { into: cell, x, y, raster: options.raster });
      cell.append("rect").attr("class", "thumb-frame").attr("width", t).attr("height", t).attr("fill", "none").style("stroke", THEME.border);
    }
  }

  const px = gridW + 40;
  const preview = g.append("g").attr("class", "preview").attr("transform", `translate(${px},0)`).attr("display", withPreview ? null : "none");
  const previewTitle = preview.append("text").attr("class", "preview-title").attr("y", -8).attr("font-size", MIN_TEXT).text("Hover a head to preview");
  let previewCanvas: HTMLCanvasElement | null = null;
  let selected: SVGRectElement | null = null;
  const showPreview = (l: number, h: number): void => {
    preview.selectAll(".cells, .cells-raster").remove();
    previewCanvas?.remove();
    const mat = subMatrix(pattern, [l, h]);
    previewCanvas = paint({ rows, cols, width: pv, height: pv, value: (i, j) => blankCausal(mat, i, j, cols), color }, mode, { into: preview, x: px, raster: options.raster });
    preview.select(".cells").lower();
    previewTitle.text(`Layer ${l}, head ${h} (query ↓, key →)`);
  };
  preview.append("rect").attr("width", pv).attr("height", pv).attr("fill", "none").style("stroke", THEME.border);

  // A transparent hit layer over the grid: one listener instead of one per thumbnail.
  const { sel: hit, at: headAt } = hitLayer(g, gridW, gridH, () => ({ rows: nLayers, cols: nHeads, cw: t + gap, ch: t + gap, inner: [t, t] }), "pointer");
  let shown = "";
  hit
    .on("mousemove", (event: MouseEvent) => {
      const at = headAt(event);
      if (!at) return frame.tip.hide();
      const key = at.join(".");
      if (key !== shown) {
        shown = key;
        showPreview(at[0], at[1]);
      }
      const mat = subMatrix(pattern, at);
      // The first query row can only attend to itself in a causal model: skip it.
      const from = rows > 1 ? 1 : 0;
      let best = from * cols;
      for (let i = from; i < rows; i++) for (let j = 0; j < cols; j++) if (mat[i * cols + j] > mat[best]) best = i * cols + j;
      const lines = [`layer ${at[0]}, head ${at[1]}`, "click to open"];
      if (data.tokens) lines.splice(1, 0, `strongest: ${showToken(data.tokens[Math.floor(best / cols)] ?? "")} → ${showToken(data.tokens[best % cols])} (${mat[best].toFixed(3)})`);
      frame.tip.show(lines, event);
    })
    .on("mouseleave", () => frame.tip.hide())
    .on("click", (event: MouseEvent) => {
      const at = headAt(event);
      if (!at) return;
      selected?.classList.remove("selected");
      selected?.style.setProperty("stroke-width", "1");
      selected?.style.setProperty("stroke", THEME.border);
      selected = g.select<SVGRectElement>(`.thumb[data-layer="${at[0]}"][data-head="${at[1]}"] .thumb-frame`).node();
      selected?.classList.add("selected");
      selected?.style.setProperty("stroke-width", "3");
      selected?.style.setProperty("stroke", THEME.accent);
      open(at[0], at[1]);
      options.onOpen?.(at[0], at[1]);
    });

  // "Open": the full heatmap of the clicked head, under the grid, with its own selectors.
  const opened = el.ownerDocument.createElement("div");
  opened.className = "attnlab-opened";
  frame.body.appendChild(opened);
  let closeOpened: Cleanup | null = null;
  function open(layer: number, head: number): void {
    closeOpened?.();
    closeOpened = null;
    if (!data.tokens) return;
    closeOpened = renderHeatmap(opened, { pattern, tokens: data.tokens, layer, head }, { raster: options.raster });
  }
  return () => {
    closeOpened?.();
    frame.dispose();
  };
}

// A causal model's future keys are exact zeros; leaving them blank shows the triangle.
function blankCausal(mat: Float32Array, i: number, j: number, cols: number): number {
  const v = mat[i * cols + j];
  return j > i && v === 0 ? NaN : v;
}
