/**
 * Runs TypeScript cells through tslab's converter and executor (used as a library):
 * state persists across cells, top-level await works, type errors come back with the
 * cell's line and column. tslab's executor reports through a console we pass in; that
 * console is the seam where we collect the last value, diagnostics and thrown errors.
 *
 * The declarations carried from cell to cell (tslab's `prevDecl`) are kept here rather than in
 * tslab's executor, which forgets a cell's declarations when it throws: see cellstate.ts.
 */
import * as path from "path";
import * as vm from "vm";
import { inspect } from "util";
import { installTypeScriptResolution, PROJECT_ROOT } from "./resolve";
import { mergeDecls, stripExportHeader } from "./cellstate";
import { cellPosition, parseMap, type CellMap } from "./sourcemap";
import { installTypeScriptForTslab, ts } from "./tsadapter";

// tslab's converter then gets the project's TypeScript (its converter patches ts.sys globally).
installTypeScriptForTslab();
import type { Converter } from "tslab/dist/converter";
import type { Executor } from "tslab/dist/executor";
const { createConverter, isCompleteCode } = require("tslab/dist/converter") as typeof import("tslab/dist/converter");
const { createExecutor } = require("tslab/dist/executor") as typeof import("tslab/dist/executor");
const { printQuickInfo } = require("tslab/dist/inspect") as typeof import("tslab/dist/inspect");

export interface CellError {
  ename: string;
  evalue: string;
  traceback: string[];
}

export type Outcome = { ok: true; hasValue: boolean; value: unknown } | ({ ok: false } & CellError);

interface Sink {
  hasValue: boolean;
  value: unknown;
  diagnostics: string[];
  errors: unknown[];
}

