/**
 * Runs TypeScript cells through tslab's converter and executor (used as a library):
 * state persists across cells, top-level await works, type errors come back with the
 * cell's line and column. tslab's executor reports through a console we pass in; that
 * console is the seam where we collect the last value, diagnostics and thrown errors.
 */
import * as path from "path";
import { inspect } from "util";
import { installTypeScriptResolution } from "./resolve";

// Same module instances as tslab's own requires (its converter patches ts.sys globally).
const tslabDir = path.dirname(require.resolve("tslab/package.json"));
const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] }));
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

const INTERNAL_FRAME = /node_modules[\\/]tslab[\\/]|dist[\\/]kernel[\\/]|node:internal|\(node:|^\s*at new Promise \(<anonymous>\)$/;

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
    const kept = lines.filter((l, i) => i === 0 || !INTERNAL_FRAME.test(l)).map((l) => l.replace(/evalmachine\.<anonymous>(:\d+:\d+)?/g, "<cell>"));
    // Positions in cell frames are dropped: they count lines of tslab's compiled JavaScript.
    return { ename: err.name || err.constructor?.name || "Error", evalue: String(err.message), traceback: kept };
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

export class CellExecutor {
  private sink: Sink = { hasValue: false, value: undefined, diagnostics: [], errors: [] };
  private executor: Executor;
  private node: Converter | undefined;

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
    if (!this.node) this.node = withShorthandFix(createConverter({ isJS: false, isBrowser: false }));
  }

  /** Variables defined by cells (for tests and inspection). */
  get locals(): Record<string, unknown> {
    return this.executor.locals;
  }

  async execute(code: string): Promise<Outcome> {
    const sink: Sink = (this.sink = { hasValue: false, value: undefined, diagnostics: [], errors: [] });
    const ok = await this.executor.execute(code);
    if (sink.diagnostics.length > 0) {
      return { ok: false, ename: "TypeScriptError", evalue: sink.diagnostics.join("\n"), traceback: sink.diagnostics.map((d) => `error ${d}`) };
    }
    if (!ok || sink.errors.length > 0) {
      return { ok: false, ...describeError(sink.errors.length > 0 ? sink.errors[0] : new Error("execution failed")) };
    }
    return { ok: true, hasValue: sink.hasValue, value: sink.value };
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
