/**
 * tslab 1.0.22's converter is written against its own TypeScript, @tslab/typescript-for-tslab
 * (TypeScript 5.0.4 plus four additions). The kernel hands it the project's TypeScript (5.9)
 * instead, for one thing 5.0 cannot do: skip the JSDoc of declaration files nobody reads the
 * documentation of (`jsDocParsingMode`, TypeScript 5.3), which was about a third of parsing the
 * program every kernel builds at start (lib.es2022 and @types/node).
 *
 * The converter gets, in place of the fork's module, an object with TypeScript 5.9's members plus
 * what the fork added or 5.9 changed, each rebuilt from 5.9's own functions:
 *   - `getQuickInfoAtPosition(sourceFile, checker, ...)` (hover): the fork exported the language
 *     service's function, which 5.9 keeps inside `createLanguageService`; quickInfo below is a
 *     smaller one of ours on the watch program, built on 5.9's symbol display;
 *   - `Completions.getCompletionsAtPositionForTslab`: 5.9's `Completions.getCompletionsAtPosition`,
 *     whose host (tslab passes `{}`) must now answer getCompilationSettings in import braces;
 *   - `getPreEmitDiagnosticsOfFiles`: `getPreEmitDiagnostics` over several files;
 *   - the `disableTopLevelAwait` option: with it, the fork's checker reported a top-level `await`
 *     as error 1308, which tslab takes as "run this cell in an async function" (and reports in a
 *     local module, where it cannot run). 5.9 accepts top-level await in an ES module, so
 *     getPreEmitDiagnosticsOfFiles reports the same 1308 for each top-level `await`;
 *   - `getNullTransformationContext()` (5.9 exports the object itself), `getDefaultTypeRoots(dir,
 *     host)` (no longer exported);
 *   - the option `noImplicitUseStrict`, which tslab sets in both compile stages and 5.5 removed:
 *     it is dropped, and the `"use strict";` line 5.9 then puts at the top of the CommonJS output
 *     is blanked (cells ran, and still run, in sloppy mode; the line stays so source maps hold);
 *   - both stages are asked for inline source maps (tracebacks map cell lines through them);
 *   - watch hosts use the plain builder (tsbuilder.ts).
 * The kernel's tests for completion, hover, top-level await, local modules and tracebacks cover
 * these. `installTypeScriptForTslab` must run before anything requires "tslab/dist/converter";
 * the fork is then never loaded.
 */
import Module from "module";
import * as path from "path";
import * as ts from "typescript";
import { lightBuilder } from "./tsbuilder";

/* eslint-disable @typescript-eslint/no-explicit-any */
const internal = ts as any;

/**
 * Declaration files whose JSDoc is not parsed: TypeScript's own lib files and @types/node.
 * Hover over `Math.max` or `fs.readFileSync` then shows the signature without its doc comment;
 * attnlab's and TensorFlow.js' declarations, which notebooks hover over, keep theirs.
 */
export function skipsJsDoc(fileName: string): boolean {
  if (!fileName.endsWith(".d.ts")) return false;
  const f = fileName.replace(/\\/g, "/");
  return f.startsWith(TS_LIB_DIR) || /\/node_modules\/@types\/node\//.test(f);
}
const TS_LIB_DIR = path.dirname(require.resolve("typescript/lib/lib.d.ts")).replace(/\\/g, "/") + "/";

/**
 * The fork's `getQuickInfoAtPosition(sourceFile, typeChecker, cancellationToken, position)`: what
 * the kernel's inspect reply (hover) shows. Written here on 5.9's symbol display, which makes the
 * text, its kind and the documentation: the name or property under the cursor, its symbol if the
 * checker has one, otherwise the type of an expression (a call's result, `this`). Simpler than the
 * language service's own hover, which also special-cases JSX, `import.meta` and object-literal
 * members typed by context (those show their type here, or nothing).
 */
