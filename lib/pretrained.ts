/**
 * loadPretrained: a GPT-2 or BERT checkpoint (config.json + model.safetensors + tokenizer files)
 * from a local folder, a model bundled in the project venv, or the Hugging Face hub (cached).
 * Either a whole model comes back or an error saying which file is wrong and where; the
 * model's tensors are freed by modelFromHF when building fails part-way.
 */
import * as fs from "fs";
import * as path from "path";
import { ready } from "./backend";
import { modelFromHF } from "./model/hf";
import type { TransformerModel } from "./model/types";
import { openSafetensors } from "./io/safetensors";
import { checkModelName, HubOptions, hubCacheFolder, hubFile, resolveHubOptions } from "./io/hub";
import { findBundledModel } from "./io/bundled";
import { loadTokenizer, AnyTokenizer } from "./tokenizers/load";

export interface PretrainedOptions extends HubOptions {
  /** Load the tokenizer too (default true); a checkpoint without tokenizer files loads without one. */
  tokenizer?: boolean;
  /** Look for models shipped by a package in the venv before the hub (default true). */
  bundled?: boolean;
}

const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"];

/** Where the checkpoint came from, for error messages and the model's name. */
export interface ResolvedCheckpoint {
  dir: string;
  source: "local" | "bundled" | "hub";
}

function looksLikePath(s: string): boolean {
  return s.startsWith(".") || s.startsWith("/") || s.startsWith("~") || /^[A-Za-z]:[\\/]/.test(s) || s.includes("\\");
}

async function fetchFromHub(name: string, opts: PretrainedOptions): Promise<string> {
  const o = resolveHubOptions(opts);
  const folder = hubCacheFolder(name, o);
  if (o.offline && !fs.existsSync(path.join(folder, "config.json"))) {
    throw new Error(`loadPretrained: model "${name}" (revision ${o.revision}) is not in the cache at ${folder} and offline mode is on (HF_HUB_OFFLINE=1 or offline: true); run once online, or pass a local folder`);
  }
  await hubFile(name, "config.json", o);
  // Offline, a missing weights file is a cache miss, not a sign of another checkpoint format.
  const weights = await hubFile(name, "model.safetensors", o, !o.offline);
  if (!weights) {
    const sharded = await hubFile(name, "model.safetensors.index.json", o, true);
    throw new Error(
      sharded
        ? `loadPretrained: "${name}" is a sharded checkpoint (model.safetensors.index.json); attnlab loads single-file model.safetensors only`
        : `loadPretrained: "${name}" has no model.safetensors (at ${o.endpoint}/${name}, revision ${o.revision}); attnlab does not read pytorch_model.bin`,
    );
  }
  if (opts.tokenizer !== false) {
    const found = await Promise.all(TOKENIZER_FILES.map((f) => hubFile(name, f, o, true)));
    if (!found[0]) {
      // Older checkpoints have only the legacy vocabulary files.
      const vocabJson = await hubFile(name, "vocab.json", o, true);
      if (vocabJson) await hubFile(name, "merges.txt", o, true);
      else await hubFile(name, "vocab.txt", o, true);
    }
  }
  return folder;
}

/** Finds (and downloads, if needed) the folder holding the checkpoint. */
export async function resolveCheckpoint(pathOrName: string, opts: PretrainedOptions = {}): Promise<ResolvedCheckpoint> {
  if (typeof pathOrName !== "string" || pathOrName.trim() === "") {
    throw new Error(`loadPretrained: pathOrName must be a folder path or a hub name like "gpt2"; got ${JSON.stringify(pathOrName)}`);
  }
  const expanded = pathOrName.startsWith("~") ? path.join(process.env.HOME ?? "", pathOrName.slice(1)) : pathOrName;
  if (fs.existsSync(expanded)) {
    if (!fs.statSync(expanded).isDirectory()) throw new Error(`loadPretrained: ${expanded} is a file; pass the folder that holds config.json and model.safetensors`);
    return { dir: path.resolve(expanded), source: "local" };
  }
  if (looksLikePath(pathOrName)) throw new Error(`loadPretrained: no such folder ${path.resolve(expanded)}`);
  checkModelName(pathOrName);
  if (opts.bundled !== false) {
    const dir = findBundledModel(pathOrName);
    if (dir) return { dir, source: "bundled" };
  }
  return { dir: await fetchFromHub(pathOrName, opts), source: "hub" };
}

function readConfig(dir: string): unknown {
  const file = path.join(dir, "config.json");
  if (!fs.existsSync(file)) throw new Error(`loadPretrained: config.json is missing from ${dir}`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new Error(`loadPretrained: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

function hasTokenizerFiles(dir: string): boolean {
  return ["tokenizer.json", "vocab.json", "vocab.txt"].some((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * Loads a GPT-2 or BERT checkpoint as a TransformerModel.
 * `pathOrName`: a folder with config.json + model.safetensors (+ tokenizer files), or a hub name.
 */
export async function loadPretrained(pathOrName: string, opts: PretrainedOptions = {}): Promise<TransformerModel> {
  const { dir, source } = await resolveCheckpoint(pathOrName, opts);
  const config = readConfig(dir);
  const weightsFile = path.join(dir, "model.safetensors");
  if (!fs.existsSync(weightsFile)) {
    const other = ["pytorch_model.bin", "model.safetensors.index.json", "tf_model.h5"].filter((f) => fs.existsSync(path.join(dir, f)));
    throw new Error(`loadPretrained: model.safetensors is missing from ${dir}${other.length ? ` (found ${other.join(", ")}, which attnlab does not read)` : ""}`);
  }
  let tokenizer: AnyTokenizer | undefined;
  if (opts.tokenizer !== false && hasTokenizerFiles(dir)) {
    try {
      tokenizer = loadTokenizer(dir);
    } catch (e) {
      throw new Error(`loadPretrained: tokenizer in ${dir}: ${(e as Error).message}`);
    }
  }
  // Read tensor by tensor as the model takes them (not the whole file into memory first).
  const { tensors } = openSafetensors(weightsFile);
  await ready();
  try {
    const named = source === "hub" || source === "bundled" ? { ...(config as object), _name_or_path: pathOrName } : config;
    return modelFromHF(named, tensors, tokenizer);
  } catch (e) {
    throw new Error(`loadPretrained: ${weightsFile}: ${(e as Error).message}`);
  }
}
