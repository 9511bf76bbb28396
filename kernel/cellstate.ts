/**
 * What a cell that failed or was interrupted leaves behind, as in ipykernel: every declaration
 * that ran keeps its value and type for the next cells; declarations the cell never reached are
 * not defined (or keep what an earlier cell gave them).
 *
 * tslab compiles `const x = ...` to `const x = ...; exports.x = x;` and starts the output with
 * `exports.x = exports.y = void 0;` for every top-level value the cell declares. That header
 * would wipe earlier values of redeclared names before the cell runs, so it is removed (the names
 * it lists are the cell's declarations); which of them the cell assigned is recorded at run time.
 * The type declarations (tslab's `declOutput`, a .d.ts text carried from cell to cell) are then
 * trimmed to the names that ran, and names that did not run keep an earlier cell's declaration.
 */
import * as ts from "typescript";

const HEADER = /^(?:exports\.[\w$]+ = )+void 0;$/;

/** Removes the `exports.a = exports.b = void 0;` header lines; returns the code and the names. */
export function stripExportHeader(output: string): { code: string; names: string[] } {
  const lines = output.split("\n");
  const names: string[] = [];
  // The header sits right after the `__esModule` marker (helpers such as __importStar come before).
  const marker = lines.findIndex((l) => l.startsWith('Object.defineProperty(exports, "__esModule"'));
  if (marker < 0) return { code: output, names };
  let i = marker + 1;
  while (i < lines.length && HEADER.test(lines[i])) {
    for (const m of lines[i].matchAll(/exports\.([\w$]+) = /g)) names.push(m[1]);
    lines[i] = ""; // keep the line count: source maps still apply
    i++;
  }
  return { code: lines.join("\n"), names };
}

/** Names a top-level declaration statement of a .d.ts text declares (as values or types). */
function declaredNames(stmt: any): string[] {
  if (ts.isVariableStatement(stmt)) {
    return stmt.declarationList.declarations.filter((d: any) => ts.isIdentifier(d.name)).map((d: any) => d.name.text);
  }
  if (ts.isImportDeclaration(stmt)) {
    const c = stmt.importClause;
    if (!c) return [];
    const out: string[] = [];
    if (c.name) out.push(c.name.text);
    const b = c.namedBindings;
    if (b && ts.isNamespaceImport(b)) out.push(b.name.text);
    if (b && ts.isNamedImports(b)) for (const e of b.elements) out.push(e.name.text);
    return out;
  }
  if (stmt.name && ts.isIdentifier(stmt.name)) return [stmt.name.text];
  return [];
}

/** The statement's text keeping only `keep` among the names it declares ("" for none). */
function printKeeping(stmt: any, sf: any, keep: (name: string) => boolean): string {
  const names = declaredNames(stmt);
  if (names.length === 0 || names.every(keep)) return stmt.getText(sf);
  if (!names.some(keep)) return "";
  if (ts.isVariableStatement(stmt)) {
    const list = stmt.declarationList;
    const kind = list.flags & ts.NodeFlags.Const ? "const" : list.flags & ts.NodeFlags.Let ? "let" : "var";
    const decls = list.declarations.filter((d: any) => ts.isIdentifier(d.name) && keep(d.name.text)).map((d: any) => d.getText(sf));
    return `declare ${kind} ${decls.join(", ")};`;
  }
  if (ts.isImportDeclaration(stmt)) {
    const c = stmt.importClause!; // only imports that declare names (declaredNames) are printed
    const from = stmt.moduleSpecifier.getText(sf);
    const parts: string[] = [];
    if (c.name && keep(c.name.text)) parts.push(c.name.text);
    const b = c.namedBindings;
    const out: string[] = [];
    if (b && ts.isNamespaceImport(b) && keep(b.name.text)) out.push(`import * as ${b.name.text} from ${from};`);
    if (b && ts.isNamedImports(b)) {
      const els = b.elements.filter((e: any) => keep(e.name.text)).map((e: any) => e.getText(sf));
      if (els.length > 0) parts.push(`{ ${els.join(", ")} }`);
    }
    if (parts.length > 0) out.unshift(`import ${parts.join(", ")} from ${from};`);
    return out.join("\n");
  }
  return "";
}

function statements(text: string): { sf: any; stmts: any[] } {
  const sf = ts.createSourceFile("decls.d.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  return { sf, stmts: Array.from(sf.statements) };
}

/**
 * The declarations after a cell that stopped early: the cell's new declarations without the
 * names it never assigned (`unreached`), plus the earlier declarations of those names.
 */
export function mergeDecls(newDecl: string, oldDecl: string, unreached: Set<string>): string {
  if (unreached.size === 0) return newDecl;
  const fresh = statements(newDecl);
  const kept = fresh.stmts.map((s) => printKeeping(s, fresh.sf, (n) => !unreached.has(n))).filter((t) => t);
  const old = statements(oldDecl);
  const restored = old.stmts
    .filter((s) => declaredNames(s).some((n) => unreached.has(n)))
    .map((s) => printKeeping(s, old.sf, (n) => unreached.has(n)))
    .filter((t) => t);
  return [...kept, ...restored].join("\n") + "\n";
}