function quickInfo(sourceFile: ts.SourceFile, checker: ts.TypeChecker, token: ts.CancellationToken, position: number): ts.QuickInfo | undefined {
  const node: ts.Node = internal.getTouchingPropertyName(sourceFile, position);
  if (node === sourceFile) return undefined;
  const span = internal.createTextSpanFromNode(node, sourceFile);
  const container = internal.getContainerNode(node);
  const c = checker as any;
  const symbol = checker.getSymbolAtLocation(node);
  if (symbol && !c.isUnknownSymbol(symbol)) {
    const shown = c.runWithCancellationToken(token, (tc: ts.TypeChecker) =>
      internal.SymbolDisplay.getSymbolDisplayPartsDocumentationAndSymbolKind(tc, symbol, sourceFile, container, node, undefined, undefined, internal.defaultHoverMaximumTruncationLength),
    );
    return {
      kind: shown.symbolKind,
      kindModifiers: internal.SymbolDisplay.getSymbolModifiers(checker, symbol),
      textSpan: span,
      displayParts: shown.displayParts,
      documentation: shown.documentation,
      tags: shown.tags,
    };
  }
  // No symbol: only expressions have a type worth showing (not keywords, labels or comments).
  const expression = ts.isIdentifier(node) || ts.isPropertyAccessExpression(node.parent) || node.kind === ts.SyntaxKind.ThisKeyword || node.kind === ts.SyntaxKind.SuperKeyword;
  if (!expression || internal.isInComment(sourceFile, position)) return undefined;
  const type = checker.getTypeAtLocation(node);
  return {
    kind: ts.ScriptElementKind.unknown,
    kindModifiers: ts.ScriptElementKindModifier.none,
    textSpan: span,
    displayParts: c.runWithCancellationToken(token, (tc: ts.TypeChecker) => internal.typeToDisplayParts(tc, type, container)),
    documentation: type.symbol ? type.symbol.getDocumentationComment(checker) : undefined,
    tags: type.symbol ? type.symbol.getJsDocTags(checker) : undefined,
  };
}

/** Where each `await` outside any function, class or namespace starts, as the fork's error 1308. */
function topLevelAwaits(sf: ts.SourceFile): ts.Diagnostic[] {
  const out: ts.Diagnostic[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isModuleDeclaration(node)) return;
    if (ts.isAwaitExpression(node)) {
      const start = node.getStart(sf);
      out.push({
        file: sf,
        start,
        length: "await".length,
        category: ts.DiagnosticCategory.Error,
        code: 1308,
        messageText: "'await' expressions are only allowed within async functions and at the top levels of modules.",
      });
    }
    ts.forEachChild(node, visit);
  };
  if (!sf.isDeclarationFile) ts.forEachChild(sf, visit);
  return out;
}

function preEmitDiagnosticsOfFiles(program: ts.Program, files: readonly ts.SourceFile[], token?: ts.CancellationToken): readonly ts.Diagnostic[] {
  const out: ts.Diagnostic[] = [...program.getConfigFileParsingDiagnostics(), ...program.getOptionsDiagnostics(token), ...program.getGlobalDiagnostics(token)];
  const declarations = program.getCompilerOptions().declaration;
  for (const f of files) {
    out.push(...program.getSyntacticDiagnostics(f, token), ...program.getSemanticDiagnostics(f, token), ...topLevelAwaits(f));
    if (declarations) out.push(...program.getDeclarationDiagnostics(f, token));
  }
  return ts.sortAndDeduplicateDiagnostics(out);
}

/** Every node_modules/@types from `dir` up that exists (5.0's getDefaultTypeRoots; 5.9 does not export its own). */
function defaultTypeRoots(dir: string, host: { directoryExists?(p: string): boolean }): string[] | undefined {
  if (!host.directoryExists) return [path.posix.join(dir, "node_modules", "@types")];
  const found: string[] = [];
  for (let d = internal.normalizePath(dir); ; d = path.posix.dirname(d)) {
    const types = path.posix.join(d, "node_modules", "@types");
    if (host.directoryExists(types)) found.push(types);
    if (path.posix.dirname(d) === d) break;
  }
  return found.length > 0 ? found : undefined;
}

