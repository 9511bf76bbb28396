// The themed container every view draws into (title, subtitle, controls, body, tooltip),
// its style sheet and the controls views add to it.
import { THEME } from "./theme";

const STYLE = `
.attnlab-view { font-family: ${THEME.font}; color: ${THEME.fg}; background: ${THEME.bg}; position: relative; padding: 4px; font-size: 13px; }
.attnlab-view.attnlab-presentation { font-size: 16px; }
.attnlab-view.attnlab-presentation .attnlab-title { font-size: 20px; }
.attnlab-view.attnlab-presentation .attnlab-subtitle, .attnlab-view.attnlab-presentation .attnlab-tooltip { font-size: 16px; }
.attnlab-view .attnlab-title { font-weight: 600; font-size: 16px; margin: 2px 0; }
.attnlab-view .attnlab-subtitle { color: ${THEME.fg2}; font-size: 13px; margin-bottom: 4px; }
.attnlab-view .attnlab-controls { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; margin: 4px 0; }
.attnlab-view .attnlab-controls select, .attnlab-view .attnlab-controls input { font: inherit; color: ${THEME.fg}; background: ${THEME.bg2}; border: 1px solid ${THEME.border}; }
.attnlab-view .attnlab-status { color: ${THEME.fg2}; font-style: italic; }
.attnlab-view .attnlab-tooltip { position: absolute; pointer-events: none; background: ${THEME.bg2}; color: ${THEME.fg}; border: 1px solid ${THEME.border}; padding: 3px 6px; white-space: pre; font-size: 13px; z-index: 10; }
.attnlab-view svg text { fill: ${THEME.fg}; font-family: ${THEME.font}; }
.attnlab-view .attnlab-body { position: relative; }
.attnlab-view .token-label { cursor: pointer; }
.attnlab-view .token-label.active { font-weight: 700; fill: ${THEME.accent}; }
.attnlab-view .attnlab-controls select, .attnlab-view .attnlab-controls input[type=text] { background: var(--jp-input-background, ${THEME.bg}); }
`;

export interface Frame {
  root: HTMLDivElement;
  controls: HTMLDivElement;
  status: HTMLSpanElement;
  body: HTMLDivElement;
  tip: Tooltip;
  dispose(): void;
}

/** The themed container every view draws into: title, subtitle, controls, body and tooltip. */
export function createFrame(el: HTMLElement, kind: string, title: string, subtitle?: string): Frame {
  const doc = el.ownerDocument;
  const root = doc.createElement("div");
  root.className = `attnlab-view attnlab-${kind}`;
  const style = doc.createElement("style");
  style.textContent = STYLE;
  root.appendChild(style);
  const h = doc.createElement("div");
  h.className = "attnlab-title";
  h.textContent = title;
  root.appendChild(h);
  if (subtitle) {
    const s = doc.createElement("div");
    s.className = "attnlab-subtitle";
    s.textContent = subtitle;
    root.appendChild(s);
  }
  const controls = doc.createElement("div");
  controls.className = "attnlab-controls";
  root.appendChild(controls);
  const status = doc.createElement("span");
  status.className = "attnlab-status";
  controls.appendChild(status);
  const body = doc.createElement("div");
  body.className = "attnlab-body";
  root.appendChild(body);
  const tip = new Tooltip(root);
  el.appendChild(root);
  return { root, controls, status, body, tip, dispose: () => root.remove() };
}

/** A text tooltip positioned inside the view's root; one line per entry. */
export class Tooltip {
  readonly node: HTMLDivElement;
  constructor(private root: HTMLDivElement) {
    this.node = root.ownerDocument.createElement("div");
    this.node.className = "attnlab-tooltip";
    this.node.style.display = "none";
    root.appendChild(this.node);
  }
  show(lines: string[], event: { clientX: number; clientY: number }): void {
    this.node.textContent = lines.join("\n");
    const r = this.root.getBoundingClientRect();
    this.node.style.left = `${Math.round(event.clientX - r.left + 12)}px`;
    this.node.style.top = `${Math.round(event.clientY - r.top + 12)}px`;
    this.node.style.display = "block";
  }
  hide(): void {
    this.node.style.display = "none";
  }
  get text(): string {
    return this.node.style.display === "none" ? "" : this.node.textContent ?? "";
  }
}

export function addSelect(
  parent: HTMLElement,
  label: string,
  options: { value: string; label: string }[],
  value: string,
  onChange: (v: string) => void,
): HTMLSelectElement {
  const doc = parent.ownerDocument;
  const wrap = doc.createElement("label");
  wrap.textContent = `${label} `;
  const sel = doc.createElement("select");
  sel.setAttribute("aria-label", label);
  for (const o of options) {
    const opt = doc.createElement("option");
    opt.value = o.value;
    opt.textContent = o.label;
    sel.appendChild(opt);
  }
  sel.value = value;
  sel.addEventListener("change", () => onChange(sel.value));
  wrap.appendChild(sel);
  parent.insertBefore(wrap, parent.lastChild);
  return sel;
}

export function addCheckbox(parent: HTMLElement, label: string, checked: boolean, onChange: (v: boolean) => void): HTMLInputElement {
  const doc = parent.ownerDocument;
  const wrap = doc.createElement("label");
  const box = doc.createElement("input");
  box.type = "checkbox";
  box.checked = checked;
  box.setAttribute("aria-label", label);
  box.addEventListener("change", () => onChange(box.checked));
  wrap.appendChild(box);
  wrap.appendChild(doc.createTextNode(` ${label}`));
  parent.insertBefore(wrap, parent.lastChild);
  return box;
}

/** A small button in the controls (before the status line). */
export function addButton(parent: HTMLElement, label: string, title: string, onClick: () => void, className = "attnlab-button"): HTMLButtonElement {
  const b = parent.ownerDocument.createElement("button");
  b.type = "button";
  b.className = className;
  b.textContent = label;
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  parent.insertBefore(b, parent.lastChild);
  return b;
}
