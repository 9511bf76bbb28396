/**
 * progressBar outside a kernel (the in-kernel bar is tested over zmq in
 * test/kernel/results_display.test.ts): quiet for short runs, sparse stderr lines for long
 * ones, the plan in the label, and no default bar from WorkProgress without a kernel.
 */
import { progressBar } from "../../../lib/widget/progress";
import { isKernelAttached } from "../../../lib/widget/transport";
import { WorkProgress } from "../../../lib/methods/progress";

let lines: string[];
let spy: jest.SpyInstance;
beforeEach(() => {
  lines = [];
  spy = jest.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
});
afterEach(() => spy.mockRestore());

test("detached and short: no output, no display id, no error", () => {
  expect(isKernelAttached()).toBe(false);
  const bar = progressBar("quick");
  for (let i = 1; i <= 100; i++) bar({ done: i, total: 100, etaSeconds: 0 });
  expect(bar.displayId).toBeUndefined();
  expect(lines).toEqual([]);
});

test("detached and long: a line per logIntervalMs at most, and a last one", () => {
  const bar = progressBar("long", { logIntervalMs: 50 });
  const t0 = Date.now();
  for (let i = 1; i <= 40; i++) {
    const until = Date.now() + 5;
    while (Date.now() < until);
    bar({ done: i, total: 40, etaSeconds: (40 - i) * 0.005 });
  }
  const ms = Date.now() - t0;
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines.length).toBeLessThanOrEqual(Math.floor(ms / 50) + 1);
  // The elapsed seconds depend on the machine's load (about 0.2 s unloaded): only the form is fixed.
  expect(lines[lines.length - 1]).toMatch(/^long: done 40\/40 \(100%\) in \d+ s\n$/);
  expect(lines[0]).toMatch(/^long: \d+\/40 \(\d+%\), ETA \d+ s\n$/);
});

test("WorkProgress passes its plan to a progressBar given as onProgress; the label shows the forward passes", () => {
  const bar = progressBar("sweep", { logIntervalMs: 0 });
  const p = new WorkProgress(4, { onProgress: bar });
  p.plan(7, "4 cells in 7 passes");
  for (let i = 0; i < 4; i++) p.tick();
  expect(lines[lines.length - 1]).toMatch(/^sweep: 7 forward passes \(4 cells in 7 passes\): done 4\/4 \(100%\)/);
});

test("an abort makes the bar read partial; an abort after the end does not", () => {
  const ac = new AbortController();
  const bar = progressBar("cut", { logIntervalMs: 0, signal: ac.signal });
  bar({ done: 3, total: 10, etaSeconds: 1 });
  ac.abort();
  expect(lines[lines.length - 1]).toBe("cut: partial: cancelled at 3/10 (30%)\n");
  const ac2 = new AbortController();
  const done = progressBar("whole", { logIntervalMs: 0, signal: ac2.signal });
  done({ done: 2, total: 2, etaSeconds: 0 });
  const n = lines.length;
  ac2.abort();
  expect(lines.length).toBe(n);
});

test("without a kernel, WorkProgress adds no bar", () => {
  const p = new WorkProgress(3, {});
  p.plan(3, "x");
  p.tick(3);
  expect(lines).toEqual([]);
});

test("bad arguments are named", () => {
  expect(() => progressBar(3 as never)).toThrow(/progressBar: label must be a string/);
  expect(() => progressBar("x", { minIntervalMs: -1 })).toThrow(/opts.minIntervalMs/);
  expect(() => progressBar("x")({ done: "a" } as never)).toThrow(/expected a progress event/);
});
