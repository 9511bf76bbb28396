#!/usr/bin/env node
/**
 * Writes the attnlab kernelspec.
 *   node dist/kernel/install.js --prefix <dir>   -> <dir>/share/jupyter/kernels/attnlab (set-up uses .venv)
 *   node dist/kernel/install.js --user           -> the per-user Jupyter data dir (use outside the project)
 * The spec runs this checkout's compiled kernel with the node that ran the installer.
 */
import { mkdirSync, writeFileSync } from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./resolve";

export const KERNEL_NAME = "attnlab";

/**
 * The JavaScript heap limit for this machine, in MB: half the physical memory, at least 2 GB
 * (Node's default is about 2-4 GB whatever the machine) and at most 16 GB. Tensors of the native
 * and WebAssembly backends live outside this heap.
 */
export function heapLimitMB(totalBytes = os.totalmem()): number {
  return Math.max(2048, Math.min(16384, Math.floor(totalBytes / 2 / 1024 / 1024)));
}

export function kernelSpec(node = process.execPath): Record<string, unknown> {
  return {
    argv: [node, `--max-old-space-size=${heapLimitMB()}`, path.join(PROJECT_ROOT, "dist", "kernel", "main.js"), "{connection_file}"],
    display_name: "attnlab (TypeScript)",
    language: "typescript",
    interrupt_mode: "signal",
    env: {},
    metadata: { debugger: false },
  };
}

/** Jupyter's per-user data dir, as jupyter_core computes it (JUPYTER_DATA_DIR wins). */
function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return path.join(os.homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return path.join(process.env.APPDATA ?? os.homedir(), "jupyter");
  return path.join(process.env.XDG_DATA_HOME ?? path.join(os.homedir(), ".local", "share"), "jupyter");
}

export function install(kernelsDir: string): string {
  const dir = path.join(kernelsDir, KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  return dir;
}

function main(argv: string[]): void {
  const i = argv.indexOf("--prefix");
  let kernelsDir: string;
  if (i >= 0) {
    if (!argv[i + 1]) throw new Error("--prefix needs a directory");
    kernelsDir = path.join(path.resolve(argv[i + 1]), "share", "jupyter", "kernels");
  } else if (argv.includes("--user")) {
    kernelsDir = path.join(userDataDir(), "kernels");
  } else {
    console.error("usage: node dist/kernel/install.js (--user | --prefix <dir>)");
    process.exit(2);
  }
  console.log(`installed kernelspec ${KERNEL_NAME} in ${install(kernelsDir)}`);
}

if (require.main === module) main(process.argv.slice(2));
