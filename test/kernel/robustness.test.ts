/** Interrupts and failures: the kernel stays up and keeps its variables. */
import { KernelClient, type Msg } from "./harness";

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
  expect(await k.value("let keep = 7; keep")).toBe("7");
}, 90000);
afterAll(async () => {
  await k?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a cell, waits until it runs, sends SIGINT, returns the reply and outputs. */
async function interrupted(code: string, delay = 400): Promise<{ reply: Msg; iopub: Msg[] }> {
  const id = k.send("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
  await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_input"));
  await sleep(delay);
  expect(k.alive()).toBe(true);
  k.interrupt();
  const reply = await k.reply(id, 20000);
  return { reply, iopub: await k.outputs(id) };
}

describe("interrupts (SIGINT, interrupt_mode signal)", () => {
  test("a synchronous busy loop", async () => {
    const { reply, iopub } = await interrupted("let spins = 0; while (true) { spins++; }");
    expect(reply.content).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(iopub.find((m) => m.header.msg_type === "error")!.content.ename).toBe("Interrupted");
    expect(await k.value("keep + 1")).toBe("8");
  });

  test("the heartbeat answers while a cell keeps the main thread busy", async () => {
    const id = k.send("shell", "execute_request", { code: "while (true) {}", silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "execute_input"));
    await sleep(200);
    expect(await k.heartbeat(2000)).toBe(true);
    k.interrupt();
    expect((await k.reply(id, 20000)).content.ename).toBe("Interrupted");
  });

  test("a cell that never returns (pending await)", async () => {
    const { reply } = await interrupted("await new Promise(() => {});");
    expect(reply.content).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(await k.value("keep")).toBe("7");
  });

  test("a busy loop after an await (timer continuation)", async () => {
    const { reply } = await interrupted("keep = 70; await new Promise((r) => setTimeout(r, 10)); while (true) {}");
    expect(reply.content).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(await k.value("keep")).toBe("70");
  });

  test("a busy loop after `await null` (microtask continuation)", async () => {
    const { reply } = await interrupted("keep = 71; await null; while (true) {}");
    expect(reply.content).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(await k.value("keep")).toBe("71");
  });

  test("a busy loop in a timer after its cell finished", async () => {
    const r = await k.execute("setTimeout(() => { while (true) {} }, 50); keep = 72;");
    expect(r.reply.content.status).toBe("ok");
    await sleep(500);
    k.interrupt();
    expect(await k.value("keep")).toBe("72");
    const all = k.iopubLog.filter((m) => m.header.msg_type === "stream" && m.content.name === "stderr").map((m) => m.content.text).join("");
    expect(all).toMatch(/Interrupted \(code running after its cell had finished: a timer or a callback\)/);
  });
});

describe("failures do not take the kernel down", () => {
  test("an awaited rejected promise is the cell's error", async () => {
    const r = await k.execute("await Promise.reject(new TypeError('nope'))");
    expect(r.reply.content).toMatchObject({ status: "error", ename: "TypeError", evalue: "nope" });
  });

  test("an unhandled rejection and an uncaught exception in a timer are reported on stderr", async () => {
    const r = await k.execute("Promise.reject(new Error('nobody catches')); setTimeout(() => { throw new Error('timer boom'); }, 10); keep = 73;");
    expect(r.reply.content.status).toBe("ok");
    await sleep(300);
    expect(k.alive()).toBe(true);
    expect(await k.value("keep")).toBe("73");
    const err = k.iopubLog.filter((m) => m.header.msg_type === "stream" && m.content.name === "stderr").map((m) => m.content.text).join("");
    expect(err).toMatch(/Unhandled promise rejection.*nobody catches/s);
    expect(err).toMatch(/Uncaught exception.*timer boom/s);
  });

  test("output printed during a long synchronous loop arrives before the loop ends", async () => {
    const id = k.send("shell", "execute_request", { code: "console.log('started'); const t0 = Date.now(); while (Date.now() - t0 < 400) {} console.log('tick'); while (true) {}", silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true });
    await k.waitFor(() => k.iopubLog.some((m) => m.parent_header.msg_id === id && m.header.msg_type === "stream" && m.content.text.includes("started")), 10000);
    k.interrupt();
    expect((await k.reply(id, 20000)).content.ename).toBe("Interrupted");
  });

  test("10 MB of output arrives and the kernel keeps serving", async () => {
    const r = await k.execute("console.log('x'.repeat(10 * 1024 * 1024)); for (let i = 0; i < 1000; i++) console.log('line', i);");
    expect(r.reply.content.status).toBe("ok");
    const out = k.stream(r.iopub);
    expect(out.length).toBeGreaterThan(10 * 1024 * 1024);
    expect(out.endsWith("line 999\n")).toBe(true);
    expect(r.iopub.filter((m) => m.header.msg_type === "stream").length).toBeLessThan(40);
    expect(await k.value("keep")).toBe("73");
  });

  test("heartbeat answers and shutdown on control exits the process", async () => {
    expect(await k.heartbeat()).toBe(true);
    const exited = new Promise<number | null>((r) => (k.alive() ? k.proc.on("exit", (code) => r(code)) : r(k.proc.exitCode)));
    const id = k.send("control", "shutdown_request", { restart: false });
    expect((await k.reply(id)).content).toEqual({ status: "ok", restart: false });
    expect(await exited).toBe(0);
  });
});
