import * as tf from "@tensorflow/tfjs";
import { activeBackend, assertReady, ready, setBackend } from "../../lib/backend";

describe("backend", () => {
  test("models refuse to run before ready()", () => {
    expect(() => assertReady("createModel")).toThrow(/await ready\(\)/);
  });

  test("ready() picks wasm here (tfjs-node is absent) unless ATTNLAB_BACKEND says otherwise", async () => {
    const name = await ready();
    const expected = process.env.ATTNLAB_BACKEND?.toLowerCase() || "wasm";
    expect(name).toBe(expected);
    expect(activeBackend()).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
    expect(await ready()).toBe(expected); // idempotent
  });

  test("setBackend rejects unknown names and unavailable tfjs-node with clear errors", async () => {
    await expect(setBackend("gpu9000")).rejects.toThrow(/backend must be one of tensorflow, wasm, cpu; got "gpu9000"/);
    await expect(setBackend("tensorflow")).rejects.toThrow(/tfjs-node/);
  });

  test("wasm computes tf.gather's gradient (UnsortedSegmentSum) and sums repeated ids", async () => {
    await setBackend("wasm");
    const params = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor2d([[2, 0], [2, 2]], [2, 2], "int32");
    const w = tf.tensor3d([[[1, 10], [2, 20]], [[3, 30], [4, 40]]]);
    const g = tf.grad((p: tf.Tensor) => tf.sum(tf.mul(tf.gather(p, ids), w)))(params);
    // row 0 gets w[0,1]; row 2 gets w[0,0] + w[1,0] + w[1,1]; row 1 nothing.
    expect(Array.from(g.dataSync())).toEqual([2, 20, 0, 0, 8, 80]);
    // gather along axis 1 goes through the same kernel after a transpose
    const g1 = tf.grad((p: tf.Tensor) => tf.sum(tf.gather(p, tf.tensor1d([1, 1, 0], "int32"), 1)))(params);
    expect(Array.from(g1.dataSync())).toEqual([1, 2, 1, 2, 1, 2]);
    expect(tf.getBackend()).toBe("wasm");
  });

  test("ATTNLAB_BACKEND chooses the backend, and a bad value is named", async () => {
    const saved = process.env.ATTNLAB_BACKEND;
    // A fresh module registry re-imports tfjs, which warns that its platform and backends exist.
    const quiet = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      for (const [value, expected] of [["cpu", "cpu"], ["WASM", "wasm"]] as const) {
        process.env.ATTNLAB_BACKEND = value;
        let fresh!: typeof import("../../lib/backend");
        jest.isolateModules(() => {
          fresh = require("../../lib/backend");
        });
        expect(fresh.activeBackend()).toBeNull();
        expect(await fresh.ready()).toBe(expected);
        expect(tf.getBackend()).toBe(expected);
      }
      process.env.ATTNLAB_BACKEND = "tpu";
      let bad!: typeof import("../../lib/backend");
      jest.isolateModules(() => {
        bad = require("../../lib/backend");
      });
      await expect(bad.ready()).rejects.toThrow(/ATTNLAB_BACKEND: backend must be one of tensorflow, wasm, cpu; got "tpu"/);
    } finally {
      if (saved === undefined) delete process.env.ATTNLAB_BACKEND;
      else process.env.ATTNLAB_BACKEND = saved;
      await setBackend("wasm");
      quiet.mockRestore();
    }
  });

  test("switching to cpu and back works", async () => {
    expect(await setBackend("cpu")).toBe("cpu");
    expect(activeBackend()).toBe("cpu");
    expect(await setBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
  });
});
