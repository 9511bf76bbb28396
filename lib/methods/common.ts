/** Argument checks and input preparation shared by the methods. */
import type { TransformerModel, ModelInput } from "../model/types";

export interface Tensorish {
  data: Float32Array;
  shape: number[];
}

export function checkInt(value: number, lo: number, hi: number, what: string, fn: string): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new Error(`${fn}: ${what} must be an integer in [${lo}, ${hi}]; got ${value}`);
  }
}

export function checkLayer(model: TransformerModel, layer: number, fn: string, what = "layer"): void {
  checkInt(layer, 0, model.config.nLayers - 1, what, fn);
}

export function checkHead(model: TransformerModel, head: number, fn: string): void {
  checkInt(head, 0, model.config.nHeads - 1, "head", fn);
}

/** Resolves a possibly negative position against a sequence length. */
export function resolvePos(pos: number, n: number, fn: string, what = "position"): number {
  const p = pos < 0 ? n + pos : pos;
  if (!Number.isInteger(pos) || p < 0 || p >= n) throw new Error(`${fn}: ${what} must be in [${-n}, ${n - 1}] for a ${n}-token input; got ${pos}`);
  return p;
}

/** One sequence: its ids and display tokens. Rejects batches, since these methods explain one prompt. */
export function prepareSingle(model: TransformerModel, input: string | number[], fn: string): { ids: number[]; tokens: string[] } {
  if (typeof input !== "string" && !(Array.isArray(input) && input.every((x) => typeof x === "number"))) {
    throw new Error(`${fn}: input must be a string or an array of token ids`);
  }
  const batch = model.toTokens(input as ModelInput);
  if (batch.shape[0] !== 1) throw new Error(`${fn}: input must be a single sequence; got ${batch.shape[0]}`);
  const ids = Array.from(batch.ids);
  let tokens: string[];
  try {
    tokens = model.toStrTokens(ids);
  } catch {
    tokens = ids.map(String);
  }
  if (ids.length < 1) throw new Error(`${fn}: input has no tokens`);
  if (ids.length > model.config.nCtx) throw new Error(`${fn}: input has ${ids.length} tokens, more than the model's context of ${model.config.nCtx}`);
  return { ids, tokens };
}

export function assertSameLength(a: number[], b: number[], fn: string, names = ["clean", "corrupted"]): void {
  if (a.length !== b.length) {
    throw new Error(`${fn}: ${names[0]} and ${names[1]} inputs must have the same number of tokens; got ${a.length} and ${b.length}`);
  }
}

/** One prompt (text or ids) or a list of prompts -> a list of prompts. */
export function promptList(inputs: string | number[] | (string | number[])[]): (string | number[])[] {
  if (typeof inputs === "string") return [inputs];
  const arr = inputs as unknown[];
  if (arr.every((x) => typeof x === "number")) return [arr as number[]];
  return arr as (string | number[])[];
}
