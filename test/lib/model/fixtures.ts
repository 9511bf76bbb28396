/** Loading the HF fixtures made by scripts/make_model_fixtures.py (not a test file itself). */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { readSafetensors } from "../../../lib/io/safetensors";
import type { HFTensor } from "../../../lib/model/hf";
import type { TokenBatch } from "../../../lib/model/types";

export const FIX = path.join(__dirname, "..", "..", "fixtures", "models");

export interface FixtureModel {
  name: string;
  arch: "gpt2" | "bert";
  class: string;
  cases: string[];
}

export function fixtureIndex(): { models: FixtureModel[]; tolerance: number } {
  const file = path.join(FIX, "index.json");
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run scripts/setup.sh (step 60-model-fixtures)`);
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

export function loadCheckpoint(name: string): { config: Record<string, unknown>; tensors: Map<string, HFTensor> } {
  const dir = path.join(FIX, name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
  return { config, tensors: readSafetensors(path.join(dir, "model.safetensors")).tensors as Map<string, HFTensor> };
}

export interface RefCase {
  batch: TokenBatch;
  logits: tf.Tensor;
  hidden: tf.Tensor; // [n_layers+1, batch, pos, d]
  attn: tf.Tensor; // [n_layers, batch, head, q, k]
}

export function loadReference(name: string, arch: "gpt2" | "bert", caseName: string): RefCase {
  const t = readSafetensors(path.join(FIX, name, "reference.safetensors")).tensors;
  const g = (k: string) => {
    const x = t.get(`${caseName}.${k}`);
    if (!x) throw new Error(`reference ${name}: no ${caseName}.${k}`);
    return x;
  };
  const ids = g("ids");
  const shape = ids.shape as [number, number];
  const batch: TokenBatch = {
    ids: Int32Array.from(ids.data),
    shape,
    attentionMask: Int32Array.from(g("mask").data),
  };
  if (arch === "bert") batch.tokenTypeIds = Int32Array.from(g("types").data);
  const f = (k: string) => tf.tensor(g(k).data as Float32Array, g(k).shape);
  return { batch, logits: f("logits"), hidden: f("hidden"), attn: f("attn") };
}

/** Max |a-b| over the rows (batch, pos) whose attention mask is 1; a, b: [batch, pos, ...]. */
export function maskedMaxDiff(a: tf.Tensor, b: tf.Tensor, mask: Int32Array, posAxis = 1): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape mismatch [${a.shape}] vs [${b.shape}]`);
  const da = a.dataSync();
  const db = b.dataSync();
  const p = a.shape[posAxis];
  const inner = a.shape.slice(posAxis + 1).reduce((x, y) => x * y, 1);
  const mid = a.shape.slice(1, posAxis).reduce((x, y) => x * y, 1); // e.g. heads for [batch, head, q, k]
  let max = 0;
  for (let i = 0; i < da.length; i++) {
    const pos = Math.floor(i / inner) % p;
    const batch = Math.floor(i / (inner * p * mid));
    if (mask[batch * p + pos] === 0) continue;
    const d = Math.abs(da[i] - db[i]);
    if (!(d <= max)) max = d; // NaN propagates as a failure
  }
  return max;
}
