/** Turning ModelInput into a validated TokenBatch (right padding, attention mask). */
import type { ModelConfig, ModelInput, TokenBatch, Tokenizer } from "./types";

function padId(cfg: ModelConfig, tok?: Tokenizer): number {
  return cfg.padTokenId ?? tok?.specialIds.pad ?? 0;
}

/** Right-pads id rows into one batch; padding is marked by attentionMask = 0. */
export function batchFromRows(rows: number[][], pad: number, where = "input"): TokenBatch {
  if (rows.length === 0) throw new Error(`${where}: expected at least one sequence; got an empty list`);
  const p = Math.max(...rows.map((r) => r.length));
  rows.forEach((r, i) => {
    if (r.length === 0) throw new Error(`${where}[${i}]: sequence is empty; every sequence needs at least one token`);
  });
  const b = rows.length;
  const ids = new Int32Array(b * p).fill(pad);
  const attentionMask = new Int32Array(b * p);
  rows.forEach((r, i) => {
    r.forEach((id, j) => {
      if (typeof id !== "number" || !Number.isInteger(id)) {
        throw new Error(`${where}: token id ${id} at [${i}, ${j}] is not an integer`);
      }
      ids[i * p + j] = id;
      attentionMask[i * p + j] = 1;
    });
  });
  return { ids, shape: [b, p], attentionMask };
}

function checkIds(ids: ArrayLike<number>, cfg: ModelConfig, where: string, p: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= cfg.dVocab) {
      throw new Error(
        `${where}: token id ${id} at [${Math.floor(i / p)}, ${i % p}] is out of range; ids must be integers in [0, ${cfg.dVocab})`,
      );
    }
  }
}

/** Validates a TokenBatch against the model config (shape, id range, context length, mask). */
export function validateBatch(batch: TokenBatch, cfg: ModelConfig, where = "input"): TokenBatch {
  if (!batch.shape || batch.shape.length !== 2) throw new Error(`${where}.shape must be [batch, pos]`);
  const [b, p] = batch.shape;
  if (!Number.isInteger(b) || !Number.isInteger(p) || b < 1 || p < 1) {
    throw new Error(`${where}.shape must be two positive integers; got [${batch.shape.join(", ")}]`);
  }
  if (p > cfg.nCtx) throw new Error(`${where}: sequence length ${p} exceeds the model's context length nCtx = ${cfg.nCtx}`);
  const n = b * p;
  if (!batch.ids || batch.ids.length !== n) {
    throw new Error(`${where}.ids has length ${batch.ids?.length}; expected batch*pos = ${b}*${p} = ${n}`);
  }
  if (!batch.attentionMask || batch.attentionMask.length !== n) {
    throw new Error(`${where}.attentionMask has length ${batch.attentionMask?.length}; expected ${n}`);
  }
  checkIds(batch.ids, cfg, `${where}.ids`, p);
  for (let i = 0; i < b; i++) {
    let seenPad = false;
    for (let j = 0; j < p; j++) {
      const m = batch.attentionMask[i * p + j];
      if (m !== 0 && m !== 1) throw new Error(`${where}.attentionMask[${i}, ${j}] is ${m}; expected 0 or 1`);
      if (j === 0 && m === 0) throw new Error(`${where}.attentionMask: row ${i} starts with padding; attnlab uses right padding (real tokens first)`);
      if (m === 0) seenPad = true;
      else if (seenPad) throw new Error(`${where}.attentionMask: row ${i} has a real token after padding; attnlab uses right padding`);
    }
  }
  if (batch.tokenTypeIds !== undefined) {
    if (cfg.arch !== "bert") throw new Error(`${where}.tokenTypeIds is only for BERT models`);
    if (batch.tokenTypeIds.length !== n) throw new Error(`${where}.tokenTypeIds has length ${batch.tokenTypeIds.length}; expected ${n}`);
    const types = cfg.typeVocabSize ?? 2;
    for (let i = 0; i < n; i++) {
      const t = batch.tokenTypeIds[i];
      if (!Number.isInteger(t) || t < 0 || t >= types) {
        throw new Error(`${where}.tokenTypeIds: value ${t} at index ${i} is out of range [0, ${types})`);
      }
    }
  }
  return batch;
}

function isBatch(x: unknown): x is TokenBatch {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "ids" in x;
}

/** Any ModelInput -> a validated TokenBatch. Texts need a tokenizer. */
export function toTokenBatch(input: ModelInput, cfg: ModelConfig, tok?: Tokenizer, where = "input"): TokenBatch {
  if (isBatch(input)) return validateBatch(input, cfg, where);
  const encode = (s: string, i?: number): number[] => {
    if (!tok) throw new Error(`${where}: text input needs a tokenizer, and this model has none; pass token ids instead`);
    const ids = tok.encode(s).ids;
    if (ids.length === 0) throw new Error(`${where}${i === undefined ? "" : `[${i}]`}: text "${s}" produced no tokens`);
    return ids;
  };
  let rows: number[][];
  if (typeof input === "string") rows = [encode(input)];
  else if (Array.isArray(input) && input.length > 0 && (input as unknown[]).every((x) => typeof x === "number")) rows = [input as number[]];
  else if (Array.isArray(input) && input.length > 0 && (input as unknown[]).every((x) => typeof x === "string")) {
    rows = (input as string[]).map((s, i) => encode(s, i));
  } else if (Array.isArray(input) && input.length > 0 && (input as unknown[]).every((x) => Array.isArray(x))) rows = input as number[][];
  else {
    throw new Error(`${where}: expected a string, string[], number[] (token ids), number[][] or a TokenBatch`);
  }
  return validateBatch(batchFromRows(rows, padId(cfg, tok), where), cfg, where);
}
