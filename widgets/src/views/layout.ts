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
    const x0 = Math.min(0, Math.floor(b.x) - 2);
    const y0 = Math.min(0, Math.floor(b.y) - 2);
    const x1 = Math.max(w0, Math.ceil(b.x + b.width) + 2);
    const y1 = Math.max(h0, Math.ceil(b.y + b.height) + 2);
    if (x0 === 0 && y0 === 0 && x1 === w0 && y1 === h0) continue;
    const k = Number(s.getAttribute("width")) / w0 || 1;
    s.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
    s.setAttribute("width", String(Math.round((x1 - x0) * k)));
    s.setAttribute("height", String(Math.round((y1 - y0) * k)));
    // A canvas of cells laid under this SVG moves with the drawing's new origin.
    for (const c of Array.from(s.parentElement?.querySelectorAll(":scope > canvas.cells-canvas") ?? []) as HTMLElement[]) {
      c.style.left = `${parseFloat(c.style.left) - x0 * k}px`;
      c.style.top = `${parseFloat(c.style.top) - y0 * k}px`;
    }
  }
}
