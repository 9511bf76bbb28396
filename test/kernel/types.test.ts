/**
 * The notebook's TypeScript program reads attnlab's declarations with their "@tensorflow/tfjs"
 * imports narrowed to tfjs-core plus the chained-op methods (kernel/resolve.ts, narrowTfjsTypes).
 * What a cell may write must not change: tensor methods on attnlab's tensors, tfjs' whole API
 * once a cell imports it, and its tensors passed to attnlab. And attnlab's declarations must name
 * nothing tfjs-core lacks: the program skips library checks, so a missing name would quietly turn
 * into `any` in the cells instead of failing.
 */
import * as fs from "fs";
import * as path from "path";
import ts from "typescript";
import { narrowTfjsTypes } from "../../kernel/resolve";
import { KernelClient, ROOT } from "./harness";

const DIST_LIB = path.join(ROOT, "dist", "lib");

describe("narrowTfjsTypes", () => {
  test("reads attnlab's tfjs imports from tfjs-core and adds the chained ops; other text is left alone", () => {
    const out = narrowTfjsTypes('import * as tf from "@tensorflow/tfjs";\nexport declare function f(x: tf.Tensor): import("@tensorflow/tfjs").Rank;\n');
    expect(out).toBe(
      'import "@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops";\n' +
        'import * as tf from "@tensorflow/tfjs-core";\nexport declare function f(x: tf.Tensor): import("@tensorflow/tfjs-core").Rank;\n',
    );
    const other = 'import * as l from "@tensorflow/tfjs-layers";\nexport declare const n: number;\n';
    expect(narrowTfjsTypes(other)).toBe(other);
  });

  test("attnlab's declarations, narrowed, type-check with library checks on (no name tfjs-core lacks)", () => {
    const opts: ts.CompilerOptions = { target: ts.ScriptTarget.ES2021, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, esModuleInterop: true, noEmit: true, skipLibCheck: false, types: ["node"] };
    const host = ts.createCompilerHost(opts);
    const read = host.readFile.bind(host);
    host.readFile = (f) => {
      const text = read(f);
      return text !== undefined && f.startsWith(DIST_LIB + path.sep) && f.endsWith(".d.ts") ? narrowTfjsTypes(text) : text;
    };
    const index = path.join(DIST_LIB, "index.d.ts");
    expect(fs.existsSync(index)).toBe(true); // npm run build
    const program = ts.createProgram([index], opts, host);
    const ours = program.getSourceFiles().filter((f) => f.fileName.startsWith(DIST_LIB + path.sep));
    expect(ours.length).toBeGreaterThan(20);
    // The narrowed files really are read: none of them reaches tfjs-layers.
    expect(program.getSourceFiles().some((f) => /@tensorflow\/tfjs-layers\//.test(f.fileName))).toBe(false);
    const errors = ours.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]);
    expect(errors.map((d) => `${d.file?.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`)).toEqual([]);
  });
});

describe("cells against the narrowed declarations, in the kernel", () => {
  let k: KernelClient;
  beforeAll(async () => {
    k = await KernelClient.start();
  }, 90000);
  afterAll(async () => {
    await k?.close();
  });

  test("an attnlab tensor's chained-op methods type-check with only attnlab imported", async () => {
    const v = await k.value(
      'import { ready, createModel } from "attnlab";\nawait ready();\n' +
        'const m = createModel({ arch: "gpt2", nLayers: 1, dModel: 8, nHeads: 2, dVocab: 10, nCtx: 8 }, { seed: 1 });\n' +
        "const s = m.weights.W_E.square().mean(1).arraySync() as number[];\ns.length",
    );
    expect(v).toBe("10");
  }, 120000);

  test("a cell importing @tensorflow/tfjs gets its whole API, and its tensors go into attnlab", async () => {
    const v = await k.value(
      'import * as tf from "@tensorflow/tfjs";\nconst layer: tf.layers.Layer = tf.layers.dense({ units: 2 });\n' +
        "const x: tf.Tensor2D = tf.ones([1, 8]);\nconst t: typeof m.weights.W_E = x;\n[layer.name.length > 0, t.shape.join(\",\")].join(\" \")",
    );
    expect(v).toBe("'true 1,8'");
  }, 120000);

  test("a name tfjs-core lacks is a type error on attnlab's tensors (not any)", async () => {
    const r = await k.execute("m.weights.W_E.noSuchMethod()", { stop_on_error: false });
    expect(r.reply.content.status).toBe("error");
    expect(r.reply.content.evalue).toMatch(/noSuchMethod/);
  }, 120000);
});
