/**
 * The quiz inside the real attnlab kernel over zmq: the front end's answer arrives as a
 * custom comm message, the kernel checks it and the feedback comes back as a state update.
 */
import { KernelClient, type Msg } from "../../kernel/harness";

let k: KernelClient;
beforeAll(async () => {
  k = await KernelClient.start();
}, 90000);
afterAll(async () => {
  await k?.close();
});

const updatesOf = (id: string) => k.iopubLog.filter((m: Msg) => m.header.msg_type === "comm_msg" && m.content.comm_id === id && m.content.data.method === "update");

test("an answer sent by the view is checked in the kernel and the feedback is synced back", async () => {
  const r = await k.execute(`
import { quiz, checklistQuestion } from "attnlab";
const q = quiz({ title: "T", questions: [
  checklistQuestion("sink"),
  { kind: "showme", id: "slow", prompt: "Name an even number", explanation: "Parity.",
    check: async (a: string) => { await new Promise((r) => setTimeout(r, 50)); return { correct: Number(a) % 2 === 0, message: "checked " + a }; } },
] });
q`);
  expect(r.reply.content.status).toBe("ok");
  const open = r.iopub.find((m) => m.header.msg_type === "comm_open")!;
  const id = open.content.comm_id;
  expect(open.content.data.state._model_name).toBe("QuizModel");
  expect(open.content.data.state.data.questions[0].choices.length).toBe(4);
  expect(JSON.stringify(open.content.data.state)).not.toContain("Xiao"); // no explanation before an answer
  const result = r.iopub.find((m) => m.header.msg_type === "execute_result")!;
  const view = result.content.data["application/vnd.attnlab.widget-view+json"];
  expect(view.model_id).toBe(id);
  expect(view.data.questions[0].prompt).toMatch(/first token/);
  // The static HTML (nbconvert, GitHub) carries the questions, never the answer key.
  expect(result.content.data["text/html"]).toContain("Why?");
  expect(result.content.data["text/html"]).not.toContain("Xiao");

  k.send("shell", "comm_msg", { comm_id: id, data: { method: "custom", content: { event: "answer", id: "sink", value: 0 } } });
  const wrong = await k.waitFor(() => updatesOf(id).map((m) => m.content.data.state.data).find((d) => d.feedback.sink && d.pending.length === 0));
  expect(wrong.feedback.sink).toMatchObject({ correct: false, attempts: 1, answer: 0 });
  expect(wrong.feedback.sink.message).toMatch(/^Not quite: the sink appears even when/);
  // A wrong answer gets the hint, not the solution; the view's "Reveal" asks for it.
  expect(wrong.feedback.sink.explanation).toBe("");
  k.send("shell", "comm_msg", { comm_id: id, data: { method: "custom", content: { event: "reveal", id: "sink" } } });
  const shown = await k.waitFor(() => updatesOf(id).map((m) => m.content.data.state.data).find((d) => d.feedback.sink?.revealed));
  expect(shown.feedback.sink.explanation).toContain("Xiao");
  expect(wrong.progress).toEqual({ answered: 1, correct: 0, total: 2 });

  k.send("shell", "comm_msg", { comm_id: id, data: { method: "custom", content: { event: "answer", id: "slow", value: "4" } } });
  const slow = await k.waitFor(() => updatesOf(id).map((m) => m.content.data.state.data).find((d) => d.feedback.slow && d.pending.length === 0));
  expect(slow.feedback.slow).toMatchObject({ correct: true, message: "checked 4" });
  // The pending state was shown while the async check ran.
  expect(updatesOf(id).some((m) => m.content.data.state.data.pending.includes("slow"))).toBe(true);
  // The kernel-side object saw the same answers.
  expect(await k.value("JSON.stringify(q.progress)")).toBe(`'{"answered":2,"correct":1,"total":2}'`);
}, 60000);
