// The playground: a prompt box over the attention heatmap of one head, the model's top
// predictions and the head-score grid, all from one run of the model in the kernel. Typing
// asks the kernel again after a pause (debounced); picking a layer/head in the heatmap's
// menus or clicking a head in the grid asks at once. One request is in flight at a time and
// only the newest waiting one is sent after it, so a fast typist never queues stale runs;
// a reply for a request that has been overtaken is dropped. The heatmap and the grid are
// the heatmap and headscores views themselves, drawn into panes of this one.
import * as d3 from "d3";
import { Cleanup, THEME, createFrame, fmt, showToken, MIN_TEXT, fitText, textWidth } from "./common";
import { render as renderHeatmap, type HeatmapViewState } from "./heatmap";
import { render as renderHeadScores } from "./headscores";
import { unpackExplore, type ExploreReply, type ExploreRequest } from "../protocol";
import { checkExplore, type ExploreData, type ExploreResult } from "../contract";

export type { ExploreData };

/** How the view talks to its kernel model (the live widget passes one; saved and static views have none). */
export interface ExploreChannel {
  send(content: ExploreRequest): void;
  listen(fn: (content: unknown, buffers: unknown[]) => void): () => void;
}

export interface ExploreOptions {
  channel?: ExploreChannel;
  /** Pause after the last keystroke before asking the kernel (ms). Default 250. */
  debounceMs?: number;
  rawTokens?: boolean;
  /** Static export, passed on to the heatmap. */
  raster?: unknown;
  canvasThreshold?: number;
}

/** What a redraw of the same element starts from (the presentation and raw-tokens switches redraw). */
interface Session {
  prompt: string;
  result: ExploreResult;
  heatmap: Partial<HeatmapViewState>;
  kind?: string;
  /** A request was unanswered when the last drawing ended: ask again. */
  unanswered: boolean;
}

const sessions = new WeakMap<HTMLElement, Session>();
let nextId = 1;