/**
 * TypeScript watches a node_modules folder recursively when a module lookup failed inside it (to
 * notice a package being installed). Without recursive fs.watch (Linux) it emulates that with a
 * watcher and a readdir per folder: for the project's node_modules, ~2,500 folders and inotify
 * watches, 0.35-0.5 s at the first attnlab import, wherever the checkout is at least four folders
 * deep (/home/<user>/attnlab; not /work/main). Watched one level deep instead: a package folder
 * added at the top of node_modules is still noticed; one added inside a scope folder (@types/x when
 * @types exists) is not until the kernel restarts.
 */
function watchNodeModulesShallow(sys: ts.System): void {
  const watchDirectory = sys.watchDirectory;
  if (!watchDirectory) return;
  sys.watchDirectory = (dir, cb, recursive, o) => watchDirectory.call(sys, dir, cb, recursive && !/[\\/]node_modules([\\/]|$)/.test(dir), o);
}

/** tslab's compiler options as 5.9 takes them, with inline source maps. */
function options<T extends object>(o: T): T {
  const { noImplicitUseStrict: _u, disableTopLevelAwait: _a, ...rest } = o as Record<string, unknown>;
  return { ...rest, inlineSourceMap: true } as T;
}

const USE_STRICT = /^"use strict";(?=\n)/;

/** The `ts` object tslab's converter gets. */
export function typeScriptForTslab(): typeof ts {
  const overrides: Record<string, unknown> = {
    createWatchCompilerHost(roots: string[], o: ts.CompilerOptions, sys: ts.System, _create: unknown, ...rest: any[]) {
      watchNodeModulesShallow(sys);
      return (ts.createWatchCompilerHost as any)(roots, options(o), sys, lightBuilder(ts, skipsJsDoc), ...rest);
    },
    transpileModule(input: string, t: ts.TranspileOptions): ts.TranspileOutput {
      const r = ts.transpileModule(input, { ...t, compilerOptions: options(t.compilerOptions ?? {}) });
      return { ...r, outputText: r.outputText.replace(USE_STRICT, "") };
    },
    getQuickInfoAtPosition: quickInfo,
    getPreEmitDiagnosticsOfFiles: preEmitDiagnosticsOfFiles,
    getNullTransformationContext: () => internal.nullTransformationContext,
    getDefaultTypeRoots: defaultTypeRoots,
    Completions: {
      ...internal.Completions,
      getCompletionsAtPositionForTslab: (host: any, program: ts.Program, log: unknown, sf: ts.SourceFile, pos: number, prefs: unknown, trigger: unknown, kind: unknown, token: unknown) =>
        internal.Completions.getCompletionsAtPosition({ getCompilationSettings: () => program.getCompilerOptions(), ...host }, program, log, sf, pos, prefs, trigger, kind, token, undefined),
    },
  };
  const facade: Record<string, unknown> = {};
  for (const k of Object.keys(ts)) if (!(k in overrides)) Object.defineProperty(facade, k, { enumerable: true, get: () => internal[k] });
  for (const [k, v] of Object.entries(overrides)) Object.defineProperty(facade, k, { enumerable: true, value: v });
  return facade as unknown as typeof ts;
}

/** Makes `require("@tslab/typescript-for-tslab")` from tslab return typeScriptForTslab(). */
export function installTypeScriptForTslab(): void {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const forkPath = require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] });
  if (require.cache[forkPath]) return;
  const m = new Module(forkPath, module);
  m.filename = forkPath;
  m.loaded = true;
  m.exports = typeScriptForTslab();
  require.cache[forkPath] = m;
}

export { ts };
