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
 * The converter reaches it through the `ts` object tsadapter.ts hands it (the `ts` namespace's
 * members cannot be reassigned).
 */

interface SourceFileLike {
  fileName: string;
  isDeclarationFile: boolean;
  referencedFiles: readonly { fileName: string }[];
}

interface ProgramLike {
  getSourceFile(name: string): SourceFileLike | undefined;
  /** The module resolutions of a file (kept on the program since TypeScript 5.3, which the kernel runs: tsadapter.ts). */
  forEachResolvedModule(cb: (r: { resolvedModule?: { resolvedFileName: string } } | undefined) => void, file: SourceFileLike): void;
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
    program.forEachResolvedModule((r) => {
      if (r?.resolvedModule) next.push(r.resolvedModule.resolvedFileName);
    }, f);
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

/**
 * The `createProgram` tslab's watch hosts get: the plain builder, and declaration files for which
 * `skipJsDoc(fileName)` holds parsed without their JSDoc (the program asks the watch's compiler
 * host for each file through getSourceFile or getSourceFileByPath, with the parse options in it).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function lightBuilder(ts: any, skipJsDoc: (fileName: string) => boolean) {
  const wrapped = new WeakSet<object>();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const parseOptions = (fileName: string, o: any) => (skipJsDoc(fileName) && typeof o === "object" ? { ...o, jsDocParsingMode: ts.JSDocParsingMode.ParseNone } : o);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (roots: any, options: any, host: any, ...rest: any[]) => {
    if (host && !wrapped.has(host)) {
      wrapped.add(host);
      const get = host.getSourceFile;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      host.getSourceFile = (name: string, o: any, ...more: any[]) => get.call(host, name, parseOptions(name, o), ...more);
      const byPath = host.getSourceFileByPath;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      if (byPath) host.getSourceFileByPath = (name: string, p: string, o: any, ...more: any[]) => byPath.call(host, name, p, parseOptions(name, o), ...more);
    }
    const b = ts.createAbstractBuilder(roots, options, host, ...rest);
    // The default builder makes the type checker at once, which binds every file; tslab reads
    // the cell's bound names (`locals`) right after an update, so that must still happen here.
    b.getProgram().getTypeChecker();
    b.getAllDependencies = (sf: SourceFileLike) => sourceDependencies(b.getProgram(), sf, (dir, rel) => ts.getNormalizedAbsolutePath(rel, dir));
    return b;
  };
}
