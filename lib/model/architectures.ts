/** The architectures attnlab implements, by name (see arch.ts for what a description holds). */
import type { Architecture } from "./arch";
import { BERT } from "./bert";
import { GPT2 } from "./gpt2";
import { LLAMA } from "./llama";
import type { ModelConfig } from "./types";

export const ARCHITECTURES: Readonly<Record<ModelConfig["arch"], Architecture>> = { gpt2: GPT2, bert: BERT, llama: LLAMA };

/** The description of `cfg.arch` (or of an architecture name). */
export function architecture(cfgOrName: ModelConfig | ModelConfig["arch"]): Architecture {
  const name = typeof cfgOrName === "string" ? cfgOrName : cfgOrName?.arch;
  const a = (ARCHITECTURES as Record<string, Architecture>)[name as string];
  if (!a) throw new Error(`architecture: "${String(name)}" is not a known architecture (${Object.keys(ARCHITECTURES).join(", ")})`);
  return a;
}
