/**
 * progressBar(label): an onProgress callback for the long methods. Inside the kernel it
 * shows a small HTML bar (done/total, percent, ETA) under a display_id and replaces it in
 * place with update_display_data, at most every `minIntervalMs` plus the final state.
 * Outside a kernel it stays quiet, except for runs longer than `logIntervalMs`, which get
 * a line on stderr that often (and a last one).
 *
 *   const r = await causalTrace(model, prompt, { subject: "Paris", onProgress: progressBar("trace") });
 *
 * Its `onPlan` shows the method's announced number of forward passes in the label (the
 * methods call it themselves when the bar is their onProgress). When `signal` aborts, the
 * bar reads "partial" ("interrupted" when the kernel's interrupt aborted it).
 */
import { isKernelAttached } from "./transport";
import { display, updateDisplay, DISPLAY, type Displayable } from "./display";

/** What lib/methods reports (ProgressEvent there; repeated to keep lib/widget free of lib/methods). */
export interface ProgressUpdate {
  done: number;
  total: number;
  etaSeconds: number | null;
}

export interface ProgressPlanUpdate {
  forwardPasses: number;
  units: number;
  description: string;
}

export interface ProgressBarOptions {
  /** Least time between two updates of the bar (default 200 ms: ≤ 5 updates/s). */
  minIntervalMs?: number;
  /** Outside a kernel: least time between two stderr lines (default 10 s; Infinity for none). */
  logIntervalMs?: number;
  /** When it aborts the bar shows "partial". */
  signal?: AbortSignal;
}

export interface ProgressBar {
  (e: ProgressUpdate): void;
  /** Shows the announced plan (forward passes, what they are) in the label. */
  onPlan(p: ProgressPlanUpdate): void;
  /** display_id of the bar once shown (undefined before the first event or outside a kernel). */
  readonly displayId: string | undefined;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function duration(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${Math.max(0, Math.round(s))} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

interface BarState {
  label: string;
  plan?: ProgressPlanUpdate;
  done: number;
  total: number;
  eta: number | null;
  cancelled: boolean;
  /** Aborted by a kernel interrupt (the signal's reason is named "KernelInterrupt"). */
  interrupted?: boolean;
  started: number;
}

function title(st: BarState): string {
  if (!st.plan) return st.label;
  const passes = `${st.plan.forwardPasses} forward pass${st.plan.forwardPasses === 1 ? "" : "es"}`;
  return `${st.label}: ${passes}${st.plan.description ? ` (${st.plan.description})` : ""}`;
}

function status(st: BarState): { text: string; pct: number } {
  const pct = st.total > 0 ? Math.min(100, (100 * st.done) / st.total) : st.done > 0 ? 100 : 0;
  const count = `${st.done}/${st.total} (${pct.toFixed(0)}%)`;
  const elapsed = (Date.now() - st.started) / 1000;
  if (st.cancelled) return { text: `${st.interrupted ? "interrupted" : "partial: cancelled"} at ${count}`, pct };
  if (st.total > 0 && st.done >= st.total) return { text: `done ${count} in ${duration(elapsed)}`, pct };
  return { text: `${count}${st.eta !== null ? `, ETA ${duration(st.eta)}` : ""}`, pct };
}

/** The bar as a mime bundle: HTML for JupyterLab, the same line as text elsewhere. */
function view(st: BarState): Displayable {
  const { text, pct } = status(st);
  const colour = st.cancelled ? "#e08a00" : "#1976d2";
  const html =
    `<div class="attnlab-progress" style="font:12px system-ui,sans-serif;margin:2px 0">` +
    `<div>${esc(title(st))}</div>` +
    `<div style="display:flex;align-items:center;gap:8px">` +
    `<div style="width:240px;height:10px;background:#e0e0e0;border-radius:3px;overflow:hidden">` +
    `<div style="width:${pct.toFixed(1)}%;height:100%;background:${colour}"></div></div>` +
    `<span>${esc(text)}</span></div></div>`;
  return { [DISPLAY]: () => ({ "text/html": html, "text/plain": `${title(st)}: ${text}` }) };
}

export function progressBar(label = "Working", opts: ProgressBarOptions = {}): ProgressBar {
  if (typeof label !== "string") throw new Error(`progressBar: label must be a string, got ${typeof label}`);
  const minInterval = opts.minIntervalMs ?? 200;
  const logInterval = opts.logIntervalMs ?? 10000;
  if (!(minInterval >= 0)) throw new Error(`progressBar: opts.minIntervalMs must be a number ≥ 0, got ${opts.minIntervalMs}`);
  const st: BarState = { label, done: 0, total: 0, eta: null, cancelled: false, started: Date.now() };
  let displayId: string | undefined;
  let lastSent = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let broken = false; // a display that failed once is not retried: the method must go on
  let logged = false;
  let finalLogged = false;

  const send = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    lastSent = Date.now();
    if (broken) return;
    try {
      if (displayId === undefined) displayId = display(view(st)).displayId;
      else updateDisplay(displayId, view(st));
    } catch (e) {
      broken = true;
      console.error(`progressBar: cannot show the bar (${(e as Error).message})`);
    }
  };

  const log = (final: boolean) => {
    const now = Date.now();
    if (final ? !logged || finalLogged : now - Math.max(st.started, lastSent) < logInterval) return;
    lastSent = now;
    logged = true;
    finalLogged = final;
    process.stderr.write(`${title(st)}: ${status(st).text}\n`);
  };

  const final = () => st.cancelled || (st.total > 0 && st.done >= st.total);

  const changed = (force: boolean) => {
    if (!isKernelAttached()) return log(final());
    if (force || Date.now() - lastSent >= minInterval) return send();
    // Throttled: the latest state goes out once the interval is over.
    timer ??= setTimeout(send, minInterval - (Date.now() - lastSent));
  };

  const bar = ((e: ProgressUpdate) => {
    if (!e || typeof e.done !== "number" || typeof e.total !== "number") {
      throw new Error(`progressBar: expected a progress event {done, total, etaSeconds}, got ${JSON.stringify(e)}`);
    }
    st.done = e.done;
    st.total = e.total;
    st.eta = e.etaSeconds ?? null;
    changed(final());
  }) as ProgressBar;
  bar.onPlan = (p: ProgressPlanUpdate) => {
    st.plan = p;
    st.total = p.units ?? st.total;
    changed(true);
  };
  Object.defineProperty(bar, "displayId", { get: () => displayId });
  opts.signal?.addEventListener(
    "abort",
    () => {
      if (st.total > 0 && st.done >= st.total) return; // finished before the abort: nothing is partial
      st.cancelled = true;
      st.interrupted = (opts.signal?.reason as { name?: string } | undefined)?.name === "KernelInterrupt";
      changed(true);
    },
    { once: true },
  );
  return bar;
}
