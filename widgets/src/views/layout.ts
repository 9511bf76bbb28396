// Passes over a finished drawing: grow SVGs to hold all their text (where the browser
// measures), and the presentation size (every drawing scaled, text and cells together).

/**
 * The presentation-size pass: scales every top-level SVG of `root` by `k` (width/height,
 * with a viewBox keeping the drawing's coordinates), so text and cells grow together.
 */
export function scaleDrawings(root: Element, k: number): void {
  if (k === 1) return;
  for (const s of Array.from(root.querySelectorAll("svg"))) {
    if (s.parentElement?.closest("svg")) continue;
    const w = Number(s.getAttribute("width"));
    const h = Number(s.getAttribute("height"));
    if (!(w > 0 && h > 0)) continue;
    if (!s.getAttribute("viewBox")) s.setAttribute("viewBox", `0 0 ${w} ${h}`);
    s.setAttribute("width", String(Math.round(w * k)));
    s.setAttribute("height", String(Math.round(h * k)));
  }
  for (const c of Array.from(root.querySelectorAll("canvas.cells-canvas")) as HTMLElement[]) {
    for (const prop of ["left", "top", "width", "height"] as const) {
      const v = parseFloat(c.style[prop]);
      if (Number.isFinite(v)) c.style[prop] = `${v * k}px`;
    }
  }
}

/**
 * Grows each top-level SVG of `root` to hold everything drawn in it (axis titles, rotated
 * labels, legend text), in a browser where getBBox measures: nothing is cut at its edges.
 */
export function fitDrawings(root: Element): void {
  for (const s of Array.from(root.querySelectorAll("svg")) as SVGSVGElement[]) {
    if (s.parentElement?.closest("svg") || typeof s.getBBox !== "function") continue;
    let b: DOMRect;
    try {
      b = s.getBBox();
    } catch {
      continue;
    }
    if (!(b.width > 0)) continue;
    const vb = s.getAttribute("viewBox")?.split(/\s+/).map(Number);
    const w0 = vb ? vb[2] : Number(s.getAttribute("width"));
    const h0 = vb ? vb[3] : Number(s.getAttribute("height"));
    // A few px of slack: glyphs (and rotated text) reach past their geometric box.
    const vx = vb ? vb[0] : 0;
    const vy = vb ? vb[1] : 0;
    const x0 = Math.min(vx, Math.floor(b.x) - 6);
    const y0 = Math.min(vy, Math.floor(b.y) - 6);
    const x1 = Math.max(vx + w0, Math.ceil(b.x + b.width) + 6);
    const y1 = Math.max(vy + h0, Math.ceil(b.y + b.height) + 6);
    if (x0 === vx && y0 === vy && x1 === vx + w0 && y1 === vy + h0) continue;
    const k = Number(s.getAttribute("width")) / w0 || 1;
    s.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
    s.setAttribute("width", String(Math.round((x1 - x0) * k)));
    s.setAttribute("height", String(Math.round((y1 - y0) * k)));
    // A canvas of cells laid under this SVG moves with the drawing's new origin.
    for (const c of Array.from(s.parentElement?.querySelectorAll(":scope > canvas.cells-canvas") ?? []) as HTMLElement[]) {
      c.style.left = `${parseFloat(c.style.left) - (x0 - vx) * k}px`;
      c.style.top = `${parseFloat(c.style.top) - (y0 - vy) * k}px`;
    }
  }
}
