/**
 * Cell line numbers in runtime tracebacks. tslab compiles a cell in two stages (TypeScript ->
 * ES module JavaScript -> CommonJS), each of which moves lines; both stages are asked for
 * source maps (see execute.ts) and a frame `evalmachine.<anonymous>:L:C` of the running cell is
 * mapped back through both to the cell's own line and column.
 */

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** [generated column, original line, original column] per segment, one array per generated line (0-based). */
export type Segments = [number, number, number][][];

/** Decodes a v3 source map's `mappings` (one source assumed: cells and their stages have one). */
export function decodeMappings(mappings: string): Segments {
  const lines: Segments = [];
  let srcLine = 0;
  let srcCol = 0;
  for (const lineText of mappings.split(";")) {
    const segs: [number, number, number][] = [];
    let genCol = 0;
    for (const seg of lineText.split(",")) {
      if (!seg) continue;
      const v: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          v.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      genCol += v[0];
      if (v.length >= 4) {
        srcLine += v[2];
        srcCol += v[3];
        segs.push([genCol, srcLine, srcCol]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

/** The original (line, column), 0-based, of a generated position; the nearest segment at or before it. */
export function lookup(map: Segments, line: number, col: number): { line: number; col: number } | undefined {
  for (let l = Math.min(line, map.length - 1); l >= 0; l--) {
    const segs = map[l];
    let best: [number, number, number] | undefined;
    for (const s of segs) if (l < line || s[0] <= col) best = s;
    if (!best && l === line && segs.length > 0) best = segs[0];
    if (best) return { line: best[1], col: best[2] };
  }
  return undefined;
}

export function parseMap(json: string | undefined): Segments | undefined {
  if (!json) return undefined;
  try {
    return decodeMappings(String(JSON.parse(json).mappings ?? ""));
  } catch {
    return undefined;
  }
}

/** How one cell's running JavaScript maps back to its TypeScript. */
export interface CellMap {
  /** CommonJS -> ES module JavaScript. */
  toEsm?: Segments;
  /** ES module JavaScript -> the cell (with the converter's one-line `export {};` prefix). */
  toCell?: Segments;
  /** Lines the converter puts before the cell's first line. */
  prefixLines: number;
  /** Characters the executor and kernel put before the output on its first line. */
  firstLineShift: number;
  /** The cell's source, to quote the line. */
  source: string;
}

/** 1-based cell line and column for a 1-based frame position of the running cell's script. */
export function cellPosition(m: CellMap, line: number, col: number): { line: number; col: number } | undefined {
  let l = line - 1;
  let c = col - 1 - (l === 0 ? m.firstLineShift : 0);
  if (m.toEsm) {
    const p = lookup(m.toEsm, l, Math.max(c, 0));
    if (!p) return undefined;
    ({ line: l, col: c } = p);
  }
  if (!m.toCell) return undefined;
  const p = lookup(m.toCell, l, Math.max(c, 0));
  if (!p || p.line < m.prefixLines) return undefined;
  return { line: p.line - m.prefixLines + 1, col: p.col + 1 };
}
