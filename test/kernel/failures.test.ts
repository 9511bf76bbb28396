/**
 * Cells that would end or silently break the session: process.exit, values that cannot be
 * shown, heap exhaustion, forged signatures. Over real zmq sockets against the compiled kernel.
 */
import { KernelClient } from "./harness";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the kernel survives the cell", () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await KernelClient.start();
    expect(await k.value("let kept = 41; kept")).toBe("41");
  }, 90000);
  afterAll(async () => {
    await k?.close();
  });

  test("process.exit(1) in a cell is an error; the kernel and its variables stay", async () => {
    const r = await k.execute("kept = 42;\nprocess.exit(1);\nkept = 43;", { stop_on_error: false });
    expect(r.reply.content).toMatchObject({ status: "error", ename: "ProcessExit" });
    expect(r.reply.content.evalue).toMatch(/process\.exit\(1\)/);
    await sleep(200);
    expect(k.alive()).toBe(true);
    expect(await k.value("kept")).toBe("42");
  });

  test("a value whose mime bundle holds a BigInt is an error naming the type and where", async () => {
    const r = await k.execute('({ [Symbol.for("attnlab.display")]() { return { "application/json": { n: 10n } }; } })', { stop_on_error: false });
    expect(r.reply.content).toMatchObject({ status: "error", ename: "DisplayError" });
    expect(r.reply.content.evalue).toMatch(/data\["application\/json"\]\.n is a BigInt/);
  });

  test("a displayed bundle with a cycle is reported in the cell, not dropped", async () => {
    const r = await k.execute('import { display } from "attnlab";\nconst cyc: any = { a: 1 }; cyc.self = cyc;\ndisplay({ [Symbol.for("attnlab.display")]() { return { "application/json": cyc }; } });', { stop_on_error: false });
    expect(r.reply.content.status).toBe("ok");
    expect(k.stream(r.iopub, "stderr")).toMatch(/Cannot show this output \(display_data\): .*contains itself \(a cycle\)/);
    expect(await k.value("kept")).toBe("42");
  });

  test("a signature frame with high-bit bytes is rejected (compared as exact bytes)", async () => {
    const header = { msg_id: "high-bit-1", session: k.session, username: "test", date: new Date().toISOString(), msg_type: "kernel_info_request", version: "5.3" };
    const json = [header, {}, {}, {}].map((o) => Buffer.from(JSON.stringify(o)));
    const sig = Buffer.from(k.sign(json), "ascii");
    // Setting the high bit of one hex digit: decoding as ASCII would strip it and match.
    sig[0] |= 0x80;
    await k.sendRaw("shell", [Buffer.from("<IDS|MSG>"), sig, ...json]);
    await expect(k.reply("high-bit-1", 1500)).rejects.toThrow(/timed out/);
    expect(k.stderr).toMatch(/bad HMAC signature/);
    expect((await k.request("shell", "kernel_info_request", {})).reply.content.status).toBe("ok");
  });
});

