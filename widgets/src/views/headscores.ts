// Head scores as a layers × heads grid, one pattern type at a time (chosen from a menu).
// Clicking a head reports it; when the figure carries the patterns behind the scores (or the
// kernel holds them), the click also opens that head's heatmap under the grid, as a click
// on a head does in CircuitsVis' attention heads and BertViz' head view.
import * as d3 from "d3";
import { Cleanup, Tensor, THEME, addSelect, axisLabel, colorLegend, createFrame, fmt, hitLayer, matrixPlot, range, styleAxis } from "./common";
import { render as renderHeatmap, type HeatmapOptions } from "./heatmap";
import type { TileRequester } from "./tilesource";
import { PLOT_SIZE, plotSize, tileShape } from "../tiles";
import { checkHeadScores, type HeadScoresData, type HeatmapData } from "../contract";

/** What each score measures, shown under the title (see docs: head scores). */
export const SCORE_DESCRIPTIONS: Record<string, string> = {
  "previous-token": "mean attention from each token to the one before it",
  sink: "mean attention on the first token (attention sink)",
  induction: "attention from a repeated token to the token after its earlier occurrence",
  copy: "mean attention of each token to itself (diagonal)",
  duplicate: "attention from a token to earlier copies of itself",
  syntactic: "mean attention from dependent words to their head words",
  // The names lib/methods uses.
  previous_token: "detect_head: attention on the previous token",
  duplicate_token: "detect_head: attention to earlier copies of the same token",
  self: "mean attention of each token to itself (diagonal)",
  "prefix matching": "on repeated random tokens: attention to the token after the earlier occurrence",
  copying: "z-score of the attended token's direct logit through the head's OV circuit",
};

export type { HeadScoresData };

export interface HeadScoresOptions {
  onSelect?: (layer: number, head: number, kind: string) => void;
  onKind?: (kind: string) => void;
  /** Fetches one head's [query, key] pattern by layer number (the live view asks the kernel). */
  requestHead?: (layer: number, head: number) => Promise<Tensor>;
  /**
   * Fetches a window of a head pooled to pixels (the live view asks the kernel): a long head
   * (more tokens than the heatmap has pixels) opens as its overview, then tiles, never whole.
   */
  requestTile?: TileRequester;
  /** Passed to the heatmap a click opens (e.g. rawTokens, presentation). */
  heatmap?: Record<string, unknown>;
}

