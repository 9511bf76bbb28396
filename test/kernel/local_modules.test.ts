/**
 * The notebook's TypeScript program uses a plain builder (kernel/tsbuilder.ts) whose
 * getAllDependencies walks the cell's imports: a cell importing the notebook folder's own .ts
 * modules (and what they import) must still have them compiled and run, with their type errors
 * reported; library declarations are listed but not walked through.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sourceDependencies } from "../../kernel/tsbuilder";
import { KernelClient } from "./harness";

type File = Parameters<typeof sourceDependencies>[1];

describe("sourceDependencies", () => {
  const imports = new Map<string, string[]>();
  const file = (fileName: string, imported: string[], refs: string[] = []): File => {
    imports.set(fileName, imported);
    return { fileName, isDeclarationFile: fileName.endsWith(".d.ts"), referencedFiles: refs.map((r) => ({ fileName: r })) };
  };
  const files = new Map<string, File>(
    [
      file("/nb/cell.ts", ["/nb/a.ts", "/lib/index.d.ts"], ["extra.ts"]),
      file("/nb/a.ts", ["/nb/b.ts", "/nb/cell.ts"]),
      file("/nb/b.ts", []),
      file("/nb/extra.ts", []),
      file("/lib/index.d.ts", ["/lib/deep.d.ts"]),
      file("/lib/deep.d.ts", []),
    ].map((f) => [f.fileName, f]),
  );
  // As TypeScript (>= 5.3) keeps them: the resolutions on the program, by file.
  const program = {
    getSourceFile: (n: string) => files.get(n),
    forEachResolvedModule: (cb: (r: { resolvedModule?: { resolvedFileName: string } } | undefined) => void, f: File) =>
      imports.get(f.fileName)!.forEach((i) => cb({ resolvedModule: { resolvedFileName: i } })),
  };

  test("the file, then what it reaches through sources; declarations listed, not walked; each once", () => {
    const deps = sourceDependencies(program, files.get("/nb/cell.ts")!, (dir, rel) => path.posix.join(dir, rel));
    expect(deps[0]).toBe("/nb/cell.ts");
    expect([...deps].sort()).toEqual(["/lib/index.d.ts", "/nb/a.ts", "/nb/b.ts", "/nb/cell.ts", "/nb/extra.ts"]);
  });
});

describe("a cell importing the notebook folder's own modules, in the kernel", () => {
  let k: KernelClient;
  let dir: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "attnlab-local-modules-"));
    fs.writeFileSync(path.join(dir, "helper.ts"), 'import { scale } from "./inner";\nexport function twice(x: number): number {\n  return scale(x, 2);\n}\n');
    fs.writeFileSync(path.join(dir, "inner.ts"), "export const scale = (x: number, by: number): number => x * by;\n");
    fs.writeFileSync(path.join(dir, "broken.ts"), 'export const n: number = "not a number";\n');
    k = await KernelClient.start({ cwd: dir });
  }, 90000);
  afterAll(async () => {
    await k?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("a local module and the module it imports are compiled and run", async () => {
    expect(await k.value('import { twice } from "./helper";\ntwice(21)')).toBe("42");
  }, 60000);

  test("a type error inside a local module is reported for the cell that imports it", async () => {
    const r = await k.execute('import { n } from "./broken";\nn', { stop_on_error: false });
    expect(r.reply.content.status).toBe("error");
    expect(r.reply.content.evalue).toMatch(/not assignable to type 'number'/);
  }, 60000);

  test("a later cell sees the earlier import's names", async () => {
    expect(await k.value("twice(5) + 1")).toBe("11");
  }, 60000);
});
