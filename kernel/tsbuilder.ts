/**
 * tslab's converter keeps the notebook's TypeScript program in a watch program, whose default
 * builder (EmitAndSemanticDiagnosticsBuilderProgram) works out, at every program update and for
 * every file of the program, which files that file references (BuilderState.create). With
 * attnlab's types in the program that is ~700 declaration files: about half of each cell's
 * compile time (a cell is two updates) and ~1 s of the first build, measured with --cpu-prof.
 * tslab uses the builder as a program (getSourceFile, getProgram, emit) and asks it for one thing
 * more, getAllDependencies of the cell, which it filters down to .ts/.js sources to emit a cell's
 * local modules. So the watch host tslab makes gets a plain builder (ts.createAbstractBuilder)
 * whose getAllDependencies follows the imports from the cell and through those sources only.
 *
 * The host is reached through the module tslab's converter requires: the `ts` namespace's members
 * cannot be reassigned, so the converter is handed an object with the same members that makes its
 * watch hosts with this builder. Call before anything requires "tslab/dist/converter".
 */

interface SourceFileLike {
  fileName: string;
  isDeclarationFile: boolean;
  referencedFiles: readonly { fileName: string }[];
  resolvedModules?: { forEach(cb: (r: { resolvedModule?: { resolvedFileName: string } } | undefined) => void): void };
}

interface ProgramLike {
  getSourceFile(name: string): SourceFileLike | undefined;
}

/**
 * `file` and every file it reaches through imports and `/// <reference path>`, walking on only
 * through non-declaration files (a declaration file cannot bring a source file tslab must emit).
 */
export function sourceDependencies(program: ProgramLike, file: SourceFileLike, resolvePath: (dir: string, rel: string) => string): string[] {
  const out = [file.fileName];
  const seen = new Set(out);
  const todo = [file];
  while (todo.length > 0) {
    const f = todo.pop()!;
    const next: string[] = [];
    f.resolvedModules?.forEach((r) => {
      if (r?.resolvedModule) next.push(r.resolvedModule.resolvedFileName);
    });
    const dir = f.fileName.slice(0, f.fileName.lastIndexOf("/") + 1);
    for (const ref of f.referencedFiles) next.push(resolvePath(dir, ref.fileName));
    for (const name of next) {
      const sf = program.getSourceFile(name);
      if (!sf || seen.has(sf.fileName)) continue;
      seen.add(sf.fileName);
      out.push(sf.fileName);
      if (!sf.isDeclarationFile) todo.push(sf);
    }
  }
  return out;
}

/** Makes tslab's converter, when it loads, get `ts` with watch hosts that use the plain builder. */
export function installLightBuilder(tsModulePath: string): void {
  const cached = require.cache[tsModulePath];
  if (!cached) throw new Error(`installLightBuilder: ${tsModulePath} is not loaded`);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const ts = cached.exports as any;
  if (ts.__attnlabLightBuilder) return;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const createProgram = (...args: any[]) => {
    const b = ts.createAbstractBuilder(...args);
    // The default builder makes the type checker at once, which binds every file; tslab reads
    // the cell's bound names (`locals`) right after an update, so that must still happen here.
    b.getProgram().getTypeChecker();
    b.getAllDependencies = (sf: SourceFileLike) => sourceDependencies(b.getProgram(), sf, (dir, rel) => ts.getNormalizedAbsolutePath(rel, dir));
    return b;
  };
  const facade: Record<string, unknown> = {};
  for (const k of Object.keys(ts)) if (k !== "createWatchCompilerHost") Object.defineProperty(facade, k, { enumerable: true, get: () => ts[k] });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  Object.defineProperty(facade, "createWatchCompilerHost", { enumerable: true, value: (roots: any, options: any, sys: any, create: any, ...rest: any[]) => ts.createWatchCompilerHost(roots, options, sys, create ?? createProgram, ...rest) });
  Object.defineProperty(facade, "__attnlabLightBuilder", { value: true });
  cached.exports = facade;
}
