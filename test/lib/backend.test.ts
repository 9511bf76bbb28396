import * as tf from "@tensorflow/tfjs";
import { activeBackend, assertReady, ready, setBackend, tidyData, tidyDataAll } from "../../lib/backend";

describe("backend", () => {
  test("models refuse to run before ready()", () => {
    expect(() => assertReady("createModel")).toThrow(/await ready\(\)/);
  });

  // The set-up builds tfjs-node on Linux x86-64 (scripts/setup.d/15-tfjs-node.sh); elsewhere wasm runs.
  const native = process.platform === "linux" && process.arch === "x64" ? "tensorflow" : "wasm";

  test("ready() picks tensorflow (tfjs-node, built by the set-up) unless ATTNLAB_BACKEND says otherwise", async () => {
    const name = await ready();
    const expected = process.env.ATTNLAB_BACKEND?.toLowerCase() || native;
    expect(name).toBe(expected);
    expect(activeBackend()).toBe(expected);
    expect(tf.getBackend()).toBe(expected);
    expect(await ready()).toBe(expected); // idempotent
  });

  test("setBackend rejects unknown names with a clear error", async () => {
    await expect(setBackend("gpu9000")).rejects.toThrow(/backend must be one of tensorflow, wasm, cpu; got "gpu9000"/);
  });

  test("without tfjs-node, ready() runs on wasm, says once why, and setBackend('tensorflow') names the package", async () => {
    const saved = process.env.ATTNLAB_BACKEND;
    delete process.env.ATTNLAB_BACKEND;
    const warn = jest.spyOn(console, "warn").mockImplementation(() => undefined);
    try {
      let fresh!: typeof import("../../lib/backend");
      jest.isolateModules(() => {
        // What a machine where the set-up could not build the addon sees.
        jest.doMock("@tensorflow/tfjs-node", () => {
          throw new Error("Cannot find module 'tfjs_binding.node'");
        });
        fresh = require("../../lib/backend");
      });
      expect(await fresh.ready()).toBe("wasm");
      expect(await fresh.ready()).toBe("wasm");
      const said = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.startsWith("attnlab:"));
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/computing on the wasm backend .*tfjs-node did not load \(Cannot find module 'tfjs_binding.node'\)/);
      await expect(fresh.setBackend("tensorflow")).rejects.toThrow(/needs @tensorflow\/tfjs-node/);
    } finally {
      jest.dontMock("@tensorflow/tfjs-node");
      if (saved !== undefined) process.env.ATTNLAB_BACKEND = saved;
      warn.mockRestore();
      await setBackend(native);
    }
  });

  test("tfjs-node agrees with wasm on a matmul + softmax", async () => {
    const a = tf.tensor2d(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
    const b = tf.tensor2d(Array.from({ length: 20 }, (_, i) => Math.cos(i)), [4, 5]);
    const run = () => Array.from(tf.softmax(tf.matMul(a, b)).dataSync());
    await setBackend("wasm");
    const onWasm = run();
    await setBackend(native);
    run().forEach((v, i) => expect(v).toBeCloseTo(onWasm[i], 6));
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
      await setBackend(native);
      quiet.mockRestore();
    }
  });

  test("switching to cpu, wasm and back works", async () => {
    expect(await setBackend("cpu")).toBe("cpu");
    expect(activeBackend()).toBe("cpu");
    expect(await setBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(await setBackend(native)).toBe(native);
    expect(tf.getBackend()).toBe(native);
  });

  test("tidyData reads a tidy's tensor after the scope and frees it and its intermediates", async () => {
    await ready();
    const kept = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const v = tidyData(() => tf.mul(tf.add(kept, 1), 2));
    expect(Array.from(v)).toEqual([4, 6, 8]);
    expect(tf.memory().numTensors).toBe(before);
    // A tensor made outside the scope is read, not freed, and the caller's array is its own.
    const same = tidyData(() => kept);
    same[0] = 99;
    expect(kept.isDisposed).toBe(false);
    expect(Array.from(kept.dataSync())).toEqual([1, 2, 3]);
    const ints = tidyData<Int32Array>(() => tf.argMax(tf.tensor2d([[0, 5], [7, 1]]), 1));
    expect(ints.constructor.name).toBe("Int32Array"); // (jest realms differ, so no instanceof)
    expect(Array.from(ints)).toEqual([1, 0]);
    const [a, b] = tidyDataAll(() => [tf.sub(kept, 1), tf.neg(kept)]);
    expect(Array.from(a)).toEqual([0, 1, 2]);
    expect(Array.from(b)).toEqual([-1, -2, -3]);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => tidyData(() => {
      tf.ones([2]);
      throw new Error("boom");
    })).toThrow("boom");
    expect(tf.memory().numTensors).toBe(before);
    kept.dispose();
  });
});
