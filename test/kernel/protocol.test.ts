/** Wire protocol over real zmq sockets against the compiled kernel (run `npx tsc` first). */
import { KernelClient, ROOT, type Msg } from "./harness";

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
}, 90000);
afterAll(async () => {
  await k?.close();
});

const types = (ms: Msg[]) => ms.map((m) => m.header.msg_type);

describe("kernel_info and status", () => {
  test("starting status was published and kernel_info works on shell and control", async () => {
    for (const ch of ["shell", "control"] as const) {
      const { reply, iopub } = await k.request(ch, "kernel_info_request", {});
      expect(reply.header.msg_type).toBe("kernel_info_reply");
      expect(reply.content.status).toBe("ok");
      expect(reply.content.protocol_version).toMatch(/^5\.\d/);
      expect(reply.content.language_info.name).toBe("typescript");
      expect(types(iopub)).toEqual(["status", "status"]);
      expect(iopub.map((m) => m.content.execution_state)).toEqual(["busy", "idle"]);
    }
  });

  test("heartbeat echoes", async () => {
    expect(await k.heartbeat()).toBe(true);
  });
});

describe("execute", () => {
  test("execute_input, execute_result, busy/idle parented, count increments", async () => {
    const r1 = await k.execute("let a = 20; a + 1");
    expect(r1.reply.content).toMatchObject({ status: "ok" });
    expect(types(r1.iopub)).toEqual(["status", "execute_input", "execute_result", "status"]);
    const res = r1.iopub[2].content;
    expect(res.data["text/plain"]).toBe("21");
    expect(res.execution_count).toBe(r1.reply.content.execution_count);
    const r2 = await k.execute("a * 2");
    expect(r2.reply.content.execution_count).toBe(r1.reply.content.execution_count + 1);
    expect(r2.iopub.find((m) => m.header.msg_type === "execute_result")!.content.data["text/plain"]).toBe("40");
  });

  test("functions, classes and top-level await persist across cells", async () => {
    await k.execute("class Counter { n = 0; inc() { return ++this.n; } }\nfunction sq(x: number) { return x * x; }");
    await k.execute("const c = new Counter(); c.inc();");
    expect(await k.value("const v = await new Promise<number>((r) => setTimeout(() => r(sq(7)), 20)); v")).toBe("49");
    expect(await k.value("c.inc() + v")).toBe("51");
  });

  test("shorthand properties and destructuring assignment see earlier cells' variables", async () => {
    await k.execute("const tokens = ['a', 'b']; let left = 0, right = 0;");
    expect(await k.value("const o = { tokens, n: tokens.length }; function wrap() { return { tokens }; }\nJSON.stringify([o, wrap()])")).toBe(
      `'[{"tokens":["a","b"],"n":2},{"tokens":["a","b"]}]'`,
    );
    expect(await k.value("({ left, right = 5 } = { left: 3 } as { left: number; right?: number }); [left, right]")).toBe("[ 3, 5 ]");
    expect(await k.value("function local(tokens: number) { return { tokens }; }\nlocal(9).tokens")).toBe("9");
  });

  test("console.log and console.error become stream messages", async () => {
    const r = await k.execute('console.log("out", 1); console.error("err", 2); process.stdout.write("raw\\n");');
    expect(k.stream(r.iopub, "stdout")).toBe("out 1\nraw\n");
    expect(k.stream(r.iopub, "stderr")).toBe("err 2\n");
  });

  test("type errors report the cell's line and column", async () => {
    const r = await k.execute("const ok = 1;\nconst bad: number = 'text';");
    expect(r.reply.content.status).toBe("error");
    expect(r.reply.content.ename).toBe("TypeScriptError");
    expect(r.reply.content.evalue).toMatch(/^2:7 - Type 'string' is not assignable to type 'number'/);
    const err = r.iopub.find((m) => m.header.msg_type === "error")!;
    expect(err.content.traceback.join("\n")).toContain("2:7");
  });

  test("a thrown error gives error on IOPub and an error reply", async () => {
    const r = await k.execute("function fail() { throw new RangeError('too far'); }\nfail()");
    expect(r.reply.content).toMatchObject({ status: "error", ename: "RangeError", evalue: "too far" });
    const err = r.iopub.find((m) => m.header.msg_type === "error")!;
    expect(err.content.ename).toBe("RangeError");
    expect(err.content.traceback[0]).toContain("RangeError: too far");
    expect(err.content.traceback.join("\n")).not.toMatch(/node_modules[\\/]tslab/);
    expect(err.content.traceback.join("\n")).toMatch(/cell \[\d+\], line \d+ in fail:\n\s+.*throw new RangeError/);
    expect(await k.value("a")).toBe("20");
  });

  test("silent execution publishes no execute_input and does not count", async () => {
    const before = (await k.execute("1")).reply.content.execution_count;
    const r = await k.execute("2", { silent: true });
    expect(types(r.iopub)).toEqual(["status", "status"]);
    expect((await k.execute("3")).reply.content.execution_count).toBe(before + 1);
  });

  test("queued cells after an error are aborted (stop_on_error)", async () => {
    const bad = k.execute("await new Promise((r) => setTimeout(r, 200)); throw new Error('stop')");
    const next = k.execute("'should not run'");
    expect((await bad).reply.content.status).toBe("error");
    expect((await next).reply.content.status).toBe("aborted");
    expect(await k.value("'runs again'")).toBe("'runs again'");
  });
});

