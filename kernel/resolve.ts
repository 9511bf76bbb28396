/**
 * Makes `import ... from "attnlab"` (and the project's own dependencies such as
 * @tensorflow/tfjs) work in every notebook, wherever it lives, without a symlink:
 *
 * - Node: Module._resolveFilename maps "attnlab" and "attnlab/..." to the project root
 *   (package.json main: dist/lib/index.js) and retries other bare specifiers in the
 *   project's node_modules when the notebook's own directories do not have them.
 * - TypeScript (tslab's converter): the walk up from the notebook directory ends at
 *   /node_modules; paths there that do not exist are served from the project's
 *   node_modules, and /node_modules/attnlab from the project root.
 *
 * A notebook directory's own node_modules still wins for everything but attnlab.
 */
import Module from "module";
import * as path from "path";

export const PROJECT_ROOT = path.resolve(__dirname, "..", "..");
const PROJECT_MODULES = path.join(PROJECT_ROOT, "node_modules");

type ResolveFn = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;

let installed = false;

export function installNodeResolution(): void {
  if (installed) return;
  installed = true;
  const M = Module as unknown as { _resolveFilename: ResolveFn };
  const original = M._resolveFilename;
  M._resolveFilename = function (request, parent, isMain, options) {
    if (request === "attnlab" || request.startsWith("attnlab/")) {
      return original.call(this, PROJECT_ROOT + request.slice("attnlab".length), parent, isMain, options);
    }
    try {
      return original.call(this, request, parent, isMain, options);
    } catch (e) {
      const bare = !request.startsWith(".") && !path.isAbsolute(request) && !request.startsWith("node:");
      if (!bare || (e as { code?: string }).code !== "MODULE_NOT_FOUND") throw e;
      return original.call(this, request, parent, isMain, { paths: [PROJECT_ROOT] });
    }
  };
}

interface TsSys {
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  readFile(p: string, enc?: string): string | undefined;
  realpath?(p: string): string;
  getDirectories(p: string): string[];
  readDirectory(...args: unknown[]): string[];
}

const FS_ROOT_MODULES = path.join(path.parse(PROJECT_ROOT).root, "node_modules");

/** Where a path under /node_modules is really served from, or undefined if not ours. */
function remap(p: string): string | undefined {
  const rel = path.relative(FS_ROOT_MODULES, p);
  if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
  if (rel === "") return PROJECT_MODULES;
  const parts = rel.split(/[\\/]/);
  if (parts[0] === "attnlab") return path.join(PROJECT_ROOT, ...parts.slice(1));
  return path.join(PROJECT_MODULES, ...parts);
}

/** Patches the TypeScript sys object tslab's converter reads through (call before createConverter). */
export function installTypeScriptResolution(sys: TsSys): void {
  const orig = {
    fileExists: sys.fileExists.bind(sys),
    directoryExists: sys.directoryExists.bind(sys),
    readFile: sys.readFile.bind(sys),
    realpath: sys.realpath?.bind(sys),
    getDirectories: sys.getDirectories.bind(sys),
  };
  const pick = (p: string, exists: (q: string) => boolean): string => {
    if (exists(p)) return p;
    const m = remap(p);
    return m !== undefined && exists(m) ? m : p;
  };
  sys.fileExists = (p) => orig.fileExists(pick(p, orig.fileExists));
  sys.directoryExists = (p) => orig.directoryExists(pick(p, orig.directoryExists));
  sys.readFile = (p, enc) => orig.readFile(pick(p, orig.fileExists), enc);
  // TypeScript includes every package of a types root in every program. The project's
  // node_modules/@types holds dozens of DOM/test typings (jest, jquery, jsdom, d3...) that
  // would slow every build and leak globals such as `describe` into notebooks: only
  // @types/node is included automatically; an explicit import still finds the others.
  sys.getDirectories = (p) => {
    const dirs = orig.getDirectories(pick(p, orig.directoryExists));
    return /[\\/]node_modules[\\/]@types[\\/]?$/.test(p) ? dirs.filter((d) => d === "node") : dirs;
  };
  if (orig.realpath) {
    const real = orig.realpath;
    sys.realpath = (p) => {
      const q = pick(p, (x) => orig.fileExists(x) || orig.directoryExists(x));
      return real(q);
    };
  }
}
