/** @jest-environment jsdom */
/// <reference lib="dom" />
// The JupyterLab renderer for attnlab's display type (widgets/src/mime.ts) with real Lumino
// widgets: with no widget manager it draws the view from the widget state saved in the
// notebook, else the bundle's static figure (a quiz: its questions); never an error.
// The live path (the widget manager's model) is checked in JupyterLab (test/e2e/reopen.test.ts).
import type * as LuminoWidgets from "@lumino/widgets";
import type * as Mime from "../../widgets/src/mime";
import { removeBuffers } from "../../lib/widget/buffers";
import { FIGURE_MIME, savedView, WIDGET_STATE_MIME } from "../../widgets/src/protocol";
import { TOKENS, causalPatterns } from "./fixtures";

// jsdom has no DragEvent, which @lumino/dragdrop subclasses when loaded (browsers have it).
(globalThis as unknown as { DragEvent: unknown }).DragEvent ??= class DragEvent extends MouseEvent {};
/* eslint-disable @typescript-eslint/no-var-requires */
const { Panel, Widget } = require("@lumino/widgets") as typeof LuminoWidgets;
const { FigureRenderer } = require("../../widgets/src/mime") as typeof Mime;
type Widget = LuminoWidgets.Widget;

/** The widget manager's saveState format: state without the buffers, each buffer base64 at its path. */
function savedMetadata(id: string, modelName: string, traits: Record<string, unknown>): unknown {
  const { state, bufferPaths, buffers } = removeBuffers(traits);
  return {
    [WIDGET_STATE_MIME]: {
      version_major: 2,
      version_minor: 0,
      state: {
        [id]: {
          model_name: modelName,
          model_module: "attnlab-widgets",
          model_module_version: "0.1.0",
          state,
          buffers: bufferPaths.map((p, i) => ({
            path: p,
            encoding: "base64",
            data: Buffer.from(buffers[i].buffer, buffers[i].byteOffset, buffers[i].byteLength).toString("base64"),
          })),
        },
      },
    },
  };
}

/** A notebook-like parent: what mime.ts reads is `context.model.getMetadata("widgets")`. */
class NotebookLike extends Panel {
  constructor(public widgetsMetadata: unknown) {
    super();
  }
  get context() {
    return { model: { getMetadata: (k: string) => (k === "widgets" ? this.widgetsMetadata : undefined) } };
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("savedView (widget state saved in the notebook)", () => {
  it("decodes an attnlab model's data, tensors back as Float32Array", () => {
    const pattern = causalPatterns(1, 2, 8, 3);
    const meta = savedMetadata("abc", "HeatmapModel", { data: { pattern, tokens: TOKENS, layer: 0, head: 1 }, options: { maskUpper: true } });
    const v = savedView(meta, "abc")!;
    expect(v.view).toBe("heatmap");
    const d = v.data as { pattern: { data: Float32Array; shape: number[] }; tokens: string[] };
    expect(d.pattern.data).toBeInstanceOf(Float32Array);
    expect(Array.from(d.pattern.data)).toEqual(Array.from(pattern.data));
    expect(d.pattern.shape).toEqual(pattern.shape);
    expect(d.tokens).toEqual(TOKENS);
    expect(v.options).toEqual({ maskUpper: true });
  });

  it("is undefined for an unknown id, another module's model or no metadata", () => {
    const meta = savedMetadata("abc", "HeatmapModel", { data: { tokens: [] } });
    expect(savedView(meta, "other")).toBeUndefined();
    expect(savedView(undefined, "abc")).toBeUndefined();
    const foreign = JSON.parse(JSON.stringify(meta));
    foreign[WIDGET_STATE_MIME].state.abc.model_module = "@jupyter-widgets/controls";
    expect(savedView(foreign, "abc")).toBeUndefined();
  });
});

describe("FigureRenderer", () => {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>static fig</text></svg>';
  const bundle = (view: string, extra: Record<string, unknown> = {}) => ({
    [FIGURE_MIME]: { model_id: "m1", version_major: 2, version_minor: 0, view, ...extra },
    "image/svg+xml": svg,
    "text/plain": "Attention heatmap",
  });
  let roots: Widget[] = [];
  afterEach(() => {
    for (const r of roots) r.dispose();
    roots = [];
  });

  it("shows the bundle's static SVG when nothing else knows the model", async () => {
    const r = new FigureRenderer();
    await r.renderModel({ data: bundle("heatmap") });
    Widget.attach(r, document.body);
    roots.push(r);
    await flush();
    expect(r.node.dataset.source).toBe("static");
    const img = r.node.querySelector("img.attnlab-static") as HTMLImageElement;
    expect(decodeURIComponent(img.src)).toContain("static fig");
    expect(r.node.textContent).not.toMatch(/Error/);
  });

  it("draws the live view from the widget state saved in the notebook, without a kernel", async () => {
    const pattern = causalPatterns(1, 2, 8, 3);
    const nb = new NotebookLike(savedMetadata("m1", "HeatmapModel", { data: { pattern, tokens: TOKENS, title: "Saved" }, options: {} }));
    const r = new FigureRenderer();
    await r.renderModel({ data: bundle("heatmap") });
    nb.addWidget(r);
    Widget.attach(nb, document.body);
    roots.push(nb);
    await flush();
    expect(r.node.dataset.source).toBe("saved");
    expect(r.node.querySelector(".attnlab-heatmap")).not.toBeNull();
    expect(r.node.querySelectorAll("rect.cell").length).toBeGreaterThan(0);
    expect(r.node.querySelector("img.attnlab-static")).toBeNull();
  });

  it("draws a quiz's questions from the bundle when no state was saved", async () => {
    const data = {
      title: "Check",
      questions: [{ id: "a", kind: "choice", prompt: "Which head?", choices: ["L0H1", "L1H0"] }],
      feedback: {},
      pending: [],
      progress: { answered: 0, correct: 0, total: 1 },
    };
    const nb = new NotebookLike(undefined);
    const r = new FigureRenderer();
    await r.renderModel({ data: { [FIGURE_MIME]: { model_id: "q", version_major: 2, version_minor: 0, view: "quiz", data }, "text/html": "<b>x</b>", "text/plain": "Check" } });
    nb.addWidget(r);
    Widget.attach(nb, document.body);
    roots.push(nb);
    await flush();
    expect(r.node.dataset.source).toBe("static");
    expect(r.node.querySelector(".quiz-prompt")!.textContent).toBe("Which head?");
    expect(r.node.querySelectorAll("input[type=radio]").length).toBe(2);
  });
});
