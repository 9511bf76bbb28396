// Static figures: a notebook run by nbconvert with the attnlab kernel, exported to HTML,
// shows every figure as inline SVG (no extension, no JavaScript, no network). nbconvert
// picks the widget view only for models whose state was saved; state-less notebooks
// (JupyterLab's default) fall back to our image/svg+xml, as checked here.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT, VENV, notebook } from "./lab";

const SKIP = process.env.ATTNLAB_E2E === "0";

(SKIP ? describe.skip : describe)("nbconvert HTML without the extension", () => {
  it("carries each figure's static SVG and text", () => {
    for (const need of [path.join(VENV, "bin", "jupyter-nbconvert"), path.join(ROOT, "dist", "lib", "figures", "index.js")]) {
      if (!fs.existsSync(need)) throw new Error(`missing ${need}: run scripts/setup.sh (or ATTNLAB_E2E=0 to skip)`);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-nbconvert-"));
    try {
      fs.writeFileSync(
        path.join(dir, "static.ipynb"),
        notebook([
          `import { figure } from "attnlab";
const n = 6;
const data = new Float32Array(n * n);
for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) data[i * n + j] = 1 / (i + 1);
figure({ data: data, shape: [n, n] }, ["a", "b", "c", "d", "e", "f"]).display();`,
          `const g = (s: number) => ({ data: Float32Array.from({ length: 12 }, (_, i) => 0.05 + ((i * s) % 7) / 10), shape: [3, 4] });
figure({ view: "restoration", tokens: ["Paris", " is", " in"], subject: [0, 1], hidden: g(3), mlp: g(5), attn: g(2),
  pClean: 0.8, pCorrupted: 0.05, answer: " France" }).display();`,
        ]),
      );
      const r = spawnSync(
        path.join(VENV, "bin", "jupyter-nbconvert"),
        ["--to", "html", "--execute", "--ExecutePreprocessor.store_widget_state=False", "--ExecutePreprocessor.timeout=120", "static.ipynb"],
        { cwd: dir, encoding: "utf8", env: { ...process.env, JUPYTER_PATH: path.join(VENV, "share", "jupyter") }, timeout: 180_000 },
      );
      if (r.status !== 0) throw new Error(`nbconvert failed (${r.status}):\n${r.stderr}`);
      const page = fs.readFileSync(path.join(dir, "static.html"), "utf8");
      expect(page).not.toContain('<script type="application/vnd.jupyter.widget-view+json">');
      // The lab template embeds SVG outputs as <img src="data:image/svg+xml;base64,...">.
      const imgs = [...page.matchAll(/src="data:image\/svg\+xml;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
      expect(imgs.length).toBe(2);
      const html = imgs.join("\n");
      expect(html).toContain('aria-label="Attention pattern: layer 0, head 0"');
      expect((html.match(/class="cell"/g) ?? []).length).toBe(21 + 3 * 12);
      expect(html).toContain("Restoring attention outputs");
      expect(html).toContain("Paris*");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
