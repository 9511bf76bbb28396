/**
 * The `ts` object tslab's converter gets (kernel/tsadapter.ts): TypeScript 5.9 with what tslab's
 * TypeScript fork added, rebuilt. Checked here on real programs; the kernel's own tests (protocol:
 * inspect/complete, session: top-level await, failures: tracebacks, local_modules) check it in use.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { skipsJsDoc, typeScriptForTslab } from "../../kernel/tsadapter";

const adapted = typeScriptForTslab() as typeof ts & {
  getPreEmitDiagnosticsOfFiles(p: ts.Program, files: ts.SourceFile[]): readonly ts.Diagnostic[];
  getQuickInfoAtPosition(sf: ts.SourceFile, c: ts.TypeChecker, token: ts.CancellationToken, pos: number): ts.QuickInfo | undefined;
  getDefaultTypeRoots(dir: string, host: { directoryExists(p: string): boolean }): string[] | undefined;
};
const never = { isCancellationRequested: () => false, throwIfCancellationRequested: () => undefined };

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-tsadapter-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function program(source: string): { p: ts.Program; sf: ts.SourceFile } {
  const file = path.join(dir, `cell${Math.random().toString(36).slice(2)}.ts`);
  fs.writeFileSync(file, source);
  const p = ts.createProgram([file], { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, lib: ["lib.es2022.d.ts"], types: [], declaration: true, skipLibCheck: true });
  return { p, sf: p.getSourceFile(file)! };
}

describe("skipsJsDoc", () => {
  test("TypeScript's lib files and @types/node, not attnlab's or other declarations, nor sources", () => {
    expect(skipsJsDoc(require.resolve("typescript/lib/lib.es2022.d.ts"))).toBe(true);
    expect(skipsJsDoc("/p/node_modules/@types/node/fs.d.ts")).toBe(true);
    expect(skipsJsDoc("/p/dist/lib/index.d.ts")).toBe(false);
    expect(skipsJsDoc("/p/node_modules/@tensorflow/tfjs-core/dist/ops/matmul.d.ts")).toBe(false);
    expect(skipsJsDoc("/p/node_modules/@types/node/fs.ts")).toBe(false);
  });
});

describe("getPreEmitDiagnosticsOfFiles", () => {
  test("reports each top-level await as the fork's error 1308, and no await inside a function", () => {
    const src = "export {};\nconst a = await Promise.resolve(1);\nasync function f() { await a; }\nclass C { async m() { await 1; } }\nif (a) { await f(); }\n";
    const { p, sf } = program(src);
    const d = adapted.getPreEmitDiagnosticsOfFiles(p, [sf]);
    expect(d.map((x) => [x.code, src.slice(x.start!, x.start! + x.length!)])).toEqual([
      [1308, "await"],
      [1308, "await"],
    ]);
    expect(d.map((x) => ts.getLineAndCharacterOfPosition(sf, x.start!).line)).toEqual([1, 4]);
  });

  test("keeps type errors of every file given", () => {
    const { p, sf } = program('export const n: number = "x";\n');
    expect(adapted.getPreEmitDiagnosticsOfFiles(p, [sf]).map((x) => x.code)).toEqual([2322]);
  });
});

describe("transpileModule", () => {
  test("CommonJS without strict mode, the line count kept, an inline source map", () => {
    const js = 'import * as fs from "fs";\nexport const x = fs;\n';
    const out = adapted.transpileModule(js, { fileName: "custom.js", compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true, noImplicitUseStrict: true } as ts.CompilerOptions }).outputText;
    const plain = ts.transpileModule(js, { fileName: "custom.js", compilerOptions: { module: ts.ModuleKind.CommonJS, esModuleInterop: true } }).outputText;
    expect(plain.startsWith('"use strict";\n')).toBe(true);
    expect(out).not.toContain('"use strict"');
    expect(out.split("\n")[0]).toBe("");
    expect(out).toMatch(/\n\/\/# sourceMappingURL=data:application\/json;base64,/);
  });
});

describe("getQuickInfoAtPosition", () => {
  test("the signature and doc comment of a name, as the language service's hover", () => {
    const src = "/** Doubles it. */\nexport function twice(x: number): number { return 2 * x; }\ntwice(1);\n";
    const { p, sf } = program(src);
    const info = adapted.getQuickInfoAtPosition(sf, p.getTypeChecker(), never, src.lastIndexOf("twice") + 1)!;
    expect(info.displayParts!.map((d) => d.text).join("")).toBe("function twice(x: number): number");
    expect(info.documentation!.map((d) => d.text).join("")).toBe("Doubles it.");
    expect(src.slice(info.textSpan.start, info.textSpan.start + info.textSpan.length)).toBe("twice");
  });

  test("nothing on a keyword, the type of an expression with no symbol", () => {
    const src = "export const s = `a${1}`;\nthis;\n";
    const { p, sf } = program(src);
    expect(adapted.getQuickInfoAtPosition(sf, p.getTypeChecker(), never, 1)).toBeUndefined();
    const info = adapted.getQuickInfoAtPosition(sf, p.getTypeChecker(), never, src.indexOf("this") + 1)!;
    // `this` at a module's top level
    expect(info.displayParts!.map((d) => d.text).join("")).toBe("undefined");
  });
});

describe("getDefaultTypeRoots", () => {
  test("every node_modules/@types from the folder up that exists, nearest first", () => {
    const inner = path.join(dir, "a", "b");
    fs.mkdirSync(path.join(inner, "node_modules", "@types"), { recursive: true });
    fs.mkdirSync(path.join(dir, "node_modules", "@types"), { recursive: true });
    const roots = adapted.getDefaultTypeRoots(inner, ts.sys)!;
    expect(roots.slice(0, 2)).toEqual([path.join(inner, "node_modules", "@types"), path.join(dir, "node_modules", "@types")]);
    expect(roots.every((r) => fs.existsSync(r))).toBe(true);
  });
});

describe("createWatchCompilerHost", () => {
  test("the host's file system watches node_modules folders one level deep, others as asked", () => {
    const asked: [string, boolean | undefined][] = [];
    const sys: ts.System = Object.create(ts.sys);
    sys.watchDirectory = (d, cb, recursive, o) => {
      asked.push([d, recursive]);
      return ts.sys.watchDirectory!(d, cb, recursive, o);
    };
    const file = path.join(dir, "root.ts");
    fs.writeFileSync(file, "export {};\n");
    const host = adapted.createWatchCompilerHost([file], { types: [] }, sys, undefined, () => undefined, () => undefined);
    const nm = path.join(dir, "node_modules", "@types");
    fs.mkdirSync(nm, { recursive: true });
    for (const [d, r] of [[nm, true], [path.join(dir, "node_modules"), true], [dir, true], [dir, false]] as const) host.watchDirectory(d, () => undefined, r).close();
    expect(asked).toEqual([
      [nm, false],
      [path.join(dir, "node_modules"), false],
      [dir, true],
      [dir, false],
    ]);
  });
});
