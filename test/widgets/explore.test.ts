// explore(model): the playground's kernel side on real checkpoints (the set-up's small GPT-2 and
// masked-LM BERT with their trained tokenizers, test/fixtures/pretrained, made by
// scripts/make_tokenizer_fixtures.py; and a random BERT without a masked-LM head), wired to its view in a jsdom
// document by an in-process comm: what the kernel runs (checked against lib/methods), what
// the view draws, debouncing, stale replies, errors, and the static figure.
import * as path from "path";
import { JSDOM } from "jsdom";
import { ready } from "../../lib/backend";
import { createModel } from "../../lib/model";
import type { TransformerModel } from "../../lib/model/types";
import { loadPretrained } from "../../lib/pretrained";
import { registerCommTransport, type CommTransport, type JSONObject } from "../../lib/widget";
import { explore, type ExploreWidget } from "../../lib/widget/explore";
import { attentionPattern, headScores } from "../../lib/methods/patterns";
import { packExplore, unpackExplore, type ExploreRequest, type ExploreResult } from "../../widgets/src/protocol";
import { render, type ExploreChannel } from "../../widgets/src/views/explore";

type Listener = (content: unknown, buffers: unknown[]) => void;

/**
 * The comm between kernel and page, in one process: the widget's custom messages reach the
 * view's listeners with their buffers as DataViews (as the widget manager hands them over),
 * and the view's sends reach the widget as comm messages.
 */
