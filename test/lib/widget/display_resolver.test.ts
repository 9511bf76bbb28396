/** The display resolver registry and the text summary of results (lib/widget/display.ts). */
import { registerDisplayResolver, toMimeBundle, textSummary, DISPLAY, type Displayable } from "../../../lib/widget/display";

const shown = (text: string): Displayable => ({ [DISPLAY]: () => ({ "text/plain": text }) });

test("a registered resolver shows plain objects; unregistering stops it; class instances are not asked", () => {
  const asked: unknown[] = [];
  const off = registerDisplayResolver((v) => {
    asked.push(v);
    return (v as { kind?: string }).kind === "mine" ? shown("my figure") : undefined;
  });
  try {
    expect(toMimeBundle({ kind: "mine" })).toEqual({ "text/plain": "my figure" });
    expect(toMimeBundle({ kind: "other" })!["text/plain"]).toContain("'other'");
    class Thing {
      kind = "mine";
    }
    expect(toMimeBundle(new Thing())!["text/plain"]).toContain("Thing");
    expect(asked).toHaveLength(2);
  } finally {
    off();
  }
  expect(toMimeBundle({ kind: "mine" })!["text/plain"]).toContain("'mine'");
});

test("a throwing resolver is skipped and the next one answers", () => {
  const a = registerDisplayResolver(() => shown("second"));
  const b = registerDisplayResolver(() => {
    throw new Error("boom");
  });
  try {
    expect(toMimeBundle({ x: 1 })).toEqual({ "text/plain": "second" });
  } finally {
    a();
    b();
  }
  expect(() => registerDisplayResolver(3 as never)).toThrow(/registerDisplayResolver: fn must be a function/);
});

test("results summarise typed arrays by shape (their own, the result's, or their length)", () => {
  const r = {
    kind: "causal-trace",
    shape: [5, 3],
    grids: { hidden: { scores: new Float32Array(15) } },
    tokens: ["a", "b"],
    other: { data: new Int32Array(6), shape: [2, 3] },
    odd: new Uint8Array(4),
  };
  const t = textSummary(r);
  expect(t).toContain("scores: Float32Array[5, 3]");
  expect(t).toContain("data: Int32Array[2, 3]");
  expect(t).toContain("odd: Uint8Array[4]");
  expect(t).toContain("tokens: [ 'a', 'b' ]");
  // Objects that are not results print their values as before.
  expect(textSummary({ v: new Float32Array([1, 2]) })).toContain("Float32Array(2) [ 1, 2 ]");
});
