/**
 * Static figures: runs the same d3 renderers the browser runs, in a jsdom document inside
 * the kernel, and assembles their SVG(s) with the title and notes into one standalone SVG
 * (long matrices as an embedded PNG). This is what nbconvert HTML and pages without the
 * extension show.
 */
import * as path from "path";
import { JSDOM } from "jsdom";
import { pngDataURL } from "./png";

type Render = (el: HTMLElement, data: unknown, options: unknown) => () => void;
// The renderers by view, one per entry of the table of views (widgets/src/contract VIEWS).
type Views = { RENDERERS: Record<string, Render | undefined> };

let views: Views | null = null;
let dom: JSDOM | null = null;

/** The renderers: TypeScript sources under ts-jest, the tsc build (widgets/lib) otherwise. */
function loadViews(): Views {
  if (views) return views;
  const fromSource = __filename.endsWith(".ts");
  const dir = fromSource ? path.join(__dirname, "..", "..", "widgets", "src", "views") : path.join(__dirname, "..", "..", "..", "widgets", "lib", "views");
  try {
    views = require(dir) as Views;
    if (!views.RENDERERS) throw new Error("no RENDERERS table (an old build)");
  } catch (e) {
    views = null;
    throw new Error(`static render: cannot load the widget renderers from ${dir} (run scripts/setup.sh to build widgets/lib): ${(e as Error).message}`);
  }
  return views;
}

const STATIC_THRESHOLD = 32;

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const STYLE =
  "text{fill:#1f1f1f;font-family:system-ui,-apple-system,'Segoe UI',sans-serif}" +
  ".token-label.active{font-weight:700;fill:#1976d2}";

/** Renders `view` with `data` to one standalone SVG document string. */
export function renderSVG(view: string, data: unknown, options: unknown = {}): string {
  const renderers = loadViews().RENDERERS;
  const render = Object.prototype.hasOwnProperty.call(renderers, view) ? renderers[view] : undefined;
  if (!render) throw new Error(`static render: unknown view ${JSON.stringify(view)}`);
  dom ??= new JSDOM("<!doctype html><html><body></body></html>");
  const doc = dom.window.document;
  const host = doc.createElement("div");
  doc.body.appendChild(host);
  // Past 32 tokens the cells go in one PNG: jsdom builds SVG rects at ~0.25 ms each, and a
  // PNG is also far smaller in the notebook file than thousands of rects.
  const opts = options as { canvasThreshold?: number };
  const threshold = Math.min(opts.canvasThreshold ?? STATIC_THRESHOLD, STATIC_THRESHOLD);
  // preview: 0 drops the thumbnails' hover preview, which has nothing to show on paper.
  const cleanup = render(host as unknown as HTMLElement, data, { ...opts, canvasThreshold: threshold, raster: pngDataURL, preview: 0 });
  // Presentation size: the drawings scaled as in the live view (views/host.ts), titles larger.
  const big = (options as { presentation?: boolean })?.presentation === true;
  const k = big ? 16 / 13 : 1;
  try {
    const title = host.querySelector(".attnlab-title")?.textContent ?? "";
    const subtitle = host.querySelector(".attnlab-subtitle")?.textContent ?? "";
    const svgs = Array.from(host.querySelectorAll("svg")).filter((s) => !s.parentElement?.closest("svg"));
    const top = Math.round((subtitle ? 46 : 30) * k);
    let x = 0;
    let height = 0;
    const parts: string[] = [];
    for (const s of svgs) {
      const w0 = Number(s.getAttribute("width")) || 0;
      const h0 = Number(s.getAttribute("height")) || 0;
      if (big && w0 > 0 && h0 > 0) {
        if (!s.getAttribute("viewBox")) s.setAttribute("viewBox", `0 0 ${w0} ${h0}`);
        s.setAttribute("width", String(Math.round(w0 * k)));
        s.setAttribute("height", String(Math.round(h0 * k)));
      }
      const w = Math.round(w0 * k);
      const h = Math.round(h0 * k);
      s.setAttribute("x", String(x));
      s.setAttribute("y", String(top));
      s.removeAttribute("style");
      parts.push(s.outerHTML);
      x += w + 8;
      height = Math.max(height, h);
    }
    // Rough text widths (16 px bold title, 13 px subtitle, × k at presentation size), erring wide so neither is clipped.
    const width = Math.max(x, 8 + 9.8 * k * title.length, 8 + 7.4 * k * subtitle.length);
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${Math.ceil(width)}" height="${Math.ceil(top + height)}" ` +
      `viewBox="0 0 ${Math.ceil(width)} ${Math.ceil(top + height)}" role="img" aria-label="${esc(title)}">` +
      `<style>${STYLE}</style><rect width="100%" height="100%" fill="#fff"/>` +
      `<text x="4" y="${Math.round(19 * k)}" font-size="${Math.round(16 * k)}" font-weight="600">${esc(title)}</text>` +
      (subtitle ? `<text x="4" y="${Math.round(38 * k)}" font-size="${Math.round(13 * k)}" style="fill:#555">${esc(subtitle)}</text>` : "") +
      parts.join("") +
      `</svg>`
    );
  } finally {
    cleanup();
    host.remove();
  }
}
