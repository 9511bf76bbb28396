/**
 * The teaching models attnlab trains itself and ships in models/NAME (HF layout: config.json,
 * model.safetensors, tokenizer files, README.md model card). `loadModel(name)` reads them from the
 * package's own folder, so it never touches the network.
 */
import * as fs from "fs";
import * as path from "path";
import type { TransformerModel } from "./model/types";
import { loadPretrained } from "./pretrained";

export interface ShippedModel {
  name: string;
  arch: "gpt2" | "bert";
  description: string;
  /** The script that trains it, relative to the package root. */
  trainScript: string;
}

export const SHIPPED_MODELS: readonly ShippedModel[] = [
  {
    name: "attn-only-2l",
    arch: "gpt2",
    description: "2-layer attention-only GPT-2 with a previous-token head (layer 0) and an induction head (layer 1)",
    trainScript: "scripts/train/attn-only-2l.ts",
  },
  {
    name: "brown-gpt",
    arch: "gpt2",
    description: "4-layer GPT-2 language model of the Brown corpus (4096-token byte-level BPE)",
    trainScript: "scripts/train/brown-gpt.ts",
  },
  {
    name: "facts-gpt",
    arch: "gpt2",
    description: "brown-gpt further trained on Brown text mixed with real-world fact sentences (for causal tracing)",
    trainScript: "scripts/train/facts-gpt.ts",
  },
  {
    name: "brown-bert",
    arch: "bert",
    description: "4-layer BERT masked-language model of the Brown corpus (4096-token WordPiece)",
    trainScript: "scripts/train/brown-bert.ts",
  },
];

/** The package root: the nearest folder above this file holding attnlab's package.json and models/. */
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

export function modelsDir(): string {
  return path.join(packageRoot(), "models");
}

function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, "config.json")) && fs.existsSync(path.join(dir, "model.safetensors"));
}

/** Shipped models whose weights are present in this checkout. */
export function listModels(): (ShippedModel & { path: string })[] {
  return SHIPPED_MODELS.map((m) => ({ ...m, path: path.join(modelsDir(), m.name) })).filter((m) => isComplete(m.path));
}

/** The folder of a shipped model; throws naming the known models when `name` is not one. */
export function modelPath(name: string): string {
  const known = listModels().map((m) => m.name);
  if (typeof name !== "string" || !known.includes(name)) {
    const planned = SHIPPED_MODELS.find((m) => m.name === name);
    const why = planned ? `its weights are missing from ${modelsDir()} (train it with ${planned.trainScript})` : "it is not a shipped model";
    throw new Error(`loadModel: name must be one of ${known.map((k) => `"${k}"`).join(", ") || "(none present)"}; got ${JSON.stringify(name)}: ${why}`);
  }
  return path.join(modelsDir(), name);
}

/** Loads a shipped teaching model (weights + tokenizer) from the package, with no network. */
export async function loadModel(name: string): Promise<TransformerModel> {
  return loadPretrained(modelPath(name), { bundled: false });
}
