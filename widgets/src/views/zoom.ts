// Zoom and pan of a matrix plot over a window of its cells (the heatmap's long contexts, so
// every token label can be read): "+", "−" and "whole" buttons, the wheel zooming at the
// pointer, drag to pan. The window never gets smaller than cells of `maxCell` px, and a line
// in the controls says which rows and columns are shown.
import * as d3 from "d3";
import { addButton } from "./frame";
import type { Window } from "../tiles";

export interface WindowZoom {
  /** The smallest window: cells of maxCell px. */
  readonly minR: number;
  readonly minC: number;
  /** Whether there is anything to zoom (more cells than the smallest window). */
  readonly zoomable: boolean;
  /** Moves the window (clamped to the matrix and the smallest window) and reports the change. */
  set(nr: number, nc: number, r0: number, c0: number): void;
  /** Zooms by k (> 1: in) keeping the cell at (fy, fx), fractions of the plot, in place. */
  zoomBy(k: number, fy?: number, fx?: number): void;
  /** A mousemove while the button is held moves the window: true when it was one (the view then ignores it). */
  move(event: MouseEvent): boolean;
  /** A click that ended a drag is not a click: true when it should be ignored. */
  swallowClick(): boolean;
  leave(): void;
  /** Rewrites the line that says what is shown. */
  info(): void;
}

/** The smallest window of a rows × cols matrix drawn pw × ph px: cells of maxCell px. */
export function smallestWindow(rows: number, cols: number, pw: number, ph: number, maxCell = 32): { minR: number; minC: number } {
  return { minR: Math.min(rows, Math.max(1, Math.ceil(ph / maxCell))), minC: Math.min(cols, Math.max(1, Math.ceil(pw / maxCell))) };
}

/**
 * Zoom over `win` (changed in place) of a rows × cols matrix drawn pw × ph px. With
 * `controls`, adds the buttons and the info line there and listens to `hit` for wheel and
 * drag; `onChange` redraws.
 */
export function windowZoom(o: {
  rows: number;
  cols: number;
  pw: number;
  ph: number;
  win: Window;
  maxCell?: number;
  enabled: boolean;
  controls: HTMLElement;
  hit: d3.Selection<SVGRectElement, unknown, null, undefined>;
  onChange: () => void;
}): WindowZoom {
  const { rows, cols, pw, ph, win } = o;
  const maxCell = o.maxCell ?? 32;
  const { minR, minC } = smallestWindow(rows, cols, pw, ph, maxCell);
  const zoomable = o.enabled && (minR < rows || minC < cols);
  const node = o.hit.node() as SVGRectElement;
  let drag: { x: number; y: number; r0: number; c0: number; moved: boolean } | null = null;
  let infoLine: HTMLSpanElement | null = null;

  const z: WindowZoom = {
    minR,
    minC,
    zoomable,
    set(nr, nc, r0, c0) {
      win.nr = Math.max(minR, Math.min(rows, Math.round(nr)));
      win.nc = Math.max(minC, Math.min(cols, Math.round(nc)));
      win.r0 = Math.max(0, Math.min(rows - win.nr, Math.round(r0)));
      win.c0 = Math.max(0, Math.min(cols - win.nc, Math.round(c0)));
      o.onChange();
    },
    zoomBy(k, fy = 0.5, fx = 0.5) {
      const fi = win.r0 + fy * win.nr;
      const fj = win.c0 + fx * win.nc;
      const nr = win.nr / k;
      const nc = win.nc / k;
      z.set(nr, nc, fi - fy * Math.max(minR, Math.min(rows, nr)), fj - fx * Math.max(minC, Math.min(cols, nc)));
    },
    move(event) {
      if (!drag) return false;
      if (!(event.buttons & 1)) {
        drag = null;
        return false;
      }
      pan(event);
      return true;
    },
    swallowClick() {
      const moved = drag?.moved === true;
      drag = null;
      return moved;
    },
    leave() {
      drag = null;
    },
    info() {
      if (!infoLine) return;
      const per = Math.max(win.nr / ph, win.nc / pw);
      infoLine.textContent =
        `queries ${win.r0}–${win.r0 + win.nr - 1}, keys ${win.c0}–${win.c0 + win.nc - 1} of ${rows}` +
        (per > 1 ? ` (a pixel shows the largest of ${Math.ceil(per)} × ${Math.ceil(per)} weights: zoom in, or drag to pan)` : " (drag to pan)");
    },
  };

  function pan(event: MouseEvent): void {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    const box = node.getBoundingClientRect();
    const kx = box.width > 0 ? pw / box.width : 1;
    const ky = box.height > 0 ? ph / box.height : 1;
    z.set(win.nr, win.nc, drag.r0 - (dy * ky) / (ph / win.nr), drag.c0 - (dx * kx) / (pw / win.nc));
  }

  if (zoomable) {
    addButton(o.controls, "+", "zoom in", () => z.zoomBy(2), "attnlab-zoom");
    addButton(o.controls, "−", "zoom out", () => z.zoomBy(0.5), "attnlab-zoom");
    addButton(o.controls, "whole", "show every token (reset zoom)", () => z.set(rows, cols, 0, 0), "attnlab-zoom");
    infoLine = o.controls.ownerDocument.createElement("span");
    infoLine.className = "attnlab-zoom-info";
    o.controls.insertBefore(infoLine, o.controls.lastChild);
    z.info();
    o.hit.on("wheel", (event: WheelEvent) => {
      event.preventDefault();
      const [x, y] = d3.pointer(event, node);
      z.zoomBy(event.deltaY < 0 ? 1.25 : 0.8, Math.max(0, Math.min(1, y / ph)), Math.max(0, Math.min(1, x / pw)));
    });
    o.hit.on("mousedown", (event: MouseEvent) => {
      if (event.button === 0) drag = { x: event.clientX, y: event.clientY, r0: win.r0, c0: win.c0, moved: false };
    });
    o.hit.on("mouseup", (event: MouseEvent) => {
      if (drag?.moved) pan(event);
      if (drag && !drag.moved) drag = null;
    });
  }
  return z;
}