export function render(el: HTMLElement, data: ExploreData, options: ExploreOptions = {}): Cleanup {
  checkExplore(data);
  const doc = el.ownerDocument;
  // The drawing this element last showed wins over the widget's first data (same prompt box, same run).
  const kept = sessions.get(el);
  const s: Session = kept && kept.result.nLayers === data.nLayers && kept.result.nHeads === data.nHeads ? kept : { prompt: data.prompt, result: data, heatmap: {}, unanswered: false };
  sessions.set(el, s);
  const channel = options.channel;
  const debounceMs = options.debounceMs ?? 250;
  const frame = createFrame(
    el,
    "explore",
    data.title ?? "Playground",
    channel
      ? "Type a prompt: the heatmap, the predictions and the head scores follow. Pick a head in the menus or click one in the grid."
      : "The prompt the cell opened with. Run the cell in JupyterLab to type your own.",
  );
  frame.root.classList.add("attnlab-explore-root");

  const input = doc.createElement("input");
  input.type = "text";
  input.className = "explore-prompt";
  input.setAttribute("aria-label", "prompt");
  input.placeholder = "type a prompt";
  input.value = s.prompt;
  input.style.width = "min(640px, 90%)";
  input.style.fontSize = "14px";
  input.disabled = !channel;
  const promptRow = doc.createElement("div");
  promptRow.className = "explore-prompt-row";
  promptRow.style.margin = "4px 0 8px";
  promptRow.appendChild(input);
  frame.root.insertBefore(promptRow, frame.controls);
  const message = doc.createElement("div");
  message.className = "explore-message";
  message.setAttribute("role", "status");
  message.style.minHeight = "1.2em";
  message.style.color = THEME.fg2;
  promptRow.appendChild(message);

  const panes = doc.createElement("div");
  panes.className = "explore-panes";
  panes.style.display = "flex";
  panes.style.flexWrap = "wrap";
  panes.style.gap = "16px";
  panes.style.alignItems = "flex-start";
  frame.body.appendChild(panes);
  const pane = (cls: string): HTMLDivElement => {
    const d = doc.createElement("div");
    d.className = cls;
    panes.appendChild(d);
    return d;
  };
  const heatPane = pane("explore-heatmap");
  const predPane = pane("explore-predictions");
  const gridPane = pane("explore-grid");

  let disposed = false;
  let drawn: Cleanup[] = [];
  let inFlight: number | null = null;
  let waiting: ExploreRequest | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let latest = 0;

  const say = (text: string, error = false): void => {
    message.textContent = text;
    message.classList.toggle("explore-error", error);
    message.style.color = error ? THEME.warn : THEME.fg2;
    panes.style.opacity = error ? "0.45" : "1";
  };

  function draw(r: ExploreResult): void {
    for (const c of drawn) c();
    drawn = [];
    heatPane.textContent = "";
    gridPane.textContent = "";
    const state: Partial<HeatmapViewState> = { maskUpper: s.heatmap.maskUpper, normalise: s.heatmap.normalise, highlight: r.prompt === s.result.prompt ? s.heatmap.highlight : null };
    drawn.push(
      renderHeatmap(
        heatPane,
        { pattern: r.pattern, tokens: r.tokens, layer: r.layer, head: r.head, nLayers: r.nLayers, nHeads: r.nHeads, title: "Attention" },
        {
          rawTokens: options.rawTokens,
          raster: options.raster as never,
          canvasThreshold: options.canvasThreshold,
          state,
          onState: (st) => (s.heatmap = { maskUpper: st.maskUpper, normalise: st.normalise, highlight: st.highlight }),
          onSelect: channel ? (layer, head) => ask({ layer, head }, 0) : undefined,
        },
      ),
    );
    drawPredictions(r);
    drawn.push(
      renderHeadScores(gridPane, { scores: r.scores, kind: s.kind, title: "Head scores on this prompt" }, {
        onSelect: channel ? (layer, head) => ask({ layer, head }, 0) : undefined,
        onKind: (k) => {
          s.kind = k;
          setTimeout(() => !disposed && outline(r), 0); // the grid redraws after this call
        },
      }),
    );
    outline(r);
    s.result = r;
    frame.root.setAttribute("data-prompt", r.prompt);
    frame.root.setAttribute("data-head", `${r.layer}.${r.head}`);
  }

  // The head on show, outlined in the grid (the grid's own outline only follows its clicks).
  function outline(r: ExploreResult): void {
    const box = gridPane.querySelector("rect.selected-head");
    const cell = gridPane.querySelector("rect.cell");
    if (!box || !cell) return;
    const w = Number(cell.getAttribute("width"));
    const h = Number(cell.getAttribute("height"));
    box.setAttribute("x", String(r.head * w));
    box.setAttribute("y", String(r.layer * h));
    box.setAttribute("width", String(w));
    box.setAttribute("height", String(h));
    box.removeAttribute("display");
  }

  // Top-k as labelled bars: an SVG, so the static figure keeps it.
  function drawPredictions(r: ExploreResult): void {
    predPane.textContent = "";
    const title = doc.createElement("div");
    title.className = "attnlab-subtitle";
    predPane.appendChild(title);
    const p = r.predictions;
    if (!p) {
      title.textContent = r.note ?? "No predictions for this model.";
      return;
    }
    title.textContent = p.label;
    const k = p.tokens.length;
    const labels = p.tokens.map(showToken);
    const labelW = Math.ceil(Math.min(160, 8 + (d3.max(labels, (t) => textWidth(t, MIN_TEXT, doc)) ?? 20)));
    const barW = 180;
    const rowH = 22;
    const m = { left: labelW + 8, top: 6, right: 64, bottom: 6 };
    const svg = d3
      .select(predPane)
      .append("svg")
      .attr("xmlns", "http://www.w3.org/2000/svg")
      .attr("width", m.left + barW + m.right)
      .attr("height", m.top + k * rowH + m.bottom)
      .attr("role", "img")
      .attr("aria-label", `top ${k} predictions`);
    const g = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);
    const x = d3.scaleLinear().domain([0, 1]).range([0, barW]);
    const row = g
      .selectAll("g.prediction")
      .data(d3.range(k))
      .join("g")
      .attr("class", "prediction")
      .attr("transform", (i) => `translate(0,${i * rowH})`);
    row
      .append("rect")
      .attr("class", "bar")
      .attr("height", rowH - 6)
      .attr("y", 3)
      .attr("width", (i) => Math.max(1, x(p.probs.data[i])))
      .style("fill", THEME.accent);
    row
      .append("text")
      .attr("class", "token-label")
      .attr("x", -6)
      .attr("y", rowH / 2)
      .attr("dy", "0.35em")
      .attr("text-anchor", "end")
      .attr("font-size", MIN_TEXT)
      .each(function (i) {
        fitText(d3.select(this as SVGTextElement) as never, labels[i], labelW - 6, MIN_TEXT);
      });
    row
      .append("text")
      .attr("class", "prob")
      .attr("x", (i) => x(p.probs.data[i]) + 4)
      .attr("y", rowH / 2)
      .attr("dy", "0.35em")
      .attr("font-size", MIN_TEXT)
      .text((i) => fmt(p.probs.data[i]));
  }

  // One request in flight; the newest one waits for it, older waiting ones are dropped.
  function post(req: ExploreRequest): void {
    if (!channel) return;
    if (inFlight !== null) {
      waiting = req;
      return;
    }
    inFlight = req.id;
    s.unanswered = true;
    say("running the model…");
    channel.send(req);
  }

  function ask(change: { prompt?: string; layer?: number; head?: number }, delay: number): void {
    if (!channel) return;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const prompt = change.prompt ?? input.value;
    if (change.prompt !== undefined) s.prompt = prompt;
    if (prompt.trim() === "") {
      say("prompt: type at least one word", true);
      return;
    }
    const req: ExploreRequest = { event: "explore", id: nextId++, prompt, layer: change.layer ?? s.result.layer, head: change.head ?? s.result.head };
    latest = req.id;
    if (delay > 0) {
      say("…");
      timer = setTimeout(() => {
        timer = null;
        if (!disposed) post(req);
      }, delay);
    } else post(req);
  }

  const unlisten = channel?.listen((content, buffers) => {
    const c = content as ExploreReply;
    if (disposed || !c || (c.event !== "explore-result" && c.event !== "explore-error") || c.id !== inFlight) return;
    inFlight = null;
    s.unanswered = false;
    const next = waiting;
    waiting = null;
    // Overtaken while it ran: draw nothing, ask for the newest.
    if (c.id !== latest) {
      if (next) post(next);
      return;
    }
    if (c.event === "explore-error") {
      say(c.message ?? "the kernel could not run this prompt", true);
    } else {
      try {
        const r = unpackExplore(c, buffers);
        checkExplore(r);
        say("");
        draw(r);
      } catch (e) {
        say(`explore: ${(e as Error).message}`, true);
      }
    }
    if (next) post(next);
  });

  input.addEventListener("input", () => ask({ prompt: input.value }, debounceMs));
  input.addEventListener("keydown", (e: KeyboardEvent) => {
    if (e.key === "Enter") ask({ prompt: input.value }, 0);
  });

  draw(s.result);
  if (s.unanswered || s.prompt !== s.result.prompt) ask({ prompt: s.prompt }, 0);

  return () => {
    disposed = true;
    if (timer !== null) clearTimeout(timer);
    unlisten?.();
    for (const c of drawn) c();
    frame.dispose();
  };
}
