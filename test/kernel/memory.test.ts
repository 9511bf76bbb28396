/**
 * Case 5 of issue #13: a loop that keeps every runWithCache result. Tensors live outside the
 * JavaScript heap (native memory with tfjs-node, WebAssembly memory with wasm), so the kernel
 * enforces a tensor-memory budget (kernel/engine.ts): the cell is stopped with an error naming
 * dispose/tf.tidy/tf.memory() before the allocator fails, and the session goes on. A small
 * budget (ATTNLAB_TENSOR_BUDGET_MB) stands in for the machine's memory. Over real zmq sockets.
 */
import * as path from "path";
import { KernelClient } from "./harness";

/** A small GPT-2 with its tokenizer, made by the set-up (scripts/make_tokenizer_fixtures.py). */
const TINY = JSON.stringify(path.resolve(__dirname, "../fixtures/pretrained/tiny-gpt2"));

const BUDGET_MB = 40;

describe.each(["tensorflow", "wasm"])("the tensor memory budget on the %s backend", (backend) => {
  test("runWithCache results kept in a loop stop at the budget with BackendOutOfMemory; variables, model and backend keep working", async () => {
    const k = await KernelClient.start({ env: { ATTNLAB_TENSOR_BUDGET_MB: String(BUDGET_MB), ATTNLAB_BACKEND: backend } });
    try {
      const setup = await k.execute(
        `import * as al from "attnlab";\nimport * as tf from "@tensorflow/tfjs";\nconst model = await al.loadPretrained(${TINY});\n` +
          'const text = "When Mary and John went to the store, John gave a drink to";\ntf.getBackend()',
        {},
        120000,
      );
      expect(setup.reply.content.evalue ?? "ok").toBe("ok");
      expect(setup.iopub.find((m) => m.header.msg_type === "execute_result")?.content.data["text/plain"]).toBe(`'${backend}'`);

      const r = await k.execute("const kept: any[] = [];\nfor (let i = 0; i < 1e6; i++) kept.push(model.runWithCache(text));", { stop_on_error: false }, 60000);
      expect(r.reply.content).toMatchObject({ status: "error", ename: "BackendOutOfMemory" });
      const said = r.reply.content.evalue as string;
      expect(said).toMatch(/tensor memory budget/);
      expect(said).toContain(`budget of ${BUDGET_MB}.0 MB`);
      expect(said).toMatch(/dispose\(\)/);
      expect(said).toMatch(/tf\.tidy/);
      expect(said).toMatch(new RegExp(`tf\\.memory\\(\\)[^]*now: tf\\.memory\\(\\): \\d+ tensors, [\\d.]+ MB on the ${backend} backend`));
      expect(r.iopub.find((m) => m.header.msg_type === "error")?.content.ename).toBe("BackendOutOfMemory");
      expect(k.alive()).toBe(true);

      // The loop's variable is kept, with what it had made; freeing it brings the engine under budget.
      expect(Number(await k.value("kept.length"))).toBeGreaterThan(10);
      expect(await k.value(`for (const x of kept) { x.logits.dispose(); x.cache.dispose(); }\nkept.length = 0;\ntf.memory().numBytes < ${BUDGET_MB} * 2 ** 20`)).toBe("true");
      // The model and the backend work: the same call again gives the same logits as a fresh run.
      expect(await k.value("const again = model.runWithCache(text);\nconst ok = again.logits.shape.join(',');\nagain.cache.dispose(); again.logits.dispose();\nok")).toMatch(/^'1,\d+,\d+'$/);
      expect(await k.value("tf.tidy(() => Array.from(tf.add(tf.tensor([1, 2]), 1).dataSync()).join(','))")).toBe("'2,3'");
    } finally {
      await k.close();
    }
  }, 150000);
});
