/**
 * attnlab widget API (kernel side). Usage, inside the attnlab kernel:
 *
 *   import { Widget, display } from "attnlab";
 *   const spec = { modelName: "HeatmapModel", modelModule: "attnlab-widgets", modelModuleVersion: "0.1.0",
 *                  viewName: "HeatmapView", viewModule: "attnlab-widgets", viewModuleVersion: "0.1.0" };
 *   const w = new Widget(spec, { pattern: { data: new Float32Array(16), shape: [4, 4] }, selected: -1 });
 *   w.on("change:selected", (v, old) => console.log("clicked", v));   // front-end -> kernel
 *   w.set("selected", 2);                                              // kernel -> front end
 *   w.send({ kind: "highlight" }, [new Float32Array([1, 2])]);        // custom message
 *   w.onMsg((content, buffers) => { ... });
 *   w.display();      // or make it the cell's last expression, or display(w)
 *   w.close();
 *
 * Typed arrays anywhere in the state (e.g. {data: Float32Array, shape}) travel as binary
 * buffers with ipywidgets buffer_paths; incoming buffers keep the typed-array type of the
 * current value. `display(obj)` shows anything with [Symbol.for("attnlab.display")]()
 * (a mime bundle), a widget, a tf.Tensor or plain values; `updateDisplay(id, obj)` replaces it;
 * `clearOutput({wait})` clears the cell's output. A cell's last expression is shown the same way.
 * Plain objects are first offered to the resolvers registered with registerDisplayResolver
 * (lib/figures registers one: method results show as their figure widget); results with no
 * view print with typed arrays summarised as `Float32Array[shape]`. `progressBar(label)` is
 * an onProgress callback shown as a bar updated in place (the long methods use one by
 * default inside the kernel).
 *
 * Without the kernel (plain node, jest) no transport is registered: widgets are detached
 * (state, get/set, change callbacks work locally) and display()/send() throw a clear error.
 */
export * from "./transport";
export * from "./buffers";
export * from "./display";
export * from "./widget";
export * from "./progress";
