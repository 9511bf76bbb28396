/** The kernelspec: the set-up step's copy in .venv and the --user install for use elsewhere. */
import { execFileSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { ROOT } from "./harness";

const INSTALL = path.join(ROOT, "dist", "kernel", "install.js");

function checkSpec(file: string): void {
  const spec = JSON.parse(readFileSync(file, "utf8"));
  expect(spec.display_name).toBe("attnlab (TypeScript)");
  expect(spec.language).toBe("typescript");
  expect(spec.interrupt_mode).toBe("signal");
  // The heap limit is raised for the machine (half its memory, 2-16 GB).
  expect(spec.argv).toEqual([expect.stringMatching(/node/), expect.stringMatching(/^--max-old-space-size=\d+$/), path.join(ROOT, "dist", "kernel", "main.js"), "{connection_file}"]);
  const mb = Number(spec.argv[1].split("=")[1]);
  expect(mb).toBeGreaterThanOrEqual(2048);
  expect(mb).toBeLessThanOrEqual(16384);
  expect(existsSync(spec.argv[0])).toBe(true);
}

test("--user writes kernels/attnlab/kernel.json under the Jupyter data dir", () => {
  const data = mkdtempSync(path.join(os.tmpdir(), "attnlab-jupyter-data-"));
  const out = execFileSync(process.execPath, [INSTALL, "--user"], { env: { ...process.env, JUPYTER_DATA_DIR: data } }).toString();
  const file = path.join(data, "kernels", "attnlab", "kernel.json");
  expect(out).toContain(path.dirname(file));
  checkSpec(file);
});

test("--prefix writes <prefix>/share/jupyter/kernels/attnlab; no flag is a usage error", () => {
  const prefix = mkdtempSync(path.join(os.tmpdir(), "attnlab-prefix-"));
  execFileSync(process.execPath, [INSTALL, "--prefix", prefix]);
  checkSpec(path.join(prefix, "share", "jupyter", "kernels", "attnlab", "kernel.json"));
  expect(() => execFileSync(process.execPath, [INSTALL], { stdio: "pipe" })).toThrow(/usage: node dist\/kernel\/install.js/);
});

const venvSpec = path.join(ROOT, ".venv", "share", "jupyter", "kernels", "attnlab", "kernel.json");
test("the set-up step (scripts/setup.d/40-kernelspec.sh) installed the spec into the project venv", () => {
  checkSpec(venvSpec);
});