describe("rich display", () => {
  test("objects with [Symbol.for('attnlab.display')] show their mime bundle", async () => {
    const r = await k.execute('({ [Symbol.for("attnlab.display")]() { return { "text/html": "<b>hi</b>", "text/plain": "hi" }; } })');
    const res = r.iopub.find((m) => m.header.msg_type === "execute_result")!;
    expect(res.content.data).toEqual({ "text/html": "<b>hi</b>", "text/plain": "hi" });
  });

  test("display and updateDisplay send display_data / update_display_data with a display_id", async () => {
    const r = await k.execute('import { display, updateDisplay } from "attnlab";\nconst h = display("first");\nupdateDisplay(h.displayId, 42);');
    expect(r.reply.content.status).toBe("ok");
    const d = r.iopub.find((m) => m.header.msg_type === "display_data")!;
    const u = r.iopub.find((m) => m.header.msg_type === "update_display_data")!;
    expect(d.content.data["text/plain"]).toBe("'first'");
    expect(typeof d.content.transient.display_id).toBe("string");
    expect(u.content.transient.display_id).toBe(d.content.transient.display_id);
    expect(u.content.data["text/plain"]).toBe("42");
  });

  test("tf.Tensor values show dtype, shape and values; attnlab resolves outside the project", async () => {
    expect(JSON.parse((await k.value("JSON.stringify(process.cwd())")).slice(1, -1))).not.toContain(ROOT);
    const text = await k.value('import * as tf from "@tensorflow/tfjs";\nawait tf.ready();\ntf.tensor2d([[1, 2, 3], [4, 5, 6]])');
    expect(text).toMatch(/^Tensor float32 \[2, 3\]/);
    expect(text).toMatch(/\[\[1, 2, 3\],\s*\[4, 5, 6\]\]/);
  });
});