export function render(el: HTMLElement, data: HeadScoresData, options: HeadScoresOptions = {}): Cleanup {
  const [nLayers, nHeads] = checkHeadScores(data);
  const kinds = Object.keys(data.scores);
  const heads = data.heads ?? null;
  const layerNames = heads?.layers ?? range(nLayers);
  const cols = heads?.tokens.length ?? 0;
  const rows = heads?.queryTokens?.length ?? cols;
  // A long head the kernel keeps comes as the heatmap gets a long context: its overview, then tiles.
  const long = !!heads && !heads.pattern && Math.max(rows, cols) > PLOT_SIZE;
  // A head's heatmap can open when its pattern is in the figure or can be fetched.
  const canOpen = !!heads && (!!heads.pattern || (long ? !!options.requestTile : !!options.requestHead));
  let kind = data.kind && kinds.includes(data.kind) ? data.kind : kinds[0];
  let selected: [number, number] | null = null;
  const frame = createFrame(el, "headscores", data.title ?? "Head scores", SCORE_DESCRIPTIONS[kind] ?? kind);
  const heading = frame.root.querySelector(".attnlab-title") as HTMLDivElement;
  const sub = frame.root.querySelector(".attnlab-subtitle") as HTMLDivElement | null;
  addSelect(
    frame.controls,
    "Pattern",
    kinds.map((k) => ({ value: k, label: k })),
    kind,
    (v) => {
      kind = v;
      options.onKind?.(v);
      draw();
    },
  );

  // The opened head's heatmap, under the grid (kept across Pattern menu changes).
  const below = frame.root.ownerDocument.createElement("div");
  below.className = "attnlab-head-heatmap";
  frame.root.insertBefore(below, frame.tip.node);
  let closeHeatmap: Cleanup | null = null;
  let paintSelected: () => void = () => undefined;
  let opening = 0;
  function open(layer: number, head: number): void {
    if (!heads) return;
    const mine = ++opening;
    const show = (what: Partial<HeatmapData>, how: Partial<HeatmapOptions>) => {
      if (mine !== opening) return;
      closeHeatmap?.();
      below.textContent = "";
      const hd = { ...what, tokens: heads.tokens, queryTokens: heads.queryTokens, layer: layerNames[layer], head, layers: layerNames, nLayers, nHeads };
      closeHeatmap = renderHeatmap(below, hd, {
        ...(options.heatmap ?? {}),
        ...how,
        // The heatmap's own menus move the outline in the grid.
        onSelect: (l, h) => {
          selected = [layerNames.indexOf(l), h];
          paintSelected();
        },
      });
    };
    if (heads.pattern) return show({ pattern: heads.pattern }, {});
    frame.status.textContent = `loading layer ${layerNames[layer]}, head ${head}…`;
    let fetched: Promise<[Partial<HeatmapData>, Partial<HeatmapOptions>]>;
    if (long) {
      // The whole head pooled to the heatmap's pixels, masked as the kernel finds it (causal or not).
      const win = { r0: 0, c0: 0, nr: rows, nc: cols };
      const plot = plotSize(rows, cols, (options.heatmap?.size as number | undefined) ?? PLOT_SIZE);
      const [h, w] = tileShape(win, plot.width, plot.height);
      fetched = options.requestTile!({ layer: layerNames[layer], head, win, h, w, shown: { mask: "auto", normalise: "raw" } }).then((t) => [
        { overview: { data: t.values, shape: [t.h, t.w] }, overviewMask: t.shown.mask },
        { requestTile: options.requestTile },
      ]);
    } else fetched = options.requestHead!(layerNames[layer], head).then((t) => [{ pattern: t }, { requestHead: options.requestHead }]);
    fetched.then(
      ([what, how]) => {
        if (mine !== opening) return;
        frame.status.textContent = "";
        show(what, how);
      },
      (e: Error) => {
        if (mine === opening) frame.status.textContent = `could not load: ${e.message}`;
      },
    );
  }

  function draw(): void {
    frame.body.textContent = "";
    frame.tip.hide();
    const t = data.scores[kind];
    heading.textContent = `${data.title ?? "Head scores"}: ${kind}`;
    if (sub) sub.textContent = SCORE_DESCRIPTIONS[kind] ?? kind;
    // Small grids (2 × 4 heads) get big cells: they are read from the back of a room.
    const cell = Math.max(14, Math.min(56, Math.floor(480 / Math.max(nLayers, nHeads))));
    const m = { left: 60, top: 20, right: 100, bottom: 44 };
    const pw = nHeads * cell;
    const ph = nLayers * cell;
    const lo = Math.min(0, d3.min(t.data) ?? 0);
    const hi = Math.max(lo + 1e-6, d3.max(t.data) ?? 1);
    const color = d3.scaleSequential(d3.interpolateViridis).domain([lo, hi]);
    // Always SVG rects (a grid of heads is small); no canvas under it, so the SVG is not positioned.
    const { g, paint } = matrixPlot(frame.body, { width: m.left + pw + m.right, height: m.top + ph + m.bottom, margin: m, label: `${kind} scores for ${nLayers} layers × ${nHeads} heads`, positioned: false });
    paint({ rows: nLayers, cols: nHeads, width: pw, height: ph, value: (l, h) => t.data[l * nHeads + h], color }, "svg");
    const x = d3.scaleBand<number>().domain(range(nHeads)).range([0, pw]);
    const y = d3.scaleBand<number>().domain(range(nLayers)).range([0, ph]);
    styleAxis(g.append("g").attr("transform", `translate(0,${ph})`).call(d3.axisBottom(x)));
    styleAxis(g.append("g").call(d3.axisLeft(y)));
    axisLabel(g, "Head", pw / 2, ph + 36);
    axisLabel(g, "Layer", -40, ph / 2, true);
    colorLegend(g, color, { x: pw + 40, y: 0, height: Math.min(ph, 200), title: `${kind} score` });
    const sel = g.append("rect").attr("class", "selected-head").attr("display", "none").attr("fill", "none").attr("stroke-width", 3).style("stroke", THEME.accent);
    paintSelected = () => {
      sel.attr("display", selected ? null : "none");
      if (selected) sel.attr("x", selected[1] * cell).attr("y", selected[0] * cell).attr("width", cell).attr("height", cell);
    };
    const { sel: hit, at } = hitLayer(g, pw, ph, () => ({ rows: nLayers, cols: nHeads, cw: cell, ch: cell }), "pointer");
    hit
      .on("mousemove", (event: MouseEvent) => {
        const a = at(event);
        if (!a) return frame.tip.hide();
        const click = canOpen ? "click: open this head's heatmap below" : "click: pick this head (a heatmap linked with linkHeads shows it)";
        frame.tip.show([`layer ${layerNames[a[0]]}, head ${a[1]}`, `${kind} score ${fmt(t.data[a[0] * nHeads + a[1]])}`, click], event);
      })
      .on("mouseleave", () => frame.tip.hide())
      .on("click", (event: MouseEvent) => {
        const a = at(event);
        if (!a) return;
        selected = a;
        paintSelected();
        options.onSelect?.(a[0], a[1], kind);
        if (canOpen) open(a[0], a[1]);
      });
    paintSelected();
  }
  draw();
  return () => {
    opening++;
    closeHeatmap?.();
    frame.dispose();
  };
}
