// A real JupyterLab from the project venv and a headless system Chromium, for the
// end-to-end widget tests and the heatmap bench.
import { spawn, type ChildProcess } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { chromium, type Browser, type Page } from "playwright-core";

// The project root, from the sources (test/e2e/) or a compiled copy (the heatmap bench's .cache/bench/test/e2e/).
export const ROOT = (() => {
  for (let d = __dirname; d !== path.dirname(d); d = path.dirname(d)) if (fs.existsSync(path.join(d, "widgets", "package.json"))) return d;
  return path.resolve(__dirname, "..", "..");
})();
export const VENV = path.join(ROOT, ".venv");
export const ARTIFACTS = path.join(ROOT, "test-artifacts");
export const CHROMIUM = process.env.ATTNLAB_CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/** What the end-to-end tests need, with the set-up step that provides each. */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (!fs.existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (scripts/setup.d/05-chromium.sh with ATTNLAB_SETUP_TEST=1)`);
  if (!fs.existsSync(path.join(VENV, "bin", "jupyter-lab"))) missing.push(".venv with jupyterlab (scripts/setup.d/20-venv.sh)");
  if (!fs.existsSync(path.join(VENV, "share", "jupyter", "labextensions", "attnlab-widgets", "package.json"))) {
    missing.push("the attnlab-widgets labextension in .venv (scripts/setup.d/35-widgets.sh)");
  }
  if (!fs.existsSync(path.join(VENV, "share", "jupyter", "kernels", "attnlab", "kernel.json"))) missing.push("the attnlab kernelspec");
  if (!fs.existsSync(path.join(ROOT, "dist", "lib", "figures", "index.js"))) missing.push("dist/ (tsc -p tsconfig.json)");
  return missing;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Lab {
  url: string;
  token: string;
  dir: string;
  proc: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

/** Starts `jupyter lab` on 127.0.0.1 with a random port and token, serving `dir`; `extraArgs` go to jupyter-lab. */
export async function startLab(dir: string, extraArgs: string[] = []): Promise<Lab> {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-lab-home-"));
  // No "get Jupyter news?" toast over the views.
  const toast = path.join(home, "settings", "@jupyterlab", "apputils-extension");
  fs.mkdirSync(toast, { recursive: true });
  fs.writeFileSync(path.join(toast, "notification.jupyterlab-settings"), JSON.stringify({ fetchNews: "false" }));
  let out = "";
  const proc = spawn(
    path.join(VENV, "bin", "jupyter-lab"),
    [
      "--no-browser",
      "--allow-root",
      `--ServerApp.ip=127.0.0.1`,
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--ServerApp.token=${token}`,
      `--ServerApp.root_dir=${dir}`,
      "--LabApp.expose_app_in_browser=True",
      "--LabApp.news_url=None",
      "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
      ...extraArgs,
    ],
    {
      cwd: dir,
      env: {
        ...process.env,
        PATH: `${path.join(VENV, "bin")}:${path.join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
        JUPYTER_PATH: path.join(VENV, "share", "jupyter"),
        JUPYTER_DATA_DIR: path.join(VENV, "share", "jupyter"),
        JUPYTER_CONFIG_DIR: path.join(home, "config"),
        JUPYTER_RUNTIME_DIR: path.join(home, "runtime"),
        JUPYTERLAB_SETTINGS_DIR: path.join(home, "settings"),
        JUPYTERLAB_WORKSPACES_DIR: path.join(home, "workspaces"),
        HOME: home,
      },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  proc.stdout!.on("data", (b) => (out += b.toString()));
  proc.stderr!.on("data", (b) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`jupyter lab exited (${proc.exitCode}):\n${out.slice(-3000)}`);
    try {
      const r = await fetch(`${url}/api/status?token=${token}`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`jupyter lab did not answer within 90 s:\n${out.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    token,
    dir,
    proc,
    log: () => out,
    async stop() {
      if (proc.exitCode === null) {
        const gone = new Promise((r) => proc.once("exit", r));
        try {
          process.kill(-proc.pid!, "SIGTERM");
        } catch {
          // already gone
        }
        const t = setTimeout(() => {
          try {
            process.kill(-proc.pid!, "SIGKILL");
          } catch {
            // already gone
          }
        }, 10_000);
        await gone;
        clearTimeout(t);
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export function notebook(cells: string[]): string {
  return JSON.stringify(
    {
      cells: cells.map((src, i) => ({ id: `cell-${i}`, cell_type: "code", execution_count: null, metadata: {}, outputs: [], source: src })),
      metadata: {
        kernelspec: { name: "attnlab", display_name: "attnlab (TypeScript)", language: "typescript" },
        language_info: { name: "typescript" },
      },
      nbformat: 4,
      nbformat_minor: 5,
    },
    null,
    1,
  );
}

/** Fails the suite, naming the set-up step for each missing piece; makes the artifacts folder. */
export function requirePrerequisites(): void {
  const missing = missingPrerequisites();
  if (missing.length) throw new Error(`end-to-end prerequisites missing (run scripts/setup.sh, or ATTNLAB_E2E=0 to skip): ${missing.join("; ")}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
}

/** Turns on the widget manager's saveState (off by default), so saving a notebook keeps its widget state. */
export async function enableWidgetSaveState(lab: Lab): Promise<void> {
  const put = await fetch(`${lab.url}/lab/api/settings/@jupyter-widgets/jupyterlab-manager:plugin`, {
    method: "PUT",
    headers: { Authorization: `token ${lab.token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ raw: JSON.stringify({ saveState: true }) }),
  });
  if (!put.ok) throw new Error(`could not turn on saveState: ${put.status} ${await put.text()}`);
}

/** Launches the system Chromium and opens the lab's notebook `name` in a new page. */
export async function openNotebook(lab: Lab, name: string): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(`${lab.url}/lab/tree/${name}?token=${lab.token}`);
  return { browser, page };
}

type LabWindow = { jupyterapp?: { shell: { currentWidget?: { sessionContext?: { session?: { kernel?: { status: string } } } } }; commands: { execute(id: string): Promise<unknown> } } };

/** Waits until the current notebook's kernel is idle. */
export async function waitForKernelIdle(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(() => (window as unknown as LabWindow).jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status === "idle", undefined, { timeout });
}

/** Waits for the notebook's kernel, then runs every cell (it does not wait for them to finish). */
export async function runAllCells(page: Page): Promise<void> {
  await waitForKernelIdle(page, 120_000);
  await page.evaluate(() => (window as unknown as Required<LabWindow>).jupyterapp.commands.execute("notebook:run-all-cells"));
}

/** Waits until Run All has finished: the kernel is idle and no cell shows "[*]". */
export async function waitForRunAll(page: Page, timeout: number): Promise<void> {
  await page.waitForFunction(
    () => {
      const k = (window as unknown as LabWindow).jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status;
      const prompts = Array.from(document.querySelectorAll(".jp-CodeCell .jp-InputPrompt")).map((e) => e.textContent ?? "");
      return k === "idle" && prompts.length > 0 && prompts.every((p) => /\[\d+\]/.test(p));
    },
    undefined,
    { timeout, polling: 500 },
  );
}

/** Saves the current notebook and shuts down every session and kernel of the lab. */
export async function saveAndShutDown(lab: Lab, page: Page, nbPath: string, until: (nb: { metadata: Record<string, unknown> }) => boolean = () => true): Promise<void> {
  const before = fs.statSync(nbPath).mtimeMs;
  await page.evaluate(() => (window as unknown as Required<LabWindow>).jupyterapp.commands.execute("docmanager:save"));
  for (let i = 0; i < 150; i++) {
    if (fs.statSync(nbPath).mtimeMs !== before) {
      try {
        if (until(JSON.parse(fs.readFileSync(nbPath, "utf8")))) break;
      } catch {
        // being written
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = async (p: string, method = "GET") => {
    const r = await fetch(`${lab.url}${p}`, { method, headers: { Authorization: `token ${lab.token}` } });
    if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? null : r.json();
  };
  for (const s of (await api("/api/sessions")) as { id: string }[]) await api(`/api/sessions/${s.id}`, "DELETE");
  for (const k of (await api("/api/kernels")) as { id: string }[]) await api(`/api/kernels/${k.id}`, "DELETE");
}
