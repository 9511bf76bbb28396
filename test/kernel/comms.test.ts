/** Comms and ipywidgets 2.1 over real zmq sockets: widgets opened from cells, synced both ways. */
import { KernelClient, type Msg } from "./harness";

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
  const r = await k.execute(`
import { Widget } from "attnlab";
const spec = { modelName: "TestModel", modelModule: "attnlab-test", modelModuleVersion: "0.1.0",
               viewName: "TestView", viewModule: "attnlab-test", viewModuleVersion: "0.1.0" };
const seen: number[] = [];
const got: any[] = [];`);
  expect(r.reply.content.status).toBe("ok");
}, 90000);
afterAll(async () => {
  await k?.close();
});

const f32 = (b: Buffer) => Array.from(new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
const of = (ms: Msg[], t: string) => ms.filter((m) => m.header.msg_type === t);

async function openWidget(): Promise<{ id: string; open: Msg; cell: Msg[] }> {
  const r = await k.execute(`
const w = new Widget(spec, { value: 1, pattern: { data: new Float32Array([0.5, 1.5, 2.5, 3.5]), shape: [2, 2] } });
w.on("change:value", (v) => seen.push(v));
w.onMsg((content, buffers) => { got.push(content); w.send({ echo: content }, [new Float32Array(buffers[0].buffer, buffers[0].byteOffset, buffers[0].byteLength / 4).map((x) => x * 2)]); });
w`);
  expect(r.reply.content.status).toBe("ok");
  const open = of(r.iopub, "comm_open")[0];
  return { id: open.content.comm_id, open, cell: r.iopub };
}

test("a widget opened from a cell: comm_open with state, buffer_paths and buffers, parented to the cell", async () => {
  const { id, open, cell } = await openWidget();
  expect(open.content.target_name).toBe("jupyter.widget");
  expect(open.metadata.version).toBe("2.1.0");
  expect(open.parent_header.msg_type).toBe("execute_request");
  const { state, buffer_paths } = open.content.data;
  expect(state).toMatchObject({ _model_name: "TestModel", _view_name: "TestView", _model_module: "attnlab-test", value: 1, pattern: { shape: [2, 2] } });
  expect(state.pattern.data).toBeUndefined();
  expect(buffer_paths).toEqual([["pattern", "data"]]);
  expect(f32(open.buffers[0])).toEqual([0.5, 1.5, 2.5, 3.5]);
  const result = of(cell, "execute_result")[0];
  expect(result.content.data["application/vnd.jupyter.widget-view+json"]).toEqual({ model_id: id, version_major: 2, version_minor: 0 });
  const info = (await k.request("shell", "comm_info_request", { target_name: "jupyter.widget" })).reply.content;
  expect(info.comms[id]).toEqual({ target_name: "jupyter.widget" });
});

test("an update from the front end is applied, echoed and fires change callbacks", async () => {
  const { id } = await openWidget();
  const buf = Buffer.from(new Float32Array([9, 8, 7, 6]).buffer);
  const iopub = await k.post("comm_msg", { comm_id: id, data: { method: "update", state: { value: 5, pattern: { shape: [2, 2] } }, buffer_paths: [["pattern", "data"]] } }, { buffers: [buf] });
  const echo = of(iopub, "comm_msg")[0];
  expect(echo.content.comm_id).toBe(id);
  expect(echo.content.data.method).toBe("echo_update");
  expect(echo.content.data.state.value).toBe(5);
  expect(echo.content.data.buffer_paths).toEqual([["pattern", "data"]]);
  expect(f32(echo.buffers[0])).toEqual([9, 8, 7, 6]);
  expect(await k.value("JSON.stringify([w.get('value'), seen, w.get('pattern').data instanceof Float32Array, Array.from(w.get('pattern').data)])")).toBe(
    "'[5,[5],true,[9,8,7,6]]'",
  );
});

test("kernel-side set sends an update with only the changed trait", async () => {
  const { id } = await openWidget();
  const r = await k.execute("w.set('value', 42)");
  const upd = of(r.iopub, "comm_msg").find((m) => m.content.comm_id === id)!;
  expect(upd.content.data).toEqual({ method: "update", state: { value: 42 }, buffer_paths: [] });
  expect(upd.parent_header.msg_id).toBe(r.id);
});

test("request_state answers with the full state, parented to the request", async () => {
  const { id } = await openWidget();
  const req = k.send("shell", "comm_msg", { comm_id: id, data: { method: "request_state" } });
  const iopub = await k.outputs(req);
  const upd = of(iopub, "comm_msg")[0];
  expect(upd.parent_header.msg_id).toBe(req);
  expect(upd.content.data.method).toBe("update");
  expect(upd.content.data.state).toMatchObject({ value: 1, _model_name: "TestModel" });
  expect(f32(upd.buffers[0])).toEqual([0.5, 1.5, 2.5, 3.5]);
});

test("custom messages with binary buffers both ways", async () => {
  const { id } = await openWidget();
  const buf = Buffer.from(new Float32Array([1, 2, 3]).buffer);
  const iopub = await k.post("comm_msg", { comm_id: id, data: { method: "custom", content: { kind: "ping" } } }, { buffers: [buf] });
  const back = of(iopub, "comm_msg")[0];
  expect(back.content.data).toEqual({ method: "custom", content: { echo: { kind: "ping" } } });
  expect(f32(back.buffers[0])).toEqual([2, 4, 6]);
});

test("jupyter.widget.control request_states answers update_states with every live widget", async () => {
  const { id } = await openWidget();
  const ctrl = "control-" + Date.now();
  await k.post("comm_open", { comm_id: ctrl, target_name: "jupyter.widget.control", data: {} });
  const iopub = await k.post("comm_msg", { comm_id: ctrl, data: { method: "request_states" } });
  const msg = of(iopub, "comm_msg")[0];
  expect(msg.content.comm_id).toBe(ctrl);
  expect(msg.content.data.method).toBe("update_states");
  const states = msg.content.data.states;
  expect(states[id]).toMatchObject({ model_name: "TestModel", model_module: "attnlab-test", state: { value: 1 } });
  const paths: (string | number)[][] = msg.content.data.buffer_paths;
  const i = paths.findIndex((p) => p[0] === id);
  expect(paths[i]).toEqual([id, "state", "pattern", "data"]);
  expect(f32(msg.buffers[i])).toEqual([0.5, 1.5, 2.5, 3.5]);
});

test("close from the kernel sends comm_close; a comm to an unknown target is closed", async () => {
  const { id } = await openWidget();
  const r = await k.execute("w.close()");
  expect(of(r.iopub, "comm_close").map((m) => m.content.comm_id)).toContain(id);
  const info = (await k.request("shell", "comm_info_request", {})).reply.content;
  expect(info.comms[id]).toBeUndefined();
  const iopub = await k.post("comm_open", { comm_id: "nobody-home", target_name: "no.such.target", data: {} });
  expect(of(iopub, "comm_close").map((m) => m.content.comm_id)).toEqual(["nobody-home"]);
});

test("a comm closed by the front end stops the widget", async () => {
  const { id } = await openWidget();
  await k.post("comm_close", { comm_id: id, data: {} });
  const r = await k.execute("w.set('value', 3)");
  expect(r.reply.content.status).toBe("ok");
  expect(of(r.iopub, "comm_msg")).toEqual([]);
  expect(await k.value("w.attached")).toBe("false");
});
