/**
 * A failed or interrupted cell keeps what ran before the failure, as ipykernel does; errors
 * point at the cell's own line. Over real zmq sockets against the compiled kernel.
 */
import * as path from "path";
import { KernelClient, type Msg } from "./harness";

/** A small GPT-2 with its tokenizer (4 heads), made by the set-up (scripts/make_tokenizer_fixtures.py). */
const TINY = JSON.stringify(path.resolve(__dirname, "../fixtures/pretrained/tiny-gpt2"));

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
}, 90000);
afterAll(async () => {
  await k?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (code: string) => k.execute(code, { stop_on_error: false });

async function interrupted(code: string, delay = 400): Promise<{ reply: Msg; iopub: Msg[] }> {
  const id = k.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false });
  await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_input"));
  await sleep(delay);
  k.interrupt();
  const reply = await k.reply(id, 20000);
  return { reply, iopub: await k.outputs(id) };
}

describe("a failing cell keeps what it declared before the failure", () => {
  test("a first cell like the README's, with an out-of-range head: model, text and the import stay", async () => {
    const r = await run(
      'import { loadPretrained, attentionPattern } from "attnlab";\n' +
        `const model = await loadPretrained(${TINY});\n` +
        'const text = "<|endoftext|>When Mary and John went to the store, John gave a drink to";\n' +
        "attentionPattern(model, text, { layer: 0, head: 4 });",
    );
    expect(r.reply.content.status).toBe("error");
    expect(r.reply.content.evalue).toMatch(/head/);
    // The user's line, source-mapped to the cell, comes before the library's frames.
    const tb: string[] = r.reply.content.traceback;
    const at = tb.findIndex((l) => /cell \[\d+\], line 4/.test(l));
    expect(at).toBeGreaterThan(0);
    expect(tb[at]).toContain("attentionPattern(model, text, { layer: 0, head: 4 })");
    const lib = tb.findIndex((l) => /attnlab\/lib\//.test(l));
    if (lib >= 0) expect(lib).toBeGreaterThan(at);
    const next = await k.execute('const p = attentionPattern(model, text, { layer: 0, head: 3 }); [p.kind, model.config.nLayers, text.length]');
    expect(next.reply.content.status).toBe("ok");
  });

  test("declarations after the throw are not defined; earlier values of redeclared names stay", async () => {
    await run("let before = 'old'; let later = 'old later';");
    const r = await run("let before = 'new'; import * as fs2 from 'fs'; function helper() { return 3; }\nthrow new RangeError('stop here');\nlet later = 'new later'; const neverRan = 1;");
    expect(r.reply.content).toMatchObject({ status: "error", ename: "RangeError" });
    expect(r.reply.content.traceback.join("\n")).toMatch(/cell \[\d+\], line 2:\n\s+throw new RangeError\('stop here'\);/);
    expect(await k.value("[before, later, helper(), typeof fs2.readFileSync].join(' ')")).toBe("'new old later 3 function'");
    const missing = await run("neverRan");
    expect(missing.reply.content.evalue).toMatch(/Cannot find name 'neverRan'/);
  });

  test("a throw deep in a long cell names its line; functions of earlier cells name theirs", async () => {
    await run("function deep(n: number): number {\n  if (n === 0) throw new Error('bottom');\n  return deep(n - 1);\n}");
    const r = await run("const a1 = 1;\nconst a2 = 2;\nconst a3 = 3;\n\n\nconst total = a1 + a2 + a3;\ndeep(2);");
    const tb = r.reply.content.traceback.join("\n");
    expect(tb).toMatch(/line 2 in deep:\n\s+if \(n === 0\) throw new Error\('bottom'\);/);
    expect(tb).toMatch(/line 7:\n\s+deep\(2\);/);
    expect(await k.value("total")).toBe("6");
  });

  test("an interrupted loop keeps its counter and the values assigned before it", async () => {
    const { reply } = await interrupted("const started = 'yes';\nlet i = 0;\nwhile (true) { i++; }");
    expect(reply.content.ename).toBe("Interrupted");
    expect(await k.value("started")).toBe("'yes'");
    expect(Number(await k.value("i"))).toBeGreaterThan(1000);
  });

  test("an interrupted await keeps the declarations before it", async () => {
    const { reply } = await interrupted("const got = [1, 2, 3];\nawait new Promise(() => {});\nconst after = 1;");
    expect(reply.content.ename).toBe("Interrupted");
    expect(await k.value("got.length")).toBe("3");
    expect((await run("after")).reply.content.evalue).toMatch(/Cannot find name 'after'/);
  });
});