describe("other shell requests", () => {
  test("is_complete", async () => {
    expect((await k.request("shell", "is_complete_request", { code: "let x = 1;" })).reply.content.status).toBe("complete");
    const inc = (await k.request("shell", "is_complete_request", { code: "function f() {" })).reply.content;
    expect(inc.status).toBe("incomplete");
  });

  test("complete offers defined names and library members", async () => {
    await k.execute("const myLongVariable = 1;");
    const code = "myLong";
    const r = (await k.request("shell", "complete_request", { code, cursor_pos: code.length })).reply.content;
    expect(r.status).toBe("ok");
    expect(r.matches).toContain("myLongVariable");
    expect(r.cursor_start).toBe(0);
    expect(r.cursor_end).toBe(code.length);
    // Jupyter counts code points; "😀" is two UTF-16 units.
    const emoji = 'const smile = "😀"; myLong';
    const cps = [...emoji].length;
    const r3 = (await k.request("shell", "complete_request", { code: emoji, cursor_pos: cps })).reply.content;
    expect(r3.matches).toContain("myLongVariable");
    expect([r3.cursor_start, r3.cursor_end]).toEqual([cps - "myLong".length, cps]);
    const lib = 'import * as al from "attnlab";\nal.upd';
    const r2 = (await k.request("shell", "complete_request", { code: lib, cursor_pos: lib.length })).reply.content;
    expect(r2.matches).toContain("updateDisplay");
  });

  test("inspect shows the type of a name", async () => {
    const code = "sq";
    const r = (await k.request("shell", "inspect_request", { code, cursor_pos: 1, detail_level: 0 })).reply.content;
    expect(r.status).toBe("ok");
    expect(r.found).toBe(true);
    expect(r.data["text/plain"]).toContain("function sq(x: number): number");
  });

  test("inspect and complete work on attnlab's exports", async () => {
    const code = 'import { updateDisplay as ud } from "attnlab";\nud';
    const r = (await k.request("shell", "inspect_request", { code, cursor_pos: code.length - 1, detail_level: 0 })).reply.content;
    expect(r.found).toBe(true);
    expect(r.data["text/plain"]).toMatch(/function ud\(displayId: string, value: unknown\): void/);
    expect(r.data["text/plain"]).toContain("Replaces every output");
    const imp = 'import { clearOut } from "attnlab";';
    const c = (await k.request("shell", "complete_request", { code: imp, cursor_pos: imp.indexOf("}") - 1 })).reply.content;
    expect(c.matches).toContain("clearOutput");
  });

  test("tslab's own display API still works", async () => {
    const r = await k.execute('import * as tslab from "tslab";\ntslab.display.html("<i>tslab</i>");');
    expect(r.reply.content.status).toBe("ok");
    const d = r.iopub.find((m) => m.header.msg_type === "display_data")!;
    expect(d.content.data).toEqual({ "text/html": "<i>tslab</i>" });
  });

  test("history and comm_info reply", async () => {
    const h = (await k.request("shell", "history_request", { output: false, raw: true, hist_access_type: "tail", n: 10 })).reply;
    expect(h.content).toEqual({ status: "ok", history: [] });
    const c = (await k.request("shell", "comm_info_request", {})).reply;
    expect(c.header.msg_type).toBe("comm_info_reply");
    expect(c.content.status).toBe("ok");
    expect(typeof c.content.comms).toBe("object");
  });
});

describe("bad input is dropped, the kernel keeps serving", () => {
  test("a bad signature and malformed messages get no reply", async () => {
    const bad = k.send("shell", "kernel_info_request", {}, { badSignature: true });
    await k.sendRaw("shell", [Buffer.from("no delimiter at all")]);
    await k.sendRaw("shell", [Buffer.from("<IDS|MSG>"), Buffer.from(""), Buffer.from("{not json")]);
    const json = [Buffer.from("{nope"), Buffer.from("{}"), Buffer.from("{}"), Buffer.from("{}")];
    await k.sendRaw("shell", [Buffer.from("<IDS|MSG>"), Buffer.from(k.sign(json)), ...json]);
    expect(await k.value("'still here'")).toBe("'still here'");
    await expect(k.reply(bad, 500)).rejects.toThrow(/timed out/);
    expect(k.stderr).toMatch(/bad HMAC signature/);
    expect(k.stderr).toMatch(/no <IDS\|MSG> delimiter/);
    expect(k.stderr).toMatch(/malformed header frame/);
  });
});