function wire() {
  const opened: { data: JSONObject; buffers: ArrayBufferView[] }[] = [];
  const toKernel = new Map<string, (data: JSONObject, buffers: Uint8Array[]) => void>();
  const listeners = new Set<Listener>();
  const requests: ExploreRequest[] = [];
  let hold = false;
  const held: (() => void)[] = [];
  const transport: CommTransport = {
    open(target, data, opts, h) {
      const id = opts.commId ?? "c";
      opened.push({ data, buffers: opts.buffers ?? [] });
      if (h.onMsg) toKernel.set(id, h.onMsg);
      return {
        id,
        targetName: target,
        send: (d: JSONObject, b: ArrayBufferView[] = []) => {
          if (d.method !== "custom") return;
          const deliver = () => {
            for (const f of listeners) f(d.content, b.map((x) => new DataView(x.buffer, x.byteOffset, x.byteLength)));
          };
          if (hold) held.push(deliver);
          else deliver();
        },
        close: () => undefined,
      };
    },
    registerTarget: () => undefined,
    display: () => undefined,
  };
  const channelFor = (w: ExploreWidget): ExploreChannel => ({
    send: (c) => {
      requests.push(c);
      toKernel.get(w.id)!({ method: "custom", content: c as unknown as JSONObject }, []);
    },
    listen: (f) => {
      listeners.add(f);
      return () => listeners.delete(f);
    },
  });
  return {
    transport,
    opened,
    requests,
    channelFor,
    /** Replies wait until release() (the kernel is slow), in order. */
    holdReplies: () => (hold = true),
    releaseOne: () => held.shift()?.(),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("explore(model): the playground", () => {
  let gpt: TransformerModel;
  let bert: TransformerModel;
  let dom: JSDOM;
  let doc: Document;
  let w: ReturnType<typeof wire>;

  beforeAll(async () => {
    await ready();
    // Both tokenizers split most words into pieces, so word labels are exercised throughout.
    const fixtures = path.join(__dirname, "../fixtures/pretrained");
    gpt = await loadPretrained(path.join(fixtures, "tiny-gpt2"));
    bert = await loadPretrained(path.join(fixtures, "tiny-bert"));
    dom = new JSDOM("<!doctype html><html><body></body></html>");
    doc = dom.window.document;
  });
  afterAll(() => {
    gpt?.dispose();
    bert?.dispose();
  });
  beforeEach(() => {
    w = wire();
    registerCommTransport(w.transport);
  });
  afterEach(() => registerCommTransport(undefined));

  function mount(widget: ExploreWidget, debounceMs = 30) {
    const el = doc.createElement("div");
    doc.body.appendChild(el);
    const cleanup = render(el as unknown as HTMLElement, widget.get("data") as never, { channel: w.channelFor(widget), debounceMs });
    const input = el.querySelector("input.explore-prompt") as HTMLInputElement;
    const type = (text: string) => {
      input.value = text;
      input.dispatchEvent(new dom.window.Event("input", { bubbles: true }));
    };
    return { el, input, type, cleanup };
  }

  const labels = (el: Element) => Array.from(el.querySelectorAll(".explore-heatmap .col-label")).map((t) => t.textContent);
  const heading = (el: Element) => el.querySelector(".explore-heatmap .attnlab-title")!.textContent;

  it("explore(model) runs the model in the kernel: the head's pattern, the next-token top-k and head scores match lib/methods", () => {
    const prompt = "The cat sat on the mat. The cat sat on the";
    const widget = explore(gpt, { prompt, layer: 1, head: 2 });
    const r = widget.get("data") as unknown as ExploreResult;
    const ref = attentionPattern(gpt, prompt, { layer: 1, head: 2 });
    expect(r.tokens).toEqual(ref.tokens);
    expect(r.pattern.shape).toEqual(ref.shape);
    expect(Array.from(r.pattern.data)).toEqual(Array.from(ref.data));
    // Top-k are the largest softmax probabilities at the last position, in order.
    const logits = gpt.run(prompt);
    const n = r.tokens.length;
    const last = Array.from(logits.dataSync().slice((n - 1) * gpt.config.dVocab, n * gpt.config.dVocab));
    logits.dispose();
    const best = last.indexOf(Math.max(...last));
    expect(r.predictions!.position).toBe(n - 1);
    expect(r.predictions!.tokens[0]).toBe(gpt.toStrTokens([best])[0]);
    expect(r.predictions!.tokens).toHaveLength(10);
    const p = Array.from(r.predictions!.probs.data);
    expect(p.every((x, i) => i === 0 || x <= p[i - 1])).toBe(true);
    const maxLogit = Math.max(...last);
    const z = last.reduce((a, x) => a + Math.exp(x - maxLogit), 0);
    expect(p[0]).toBeCloseTo(1 / z, 5);
    // The grid is headScores on this prompt, from the same run's patterns.
    const hs = headScores(gpt, prompt);
    for (const k of ["previous_token", "duplicate_token", "induction", "sink", "self"]) {
      expect(r.scores[k].shape).toEqual([2, gpt.config.nHeads]);
      Array.from(r.scores[k].data).forEach((v, i) => expect(v).toBeCloseTo(hs.scores[k][i], 5));
    }
    // On the wire the tensors are buffers, never JSON numbers.
    const open = w.opened[0];
    expect(JSON.stringify(open.data).length).toBeLessThan(4000);
    expect((open.data as { buffer_paths: string[][] }).buffer_paths).toContainEqual(["data", "pattern", "data"]);
    const packed = packExplore(1, r);
    expect(packed.buffers.length).toBe(2 + Object.keys(r.scores).length);
    expect(JSON.stringify(packed.content).length).toBeLessThan(2000);
    widget.close();
  });

  it("typing a new prompt redraws heatmap, predictions and grid after the pause, with one request for a burst of keystrokes", async () => {
    const widget = explore(gpt, { prompt: "one two three" });
    const { el, type, cleanup } = mount(widget, 40);
    // "one" "␣t" "w" "o" "␣th" "re" "e": each word labelled once, its later pieces marked.
    expect(labels(el)).toEqual(["one", "␣two", "·w", "·o", "␣three", "·re", "·e"]);
    type("Mary");
    type("Mary and");
    type("Mary and the");
    await sleep(10);
    expect(w.requests).toHaveLength(0); // still typing
    await sleep(120);
    expect(w.requests).toHaveLength(1);
    expect(w.requests[0]).toMatchObject({ event: "explore", prompt: "Mary and the", layer: 0, head: 0 });
    // Word labels: "Mary" is two tokens here, "M" "ary", read as the word and its second piece.
    expect(gpt.toStrTokens("Mary and the")).toEqual(["M", "ary", " and", " the"]);
    expect(labels(el)).toEqual(["Mary", "·ary", "␣and", "␣the"]);
    expect(el.querySelectorAll(".explore-heatmap rect.cell").length).toBeGreaterThan(0);
    expect(el.querySelector(".explore-predictions .attnlab-subtitle")!.textContent).toBe('Next token after " the"');
    expect(el.querySelectorAll(".explore-predictions g.prediction")).toHaveLength(10);
    expect(el.querySelectorAll(".explore-grid rect.cell")).toHaveLength(2 * gpt.config.nHeads);
    // A causal model's pattern: the lower triangle with the diagonal, key > query masked.
    expect(el.querySelectorAll(".explore-heatmap rect.cell")).toHaveLength(10);
    cleanup();
    widget.close();
  });

  it("the heatmap's Head menu and a click in the score grid show that head, with no second forward pass", async () => {
    const prompt = "a b c a b c";
    const widget = explore(gpt, { prompt });
    const { el, cleanup } = mount(widget);
    const run = jest.spyOn(gpt, "runWithCache");
    const head = el.querySelector('.explore-heatmap select[aria-label="Head"]') as HTMLSelectElement;
    head.value = "3";
    head.dispatchEvent(new dom.window.Event("change", { bubbles: true }));
    expect(heading(el)).toBe("Attention: layer 0, head 3");
    // Layer 1, head 1 in the grid (cells are square).
    const hit = el.querySelector(".explore-grid rect.hit")!;
    const cell = Number(el.querySelector(".explore-grid rect.cell")!.getAttribute("width"));
    hit.dispatchEvent(new dom.window.MouseEvent("click", { bubbles: true, clientX: 1.5 * cell, clientY: 1.5 * cell }));
    expect(heading(el)).toBe("Attention: layer 1, head 1");
    const outline = el.querySelector(".explore-grid rect.selected-head")!;
    expect([outline.getAttribute("x"), outline.getAttribute("y"), outline.getAttribute("display")]).toEqual([String(cell), String(cell), null]);
    expect(w.requests.map((r) => [r.layer, r.head])).toEqual([
      [0, 3],
      [1, 1],
    ]);
    expect(run).not.toHaveBeenCalled();
    const tip = () => {
      const hm = el.querySelector(".explore-heatmap rect.hit")!;
      const c = Number(el.querySelector(".explore-heatmap rect.cell")!.getAttribute("width"));
      hm.dispatchEvent(new dom.window.MouseEvent("mousemove", { bubbles: true, clientX: 0.5 * c, clientY: 3.5 * c }));
      return el.querySelector(".explore-heatmap .attnlab-tooltip")!.textContent;
    };
    const want = attentionPattern(gpt, prompt, { layer: 1, head: 1 }).data[3 * 6];
    expect(tip()).toContain(`weight ${want.toFixed(3)}`);
    run.mockRestore();
    cleanup();
    widget.close();
  });

  it("only the newest request is drawn: one in flight, the latest waiting, overtaken replies dropped", async () => {
    const widget = explore(gpt, { prompt: "start" });
    const { el, type, cleanup } = mount(widget, 0);
    w.holdReplies();
    type("first prompt"); // sent at once (no pause configured), its reply held
    type("second prompt"); // waits: one request in flight
    type("third prompt"); // replaces the waiting one
    expect(w.requests.map((r) => r.prompt)).toEqual(["first prompt"]);
    w.releaseOne(); // "first prompt" answered: overtaken, not drawn; "third prompt" goes out
    expect(labels(el)).toEqual(["start", "·art"]);
    expect(w.requests.map((r) => r.prompt)).toEqual(["first prompt", "third prompt"]);
    w.releaseOne();
    expect(labels(el)).toEqual(["third", "·hi", "·r", "·d", "␣prompt", "·rom", "·pt"]);
    expect(el.querySelector(".explore-message")!.textContent).toBe("");
    cleanup();
    widget.close();
  });

  it("a redraw of the same element (presentation size, raw tokens, theme) keeps the typed prompt and its run", () => {
    const widget = explore(gpt, { prompt: "start" });
    const { el, type, cleanup } = mount(widget, 0);
    type("the dog");
    expect(labels(el)).toEqual(["the", "·he", "␣dog", "·g"]);
    cleanup();
    const again = render(el as unknown as HTMLElement, widget.get("data") as never, { channel: w.channelFor(widget), rawTokens: true });
    expect((el.querySelector("input.explore-prompt") as HTMLInputElement).value).toBe("the dog");
    // The redraw asked for raw tokens: the same run, labelled by its pieces.
    expect(labels(el)).toEqual(["t", "he", "␣do", "g"]);
    expect(w.requests).toHaveLength(1);
    again();
    widget.close();
  });

  it("an empty or too long prompt is an error in the widget; the last figure stays, and the next good prompt clears it", async () => {
    const widget = explore(gpt, { prompt: "the cat", maxTokens: 8 });
    const { el, type, cleanup } = mount(widget, 0);
    type("   ");
    const msg = el.querySelector(".explore-message")!;
    expect(msg.classList.contains("explore-error")).toBe(true);
    expect(msg.textContent).toBe("prompt: type at least one word");
    expect(w.requests).toHaveLength(0);
    type("one two three four five six seven eight nine ten");
    const n = gpt.toStrTokens("one two three four five six seven eight nine ten").length;
    expect(msg.textContent).toBe(`prompt is ${n} tokens long; the playground takes at most 8 (shorten it, or pass {maxTokens} up to the model's context of ${gpt.config.nCtx})`);
    expect(labels(el)).toEqual(["the", "·he", "␣cat", "·at"]);
    type("the dog");
    expect(msg.classList.contains("explore-error")).toBe(false);
    expect(labels(el)).toEqual(["the", "·he", "␣dog", "·g"]);
    cleanup();
    widget.close();
  });

  it("asks capabilities: an encoder with a masked-LM head predicts at [MASK]; one without says it predicts nothing", () => {
    const withMask = explore(bert, { prompt: "the man went to the [MASK] ." }).get("data") as unknown as ExploreResult;
    const at = withMask.tokens.indexOf("[MASK]");
    expect(at).toBeGreaterThan(0);
    expect(withMask.predictions!.position).toBe(at);
    expect(withMask.predictions!.label).toBe(`Predictions for "[MASK]" at position ${at}`);
    const noMask = explore(bert, { prompt: "the man went to the store ." }).get("data") as unknown as ExploreResult;
    expect(noMask.predictions).toBeNull();
    expect(noMask.note).toBe('Put "[MASK]" in the prompt to see what the model predicts there.');
    const enc = createModel({ arch: "bert", nLayers: 2, dModel: 16, nHeads: 2, dVocab: bert.config.dVocab, nCtx: 16, mlmHead: false }, { seed: 3, tokenizer: bert.tokenizer });
    const r = explore(enc, { prompt: "the man went home" }).get("data") as unknown as ExploreResult;
    expect(r.predictions).toBeNull();
    expect(r.note).toMatch(/no language-model head/);
    enc.dispose();
  });

  it("bad arguments name the argument and what was expected", () => {
    expect(() => explore({} as never)).toThrow(/explore: model must be an attnlab model/);
    expect(() => explore(gpt, { layer: 2 })).toThrow("explore: layer must be an integer in [0, 1], got 2");
    expect(() => explore(gpt, { head: -1 })).toThrow(/explore: head must be an integer in \[0, \d+\], got -1/);
    expect(() => explore(gpt, { prompt: "" })).toThrow("explore: prompt: type at least one word");
    expect(() => explore(gpt, { promt: "x" } as never)).toThrow(/unknown option "promt"; known: prompt, layer, head/);
    expect(() => explore(gpt, { maxTokens: 10_000 })).toThrow(/maxTokens must be an integer in \[1, \d+\]/);
  });

  it("displays as the live view beside a static SVG of the heatmap, predictions and grid, and a text summary", () => {
    const widget = explore(gpt, { prompt: "The cat sat" });
    const { DISPLAY } = require("../../lib/widget"); // eslint-disable-line @typescript-eslint/no-var-requires
    const bundle = widget[DISPLAY as never as typeof import("../../lib/widget").DISPLAY]() as Record<string, unknown>;
    expect(bundle["application/vnd.attnlab.widget-view+json"]).toMatchObject({ model_id: widget.id, view: "explore" });
    const svg = String(bundle["image/svg+xml"]);
    expect(svg).toContain(">Playground: GPT-2<");
    expect((svg.match(/<svg/g) ?? []).length).toBe(4); // the figure around heatmap, predictions, grid
    expect(bundle["text/plain"]).toMatch(/^Playground: GPT-2: "The cat sat", layer 0, head 0; top prediction ".*" \(p = 0\.\d{3}\)$/);
    widget.close();
  });

  it("a saved or static view (no kernel) draws the last result with the prompt box disabled", () => {
    const widget = explore(gpt, { prompt: "The cat sat" });
    const el = doc.createElement("div");
    const cleanup = render(el as unknown as HTMLElement, widget.get("data") as never, {});
    expect((el.querySelector("input.explore-prompt") as HTMLInputElement).disabled).toBe(true);
    expect(labels(el)).toEqual(["The", "␣cat", "·at", "␣sat", "·at"]);
    cleanup();
    widget.close();
    expect(unpackExplore({ event: "explore-result", id: 1, result: { a: { buffer: 0, shape: [1] } } }, [new Float32Array([2])])).toEqual({ a: { data: new Float32Array([2]), shape: [1] } });
  });
});
