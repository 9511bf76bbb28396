/** @jest-environment jsdom */
/// <reference lib="dom" />
import { render } from "../../widgets/src/views/lines";
import { TOKENS, causalPatterns, change, mouse, svgOf } from "./fixtures";

describe("attention lines (BertViz style)", () => {
  let el: HTMLDivElement;
  beforeEach(() => {
    el = document.createElement("div");
    document.body.appendChild(el);
  });
  afterEach(() => el.remove());

  it("draws both token columns and a line per visible weight (snapshot)", () => {
    const pattern = causalPatterns(1, 1, 6, 5);
    render(el, { pattern, tokens: TOKENS.slice(0, 6) });
    expect(el.querySelectorAll("text.left").length).toBe(6);
    expect(el.querySelectorAll("text.right").length).toBe(6);
    const expected = Array.from(pattern.data).filter((w) => w >= 0.01).length;
    expect(el.querySelectorAll("line.link").length).toBe(expected);
    expect(svgOf(el)).toMatchSnapshot();
  });

  it("hovering a query token keeps only its lines and lists its top keys", () => {
    const pattern = causalPatterns(1, 1, 6, 5);
    render(el, { pattern, tokens: TOKENS.slice(0, 6) });
    mouse(el.querySelector('text.left[data-index="3"]')!, "mouseenter");
    const shown = Array.from(el.querySelectorAll("line.link")).filter((l) => l.getAttribute("display") !== "none");
    expect(shown.length).toBe(4); // query 3 sees keys 0..3
    expect(shown.every((l) => l.getAttribute("y1") === String(3 * 18 + 9))).toBe(true);
    const row = Array.from(pattern.data.subarray(18, 24));
    const top = row.indexOf(Math.max(...row));
    expect(el.querySelector(".attnlab-tooltip")!.textContent).toContain(`(${top}) ${row[top].toFixed(3)}`);
    mouse(el.querySelector('text.left[data-index="3"]')!, "mouseleave");
    expect(Array.from(el.querySelectorAll("line.link")).every((l) => l.getAttribute("display") === null)).toBe(true);
  });

  it("layer/head selectors redraw the lines", () => {
    render(el, { pattern: causalPatterns(2, 2, 6, 8), tokens: TOKENS.slice(0, 6) });
    const op = () => Array.from(el.querySelectorAll("line.link")).map((l) => l.getAttribute("stroke-opacity"));
    const before = op();
    change(el.querySelector('select[aria-label="Head"]') as HTMLSelectElement, "1");
    expect(op()).not.toEqual(before);
    expect(el.querySelector(".attnlab-title")!.textContent).toBe("Attention lines: layer 0, head 1");
  });
});
