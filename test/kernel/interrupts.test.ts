/**
 * Interrupts stop the cell whatever it awaited, by SIGINT or by interrupt_request on control,
 * and leave the tensor engine clean; output leaves while a cell computes. Over real zmq
 * sockets against the compiled kernel.
 */
import * as path from "path";
import { KernelClient, type Msg } from "./harness";

/** A small GPT-2 with its tokenizer, made by the set-up (scripts/make_tokenizer_fixtures.py). */
const TINY = JSON.stringify(path.resolve(__dirname, "../fixtures/pretrained/tiny-gpt2"));

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
  const r = await k.execute(`import * as tf from "@tensorflow/tfjs";\nimport * as al from "attnlab";\nconst model = await al.loadPretrained(${TINY});\nconst text = "When Mary and John went to the store, John gave a drink to";`, {}, 120000);
  expect(r.reply.content.status).toBe("ok");
}, 180000);
afterAll(async () => {
  await k?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a cell, waits until `ready` printed on stdout (or `delay` ms after execute_input),
 * interrupts by SIGINT or interrupt_request; returns the reply, the outputs and how long the
 * reply took after the interrupt.
 */
async function interrupted(code: string, opts: { ready?: string; delay?: number; via?: "signal" | "message" } = {}): Promise<{ reply: Msg; iopub: Msg[]; ms: number }> {
  const id = k.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false });
  await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_input"), 60000);
  if (opts.ready) {
    await k.waitFor(() => k.stream(k.iopubLog.filter((m) => m.parent_header.msg_id === id)).includes(opts.ready!), 60000);
  }
  await sleep(opts.delay ?? 300);
  expect(k.alive()).toBe(true);
  const t0 = Date.now();
  if (opts.via === "message") k.send("control", "interrupt_request", {});
  else k.interrupt();
  const reply = await k.reply(id, 20000);
  const ms = Date.now() - t0;
  if (process.env.ATTNLAB_SHOW_TIMES) console.log(`interrupt -> ${reply.content.ename ?? reply.content.status} after ${ms} ms: ${code.split("\n").pop()}`);
  return { reply, iopub: await k.outputs(id), ms };
}

