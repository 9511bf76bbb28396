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

const LIB_DECLARATIONS = path.join(PROJECT_ROOT, "dist", "lib") + path.sep;

function isLibDeclaration(file: string): boolean {
  return file.startsWith(LIB_DECLARATIONS) && file.endsWith(".d.ts");
}

const TFJS_IMPORT = /(from |import\()"@tensorflow\/tfjs"/g;
const CHAINED_OPS = 'import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";\n';

/**
 * attnlab's declarations name only tfjs-core's types (tf.Tensor, tf.Rank, ...) but import them from
 * "@tensorflow/tfjs", whose typings add tfjs-layers, -converter, -data and two backends: 173 of the
 * 866 files a first attnlab import read into the notebook's program, parsed at each kernel start
 * and walked by every cell's new type checker (~0.6 s of attnlab's types, ~0.15 s a cell). The notebook's program reads them from tfjs-core, plus the
 * chained-op methods (`t.mean()`, ...) that "@tensorflow/tfjs" declares on Tensor. A cell that
 * imports "@tensorflow/tfjs" itself still gets all of it (same Tensor declaration).
 */
export function narrowTfjsTypes(text: string): string {
  if (!text.includes('"@tensorflow/tfjs"')) return text;
  return CHAINED_OPS + text.replace(TFJS_IMPORT, '$1"@tensorflow/tfjs-core"');
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
  sys.readFile = (p, enc) => {
    const file = pick(p, orig.fileExists);
    const text = orig.readFile(file, enc);
    return text !== undefined && isLibDeclaration(file) ? narrowTfjsTypes(text) : text;
  };
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
