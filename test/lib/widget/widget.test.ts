/** The widget API in plain node (no kernel): buffers, detached widgets, mime bundles. */
import {
  DISPLAY,
  Widget,
  display,
  isKernelAttached,
  putBuffers,
  removeBuffers,
  toMimeBundle,
  type WidgetSpec,
} from "../../../lib/widget";

const spec: WidgetSpec = {
  modelName: "M",
  modelModule: "m",
  modelModuleVersion: "1.0.0",
  viewName: "V",
  viewModule: "m",
  viewModuleVersion: "1.0.0",
};

describe("buffers", () => {
  test("removeBuffers pulls typed arrays out at their paths and putBuffers restores their types", () => {
    const f = new Float32Array([1.5, -2]);
    const u = new Uint8Array([7, 8, 9]);
    const state = { a: 1, x: { data: f, shape: [2] }, list: [u, "keep"], nested: { deep: [{ v: new Int32Array([3]) }] } };
    const split = removeBuffers(state);
    expect(split.state).toEqual({ a: 1, x: { shape: [2] }, list: [null, "keep"], nested: { deep: [{}] } });
    expect(split.bufferPaths).toEqual([["x", "data"], ["list", 0], ["nested", "deep", 0, "v"]]);
    expect(split.buffers[0]).toBe(f);
    // As they arrive from zmq: plain bytes, possibly at an odd offset.
    const wire = split.buffers.map((b) => {
      const bytes = new Uint8Array(b.byteLength + 1);
      bytes.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), 1);
      return bytes.subarray(1);
    });
    const back: Record<string, any> = JSON.parse(JSON.stringify(split.state));
    putBuffers(back, split.bufferPaths, wire, state);
    expect(back.x.data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.x.data)).toEqual([1.5, -2]);
    expect(back.list[0]).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.nested.deep[0].v)).toEqual([3]);
    expect(back.nested.deep[0].v).toBeInstanceOf(Int32Array);
  });

  test("putBuffers names the problem when paths and buffers disagree", () => {
    expect(() => putBuffers({}, [["a"]], [])).toThrow(/buffer_paths has 1 entries but only 0 buffers/);
    expect(() => putBuffers({}, [[]], [new Uint8Array(1)])).toThrow(/buffer_paths\[0\] must be a non-empty array/);
  });
});

describe("detached widgets (no kernel)", () => {
  test("state, set and change callbacks work locally; display and send throw a clear error", () => {
    expect(isKernelAttached()).toBe(false);
    const w = new Widget(spec, { n: 1, arr: [1, 2] });
    expect(w.attached).toBe(false);
    expect(w.getState()).toMatchObject({ _model_name: "M", _view_name: "V", n: 1 });
    const seen: unknown[] = [];
    const all: unknown[] = [];
    const off = w.on("change:n", (v, old) => seen.push([v, old]));
    w.on("change", (c) => all.push(c));
    w.set("n", 2);
    w.set({ n: 2, arr: [1, 2] }); // unchanged: no callbacks
    w.set("arr", [1, 3]);
    off();
    w.set("n", 5);
    expect(seen).toEqual([[2, 1]]);
    expect(all).toEqual([{ n: 2 }, { arr: [1, 3] }, { n: 5 }]);
    expect(() => w.display()).toThrow(/needs a Jupyter front end.*attnlab kernel/);
    expect(() => w.send({ hi: 1 })).toThrow(/needs a Jupyter front end/);
    expect(() => display(1)).toThrow(/display\(\) needs a Jupyter front end/);
  });

  test("bad specs and states are rejected with the argument named", () => {
    expect(() => new Widget({ ...spec, modelName: "" }, {})).toThrow(/spec.modelName must be a non-empty string/);
    expect(() => new Widget(spec, null as never)).toThrow(/initial state must be an object/);
    const w = new Widget(spec, {});
    expect(() => w.on("click" as never, () => undefined)).toThrow(/event must be "change" or "change:<trait>"/);
  });
});

describe("toMimeBundle", () => {
  test("display protocol, nested displayables, widgets, plain values", () => {
    expect(toMimeBundle({ [DISPLAY]: () => ({ "text/html": "<b>x</b>" }) })).toEqual({ "text/html": "<b>x</b>" });
    const w = new Widget(spec, {});
    const viaWidget = toMimeBundle({ [DISPLAY]: () => w })!;
    expect(viaWidget["application/vnd.jupyter.widget-view+json"]).toEqual({ model_id: w.id, version_major: 2, version_minor: 0 });
    expect(toMimeBundle(undefined)).toBeUndefined();
    expect(toMimeBundle({ a: [1, 2] })).toEqual({ "text/plain": "{ a: [ 1, 2 ] }" });
    expect(() => toMimeBundle({ [DISPLAY]: () => 3 })).toThrow(/must return a mime bundle object/);
  });
});