describe("interrupt stops the cell whatever it awaited", () => {
  test("a busy loop after awaited file I/O (SIGINT)", async () => {
    const r = await interrupted("let n1 = 0;\nconst src = await require('fs').promises.readFile(process.argv[1]);\nconsole.log('ready');\nwhile (true) { n1++; }", { ready: "ready" });
    expect(r.reply.content.ename).toBe("Interrupted");
    expect(r.ms).toBeLessThan(3000);
    expect(Number(await k.value("n1"))).toBeGreaterThan(0);
  });

  test("a busy loop after an awaited socket (SIGINT)", async () => {
    const r = await interrupted(
      "const net = require('net');\nawait new Promise<void>((res) => { const s = net.createServer().listen(0, '127.0.0.1', () => s.close(() => res())); });\nconsole.log('ready');\nlet n2 = 0; while (true) { n2++; }",
      { ready: "ready" },
    );
    expect(r.reply.content.ename).toBe("Interrupted");
    expect(r.ms).toBeLessThan(3000);
    expect(Number(await k.value("n2"))).toBeGreaterThan(0);
  });

  test("the first model load then a busy loop (SIGINT): the model is kept and works", async () => {
    const r = await interrupted(`const m2 = await al.loadPretrained(${TINY});\nconsole.log('ready');\nwhile (true) {}`, { ready: "ready" });
    expect(r.reply.content.ename).toBe("Interrupted");
    expect(await k.value("m2.config.nLayers")).toBe("2");
  });

  test("interrupt_request on control stops a synchronous busy loop and one after an await", async () => {
    const a = await interrupted("let n3 = 0; while (true) { n3++; }", { via: "message" });
    expect(a.reply.content.ename).toBe("Interrupted");
    const b = await interrupted("await new Promise((r) => setTimeout(r, 20));\nconsole.log('ready');\nlet n4 = 0; while (true) { n4++; }", { via: "message", ready: "ready" });
    expect(b.reply.content.ename).toBe("Interrupted");
    expect(b.ms).toBeLessThan(3000);
    expect(Number(await k.value("n3 > 0 && n4 > 0 ? 1 : 0"))).toBe(1);
  });

  test("an interrupted awaiting loop stops: it prints nothing into the next cell", async () => {
    const r = await interrupted("let ticks = 0;\nwhile (true) { await new Promise((r) => setTimeout(r, 20)); ticks++; console.log('tick', ticks); }", { ready: "tick 3" });
    expect(r.reply.content.ename).toBe("Interrupted");
    const at = Number(await k.value("ticks"));
    await sleep(500);
    const next = await k.execute("ticks");
    expect(Number(next.iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"])).toBe(at);
    expect(k.stream(next.iopub)).not.toMatch(/tick/);
  });
});

describe("after an interrupted method the engine is clean and gradients work", () => {
  const methods: [string, string][] = [
    ["attributions", "al.attributions(model, text, { layer: 1, head: 0, steps: 10000 });"],
    ["adversarialAttention", "await al.adversarialAttention(model, text, { layer: 1, head: 0, steps: 100000 });"],
    ["causalTrace", "await al.causalTrace(model, text, { subject: 'Mary', samples: 200, kinds: ['hidden', 'attn'], progressBar: false });"],
    ["activationPatching", "for (let i = 0; i < 1000; i++) await al.patchResidByPos(model, text, text.replace('Mary', 'Mart'), { metric: { answer: 1, wrong: 2 }, progressBar: false });"],
    [
      "probe",
      "const ex = Array.from({ length: 400 }, (_, i) => ({ words: ['the', 'cat', 'sat', i % 2 ? 'down' : 'up'], labels: ['DET', 'NOUN', 'VERB', 'ADV'] }));\nawait al.probe(model, ex, { sites: ['resid_pre', 'resid_post'], progressBar: false });",
    ],
  ];
  test.each(methods)("%s", async (_name, code) => {
    const before = Number(await k.value("tf.memory().numTensors"));
    const r = await interrupted(`console.log('ready');\n${code}`, { ready: "ready", delay: 1500 });
    expect(`${r.reply.content.ename ?? r.reply.content.status}: ${r.reply.content.evalue ?? ""}`).toMatch(/^(Interrupted|ok):/);
    // No activations of the aborted call are left (a forward pass makes hundreds of tensors). Code
    // stopped without yielding never ran its finally: the few tensors it held outside a tidy stay.
    const mid = Number(await k.value("tf.memory().numTensors"));
    expect(mid - before).toBeLessThanOrEqual(16);
    const state = await k.value("const eng = tf.engine() as any; JSON.stringify([eng.state.scopeStack.length, eng.state.gradientDepth, eng.state.kernelDepth, eng.state.activeTape === null || eng.state.activeTape === undefined])");
    expect(state).toBe(`'[0,0,0,true]'`);
    // Gradients work in the next cell.
    const g = await k.execute("const gr = tf.grad((x: tf.Tensor) => x.square().sum())(tf.tensor1d([1, 2, 3])); Array.from(gr.dataSync())");
    expect(g.reply.content.status).toBe("ok");
    expect(g.iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"]).toBe("[ 2, 4, 6 ]");
    const at = await k.execute("al.attributions(model, text, { layer: 1, head: 0, steps: 2 }).kind");
    expect(at.reply.content.status).toBe("ok");
  });
});

describe("output leaves while a cell computes", () => {
  test("a line printed before long synchronous work arrives before that work ends", async () => {
    const id = k.send("shell", "execute_request", {
      code: "console.log('step 1'); let t0 = Date.now(); while (Date.now() - t0 < 2500) {} console.log('step 2'); t0 = Date.now(); while (Date.now() - t0 < 2500) {} 'end'",
      silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: false,
    });
    await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_input"), 30000);
    const t0 = Date.now();
    await k.waitFor(() => k.stream(k.iopubLog.filter((m) => m.parent_header.msg_id === id)).includes("step 1"), 30000);
    const first = Date.now() - t0;
    await k.waitFor(() => k.stream(k.iopubLog.filter((m) => m.parent_header.msg_id === id)).includes("step 2"), 30000);
    const second = Date.now() - t0;
    const reply = await k.reply(id, 30000);
    const end = Date.now() - t0;
    expect(reply.content.status).toBe("ok");
    expect(first).toBeLessThan(2000);
    expect(second).toBeLessThan(end - 1000);
  });
});
