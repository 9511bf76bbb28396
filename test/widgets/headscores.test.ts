/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/headscores";
import { change, mouse, randomMatrix, svgOf } from "./fixtures";

describe("head-score grid", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());
  const scores = () => ({
    "previous-token": randomMatrix(3, 4, 11),
    induction: randomMatrix(3, 4, 12),
    sink: randomMatrix(3, 4, 13),
  });

  it("draws layers × heads cells, axes and legend (snapshot)", () => {
    render(el, { scores: scores() });
    expect(el.querySelectorAll("rect.cell").length).toBe(12);
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Head scores: previous-token");
    expect(Array.from(el.querySelectorAll(".axis-label")).map((t) => t.textContent)).toEqual(["Head", "Layer"]);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("menu switches the pattern type; hover shows the score; click emits the head", () => {
    const s = scores();
    const picked: string[] = [];
    render(el, { scores: s }, { onSelect: (l, h, k) => picked.push(`${k}:${l}.${h}`) });
    const fills = () => Array.from(el.querySelectorAll("rect.cell")).map((r) => r.getAttribute("fill"));
    const before = fills();
    change(el.querySelector('select[aria-label="Pattern"]') as HTMLSelectElement, "induction");
    expect(fills()).not.toEqual(before);
    expect(el.querySelector(".attnlab-subtitle")!.textContent).toMatch(/repeated token/);
    const cell = Number(el.querySelector("rect.cell")!.getAttribute("width"));
    mouse(el.querySelector("rect.hit")!, "mousemove", 3.5 * cell, 2.5 * cell);
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`induction score ${s.induction.data[2 * 4 + 3].toFixed(3)}`);
    mouse(el.querySelector("rect.hit")!, "click", 3.5 * cell, 2.5 * cell);
    expect(picked).toEqual(["induction:2.3"]);
    expect(el.querySelector("rect.selected-head")!.getAttribute("display")).toBeNull();
  });

  it("rejects mismatched shapes", () => {
    expect(() => render(el, { scores: { a: randomMatrix(2, 2), b: randomMatrix(3, 2) } })).toThrow(/scores\["b"\]: expected shape \[2, 2\]/);
  });
});