const INTERNAL_FRAME = /node_modules[\\/]tslab[\\/]|dist[\\/]kernel[\\/]|[\\/]kernel[\\/]\w+\.ts:|attnlab-guard|node:internal|\(node:|^\s*at new Promise \(<anonymous>\)$/;
const CELL_FRAME = /(?:\((cell-(\d+)):(\d+):(\d+)\)|at (cell-(\d+)):(\d+):(\d+))$/;

/** Cell scripts run so far, by the file name their frames carry (`cell-N`); the last 500 kept. */
const cellMaps = new Map<string, CellMap & { label: string }>();

function cellFrame(line: string): string | undefined {
  const m = CELL_FRAME.exec(line);
  if (!m) return undefined;
  const file = m[1] ?? m[5];
  const map = cellMaps.get(file);
  const [l, c] = [Number(m[3] ?? m[7]), Number(m[4] ?? m[8])];
  const fn = /^\s*at (?:async )?([^\s(]+) \(/.exec(line)?.[1];
  const where = fn && fn !== "<anonymous>" && !fn.startsWith("exports") ? ` in ${fn}` : "";
  const pos = map ? cellPosition(map, l, c) : undefined;
  if (!map || !pos) return `  ${map?.label ?? "cell"}${where}`;
  const text = map.source.split("\n")[pos.line - 1] ?? "";
  // The executor's own wrapper call (after the cell's last line) is not the user's code.
  if (!text.trim()) return "";
  return `  ${map.label}, line ${pos.line}${where}:\n    ${text.trim()}`;
}

export function describeError(e: unknown): CellError {
  if (e instanceof Error || (e !== null && typeof e === "object" && "stack" in e && "message" in e)) {
    const err = e as Error & { code?: string };
    if (err.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED" || err.message === "Interrupted asynchronously") {
      return { ename: "Interrupted", evalue: "Execution interrupted (SIGINT)", traceback: ["Interrupted: execution interrupted (SIGINT); variables are kept"] };
    }
    let lines = String(err.stack ?? `${err.name}: ${err.message}`).split("\n");
    // Node prefixes errors from vm scripts with the compiled source line and a caret: drop it.
    const start = lines.findIndex((l) => l.startsWith(String(err.name)));
    if (start > 0) lines = lines.slice(start);
    const frameAt = lines.findIndex((l, i) => i > 0 && /^\s+at /.test(l));
    const head = frameAt < 0 ? lines : lines.slice(0, frameAt);
    const frames = frameAt < 0 ? [] : lines.slice(frameAt);
    // The user's lines first (innermost first, source-mapped to their cells), then the library's.
    const cells: string[] = [];
    const library: string[] = [];
    for (const f of frames) {
      const c = cellFrame(f);
      if (c) cells.push(c);
      else if (c === "") continue;
      else if (!INTERNAL_FRAME.test(f)) library.push(f.split(PROJECT_ROOT + path.sep).join("attnlab/").replace(/evalmachine\.<anonymous>(:\d+:\d+)?/g, "<cell>"));
    }
    const traceback = [...head, ...cells, ...(library.length > 0 && cells.length > 0 ? ["  called from the cell into:"] : []), ...library];
    return { ename: err.name || err.constructor?.name || "Error", evalue: String(err.message), traceback };
  }
  const shown = inspect(e, { depth: 2 });
  return { ename: "Uncaught", evalue: shown, traceback: [`Uncaught ${shown}`] };
}

/**
 * tslab rewrites references to earlier cells' variables as `exports.name`, but misses
 * shorthand properties: `{ tokens }` stays as is and throws a ReferenceError at run time.
 * `{ x }` means `{ x: x }` everywhere (object literals and destructuring assignments), so
 * when a cell has shorthands and type-checks, it is converted again spelled out; the
 * diagnostics of the first conversion keep the user's own line and column.
 */
function expandShorthands(src: string): string | undefined {
  const sf = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { pos: number; text: string }[] = [];
  const visit = (node: any): void => {
    if (ts.isShorthandPropertyAssignment(node)) edits.push({ pos: node.name.getEnd(), text: `: ${node.name.text}` });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (edits.length === 0) return undefined;
  let out = src;
  for (const e of edits.sort((a, b) => b.pos - a.pos)) out = out.slice(0, e.pos) + e.text + out.slice(e.pos);
  return out;
}

function withShorthandFix(conv: Converter): Converter {
  const convert = conv.convert.bind(conv);
  conv.convert = (prevDecl: string, src: string) => {
    const first = convert(prevDecl, src);
    if (first.diagnostics.length > 0) return first;
    const expanded = expandShorthands(src);
    return expanded === undefined ? first : convert(prevDecl, expanded);
  };
  return conv;
}

const INLINE_MAP = /\n\/\/# sourceMappingURL=data:application\/json;base64,([A-Za-z0-9+/=]+)[ \t]*(?=\n|$)/g;

/** The output without its inline maps, and the maps (stage 1 = to the cell, stage 2 = to stage 1). */
function takeMaps(output: string): { code: string; toCell?: string; toEsm?: string } {
  const found = [...output.matchAll(INLINE_MAP)].map((m) => Buffer.from(m[1], "base64").toString("utf8"));
  const code = output.replace(INLINE_MAP, "\n");
  if (found.length < 2) return { code };
  return { code, toCell: found[found.length - 2], toEsm: found[found.length - 1] };
}

/** Both compile stages (TypeScript -> ES module -> CommonJS) end their output with an inline source map (tsadapter.ts). */
function createMappedConverter(): Converter {
  return createConverter({ isJS: false, isBrowser: false });
}

const TRACK = Symbol.for("attnlab.track");
const TRACKER = "exports = globalThis[Symbol.for('attnlab.track')](exports); ";
const WRAP_SYNC = "(function(exports, require) { ";
const WRAP_ASYNC = "(async function(exports, require) { ";

/** Names the running cell assigned on tslab's exports (its variables), recorded by a proxy the cell installs. */
let assigned = new Set<string>();
(globalThis as unknown as Record<symbol, unknown>)[TRACK] = (target: object) =>
  new Proxy(target, {
    defineProperty(t, p, d) {
      if (typeof p === "string") assigned.add(p);
      return Reflect.defineProperty(t, p, d);
    },
  });

/** Names the cell script `cell-N` so its frames can be told apart and mapped (tslab passes no file name). */
let nextScriptName: string | undefined;
// The module object itself (tslab calls vm.runInThisContext on it), not TypeScript's import wrapper.
const vmModule = require("vm") as typeof vm;
const runInThisContext = vmModule.runInThisContext;
vmModule.runInThisContext = (code: string, options?: vm.RunningScriptOptions | string) => {
  if (typeof options === "object" && options.breakOnSigint && (code.startsWith(WRAP_SYNC) || code.startsWith(WRAP_ASYNC))) {
    // No breakOnSigint: its watchdog would take SIGINT from the supervisor (see guard.ts).
    options = { ...options, breakOnSigint: false, filename: nextScriptName ?? options.filename };
    nextScriptName = undefined;
  }
  return runInThisContext(code, options);
};

interface Pending {
  declOutput: string;
  names: string[];
}

export class CellExecutor {
  private sink: Sink = { hasValue: false, value: undefined, diagnostics: [], errors: [] };
  private executor: Executor;
  private node: Converter | undefined;
  /** The declarations of every name cells have defined (tslab's prevDecl, kept here: see cellstate.ts). */
  private decl = "";
  private pending: Pending | undefined;
  private cells = 0;
  private label = "cell";
  /** Runs the TypeScript compile where an interrupt must not cut it (the kernel hands in the supervisor's). */
  critical: <T>(fn: () => T) => T = (fn) => fn();
  /** tslab's own convert, for warm-up compiles that must leave no trace in the cells' state. */
  private rawConvert: Converter["convert"] | undefined;
  /**
   * Side-effect imports (`import "attnlab";`) put before the declarations every compile starts
   * from: they keep a module's types in the TypeScript program from cell to cell (see keepTypes).
   */
  private typeRoots = "";

  constructor(rootDir: string = process.cwd()) {
    installTypeScriptResolution(ts.sys);
    const self = this;
    const convs = {
      get node(): Converter {
        self.warmUp();
        return self.node!;
      },
      get browser(): Converter {
        throw new Error("browser-mode cells (//%browser) are not supported by attnlab");
      },
      close(): void {
        self.node?.close();
      },
    };
    this.executor = createExecutor(rootDir, convs, {
      log: (value: unknown) => {
        this.sink.hasValue = true;
        this.sink.value = value;
      },
      error: (first: unknown, ...rest: unknown[]) => {
        if (first === "%s%d:%d - %s") {
          const [file, line, col, text] = rest;
          this.sink.diagnostics.push(`${file}${line}:${col} - ${text}`);
        } else {
          this.sink.errors.push(first);
        }
      },
    });
  }

  /**
   * Builds the TypeScript program (about 1 s). The kernel calls this right after its first
   * kernel_info_reply so that the reply is not held up by it, and the first cell need not pay it.
   */
  warmUp(): void {
    if (!this.node) this.node = this.withKeptDecls(withShorthandFix(this.critical(() => createMappedConverter())));
  }

  /**
   * Compiles `import * as m from "<spec>"` once, outside any cell (no name, no declaration, no
   * counter is touched), and from then on keeps the module's types in the program: every compile
   * starts from `import "<spec>";` before the cells' declarations. Without that, a cell that does
   * not import the module drops its files from the program and the next one that does parses them
   * again (attnlab's types with TensorFlow.js' are most of a first import's compile time). The import
   * declares no name, so cells see nothing new, except global types the module's own typings
   * declare (TensorFlow.js' reference to @webgpu/types), which an attnlab import brings anyway.
   * Returns whether the module's types compiled; if not, nothing is kept.
   */
  keepTypes(spec: string): boolean {
    this.warmUp();
    const line = `import ${JSON.stringify(spec)};\n`;
    if (this.typeRoots.includes(line)) return true;
    const r = this.critical(() => this.rawConvert!(this.typeRoots + this.decl, `import * as attnlab_warm_up from ${JSON.stringify(spec)};\nattnlab_warm_up;\n`));
    if (r.diagnostics.length > 0) return false;
    this.typeRoots += line;
    return true;
  }

  /**
   * Every conversion starts from our declarations, whatever tslab's executor passes; the output
   * loses its `exports.x = void 0` header, records what it assigns, and is named and mapped.
   */
  private withKeptDecls(conv: Converter): Converter {
    const convert = conv.convert.bind(conv);
    const complete = conv.complete.bind(conv);
    const inspectAt = conv.inspect.bind(conv);
    this.rawConvert = convert;
    conv.complete = (_prev, src, pos) => this.critical(() => complete(this.typeRoots + this.decl, src, pos));
    conv.inspect = (_prev, src, pos) => this.critical(() => inspectAt(this.typeRoots + this.decl, src, pos));
    conv.convert = (_prev: string, src: string) => {
      const r = this.critical(() => convert(this.typeRoots + this.decl, src));
      if (r.diagnostics.length > 0) return r;
      this.pending = { declOutput: r.declOutput ?? "", names: [] };
      if (!r.output) return r;
      const maps = takeMaps(r.output);
      const { code, names } = stripExportHeader(maps.code);
      this.pending.names = names;
      assigned = new Set();
      const file = `cell-${++this.cells}`;
      cellMaps.set(file, {
        toEsm: parseMap(maps.toEsm),
        toCell: parseMap(maps.toCell),
        prefixLines: 1,
        firstLineShift: (r.hasToplevelAwait ? WRAP_ASYNC : WRAP_SYNC).length + TRACKER.length,
        source: src,
        label: this.label,
      });
      if (cellMaps.size > 500) cellMaps.delete(cellMaps.keys().next().value as string);
      nextScriptName = file;
      return { ...r, output: TRACKER + code };
    };
    return conv;
  }

  /** Variables defined by cells (for tests and inspection). */
  get locals(): Record<string, unknown> {
    return this.executor.locals;
  }

  /** Runs a cell; `label` names it in tracebacks (the kernel passes `cell [execution count]`). */
  async execute(code: string, label = "cell"): Promise<Outcome> {
    const sink: Sink = (this.sink = { hasValue: false, value: undefined, diagnostics: [], errors: [] });
    this.label = label;
    this.pending = undefined;
    let ok = false;
    try {
      ok = await this.executor.execute(code);
    } finally {
      nextScriptName = undefined;
      this.keepDecls(ok && sink.errors.length === 0 && sink.diagnostics.length === 0);
    }
    if (sink.diagnostics.length > 0) {
      return { ok: false, ename: "TypeScriptError", evalue: sink.diagnostics.join("\n"), traceback: sink.diagnostics.map((d) => `error ${d}`) };
    }
    if (!ok || sink.errors.length > 0) {
      return { ok: false, ...describeError(sink.errors.length > 0 ? sink.errors[0] : new Error("execution failed")) };
    }
    return { ok: true, hasValue: sink.hasValue, value: sink.value };
  }

  /**
   * After a cell: a cell that ran to the end defines all it declared; one that threw or was
   * interrupted defines what it assigned before it stopped, and the rest keep earlier values.
   */
  private keepDecls(completed: boolean): void {
    const p = this.pending;
    this.pending = undefined;
    if (!p) return;
    if (completed) {
      this.decl = p.declOutput;
      return;
    }
    const unreached = new Set(p.names.filter((n) => !assigned.has(n) && n !== "tsLastExpr"));
    try {
      this.decl = mergeDecls(p.declOutput, this.decl, unreached);
    } catch {
      /* keep the previous declarations */
    }
  }

  /** After the supervisor cut the running cell together with our frames: keep what it assigned. */
  abandon(): void {
    nextScriptName = undefined;
    this.keepDecls(false);
  }

  /** Rejects the pending await of the running cell (a synchronous loop is stopped by breakOnSigint). */
  interrupt(): void {
    this.executor.interrupt();
  }

  isComplete(code: string): { status: "complete" | "incomplete"; indent?: string } {
    const r = isCompleteCode(code);
    return r.completed ? { status: "complete" } : { status: "incomplete", indent: r.indent ?? "" };
  }

  complete(code: string, pos: number): { matches: string[]; cursor_start: number; cursor_end: number } {
    const info = this.executor.complete(code, pos);
    return { matches: info.candidates, cursor_start: info.start, cursor_end: info.end };
  }

  inspect(code: string, pos: number): string | undefined {
    const info = this.executor.inspect(code, pos);
    return info ? printQuickInfo(info) : undefined;
  }

  close(): void {
    this.executor.close();
  }
}