// The kernel runs under a watcher process (kernel/nanny.ts) that starts it again after a crash
// and has the new kernel answer the cell that was running.
describe("heap exhaustion and hard crashes", () => {
  test("filling the heap: the cell is stopped near the limit, or the kernel restarts and the cell's error names the heap", async () => {
    const k = await KernelClient.start({ nodeArgs: ["--max-old-space-size=400"] });
    try {
      expect(await k.value("let before = 7; before")).toBe("7");
      const r = await k.execute("const hoard: string[] = [];\nwhile (true) { hoard.push(String(Math.random()).repeat(2000)); }", { stop_on_error: false }, 100000);
      expect(k.alive()).toBe(true);
      // Which way depends on how fast the string loop outruns the 200 ms heap watch on this machine:
      // stopped at 80% (variables kept), or the heap ran out and the process died (variables lost).
      // Either way the cell has its error, an execute_reply and idle, and the next cell runs.
      const { ename, evalue } = r.reply.content;
      console.log(`heap test took the ${ename} way`);
      expect(["HeapLimit", "KernelDied"]).toContain(ename);
      expect(r.iopub.find((m) => m.header.msg_type === "error")?.content.ename).toBe(ename);
      if (ename === "HeapLimit") {
        expect(evalue).toMatch(/JavaScript heap is at \d+% of its \d+ MB limit/);
        expect(Number(await k.value("const n = hoard.length; hoard.length = 0; n"))).toBeGreaterThan(1000);
      } else {
        expect(evalue).toMatch(/the JavaScript heap ran out of memory \(limit 400 MB/);
        expect(evalue).toMatch(/every variable is lost.*before/s);
      }
      expect(await k.value("1 + 1")).toBe("2");
    } finally {
      await k.close();
    }
  }, 150000);

  test("one allocation past the heap limit (no watch can stop it): the next kernel answers the cell naming the heap", async () => {
    const k = await KernelClient.start({ nodeArgs: ["--max-old-space-size=300"] });
    try {
      expect(await k.value("const before = 7; before")).toBe("7");
      // JSON.parse builds the array in one native call: the heap watch cannot interrupt it.
      const r = await k.execute('const big = JSON.parse("[" + "1.5,".repeat(25e6) + "1]");\nbig.length', { stop_on_error: false }, 100000);
      expect(r.reply.content).toMatchObject({ status: "error", ename: "KernelDied" });
      expect(r.reply.content.evalue).toMatch(/died while running this cell: the JavaScript heap ran out of memory \(limit 300 MB/);
      expect(r.reply.content.evalue).toMatch(/These variables are gone: before/);
      expect(k.stderr).toMatch(/heap out of memory/);
      expect(k.alive()).toBe(true);
      expect(await k.value("const after = 6; after * 7")).toBe("42");
    } finally {
      await k.close();
    }
  }, 150000);

  test("a process that aborts (as a native library may): the next kernel answers that cell naming the cause and the lost variables", async () => {
    const k = await KernelClient.start();
    try {
      expect(await k.value("const model = { name: 'gpt2' }; const text = 'hi'; model.name")).toBe("'gpt2'");
      const pid = k.proc.pid;
      const crashing = k.execute("console.log('about to abort');\nawait new Promise((r) => setTimeout(r, 300));\nprocess.abort();", { stop_on_error: false }, 60000);
      // A cell queued behind it (Run All) is answered "aborted", not left waiting.
      const queued = k.execute("1 + 1", {}, 60000);
      const r = await crashing;
      expect((await queued).reply.content.status).toBe("aborted");
      expect(r.reply.content).toMatchObject({ status: "error", ename: "KernelDied" });
      expect(r.reply.content.evalue).toMatch(/died while running this cell: it ended on SIGABRT/);
      expect(r.reply.content.evalue).toMatch(/These variables are gone: .*model.*text|These variables are gone: .*text.*model/);
      expect(r.iopub.find((m) => m.header.msg_type === "error")?.content.ename).toBe("KernelDied");
      expect(k.stream(r.iopub)).toContain("about to abort");
      // The process the client started is still the kernel; the session goes on, empty.
      expect(k.alive() && k.proc.pid === pid).toBe(true);
      expect(await k.value("typeof (globalThis as any).model")).toBe("'undefined'");
      expect(await k.value("const again = 2; again * 21")).toBe("42");
      expect(await k.heartbeat()).toBe(true);
      // The server kills the process it started (SIGKILL on a restart): the kernel child goes with it.
      const child = Number(await k.value("process.pid"));
      expect(child).not.toBe(pid);
      k.proc.kill("SIGKILL");
      const gone = async () => {
        for (let i = 0; i < 50; i++) {
          try {
            process.kill(child, 0);
          } catch {
            return true;
          }
          await sleep(100);
        }
        return false;
      };
      expect(await gone()).toBe(true);
    } finally {
      await k.close();
    }
  }, 120000);
});

describe("loading refuses a checkpoint that does not match its config", () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await KernelClient.start();
  }, 90000);
  afterAll(async () => {
    await k?.close();
  });

  test("weights of a layer past n_layer are an error naming them; non-finite weights warn; the session goes on", async () => {
    const dir = require("path").join(__dirname, "..", "fixtures", "models", "gpt2-tied");
    const setup = await k.execute(
      `import * as al from "attnlab";\nimport * as fs from "fs";\nconst cfg = JSON.parse(fs.readFileSync(${JSON.stringify(dir + "/config.json")}, "utf8"));\n` +
        `const ck = al.readSafetensors(${JSON.stringify(dir + "/model.safetensors")});\nconst layers: number = cfg.n_layer;\nawait al.ready();`,
    );
    expect(setup.reply.content.evalue ?? "ok").toBe("ok");
    const short = await k.execute("al.modelFromHF({ ...cfg, n_layer: layers - 1 }, ck.tensors as any)", { stop_on_error: false });
    expect(short.reply.content.status).toBe("error");
    expect(short.reply.content.evalue).toMatch(/weights for layers the config does not have/);
    expect(short.reply.content.evalue).toContain(`h.${Number(await k.value("layers")) - 1}.`);
    const nan = await k.execute('const key = [...ck.tensors.keys()].find((n) => n.endsWith("h.0.attn.c_attn.weight"))!;\n(ck.tensors as any).get(key).data[3] = NaN;\nconst m = al.modelFromHF(cfg, ck.tensors as any);\nm.config.nLayers', { stop_on_error: false });
    expect(nan.reply.content.evalue ?? "ok").toBe("ok");
    expect(k.stream(nan.iopub, "stderr")).toMatch(/non-finite weights .*h\.0\.attn\.c_attn\.weight \(1 of \d+ values\)/);
  });
});
