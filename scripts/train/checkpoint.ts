/**
 * Saves trained parameters as a Hugging Face style model folder: config.json, model.safetensors
 * (F32) and the tokenizer files, so `loadPretrained(models/NAME)` and transformers'
 * GPT2LMHeadModel / BertForMaskedLM (for the models that have MLPs) can read it.
 */
import * as fs from "fs";
import * as path from "path";
import { readSafetensors, writeSafetensors, type TensorToWrite } from "../../lib/io/safetensors";
import type { ModelConfig } from "../../lib/model/types";
import { BERT_LINEAR, paramSpecs, type ParamTable } from "./params";

function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j];
  return out;
}

export function hfConfig(cfg: ModelConfig, specialIds: Record<string, number>): Record<string, unknown> {
  if (cfg.arch === "gpt2") {
    return {
      model_type: "gpt2",
      architectures: ["GPT2LMHeadModel"],
      vocab_size: cfg.dVocab,
      n_positions: cfg.nCtx,
      n_ctx: cfg.nCtx,
      n_embd: cfg.dModel,
      n_layer: cfg.nLayers,
      n_head: cfg.nHeads,
      // attnlab extension: attention-only blocks (no ln_2, no MLP); transformers cannot load these.
      ...(cfg.attnOnly ? { attn_only: true, n_inner: 0 } : { n_inner: cfg.dMlp }),
      activation_function: "gelu_new",
      layer_norm_epsilon: cfg.lnEps,
      resid_pdrop: 0,
      embd_pdrop: 0,
      attn_pdrop: 0,
      tie_word_embeddings: true,
      bos_token_id: specialIds.bos,
      eos_token_id: specialIds.eos,
      torch_dtype: "float32",
    };
  }
  return {
    model_type: "bert",
    architectures: ["BertForMaskedLM"],
    vocab_size: cfg.dVocab,
    hidden_size: cfg.dModel,
    num_hidden_layers: cfg.nLayers,
    num_attention_heads: cfg.nHeads,
    intermediate_size: cfg.dMlp,
    hidden_act: "gelu_new",
    max_position_embeddings: cfg.nCtx,
    type_vocab_size: cfg.typeVocabSize ?? 2,
    layer_norm_eps: cfg.lnEps,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    pad_token_id: specialIds.pad ?? 0,
    tie_word_embeddings: true,
    torch_dtype: "float32",
  };
}

export interface SaveOptions {
  /** Files copied next to the weights (vocab.json, merges.txt, tokenizer.json or vocab.txt, ...). */
  tokenizerFiles?: string[];
  specialIds?: Record<string, number>;
  metadata?: Record<string, string>;
}

export function saveHF(dir: string, cfg: ModelConfig, params: ParamTable, opts: SaveOptions = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  for (const s of paramSpecs(cfg)) {
    const a = params[s.name];
    if (!a) throw new Error(`saveHF: missing parameter "${s.name}"`);
    if (cfg.arch === "bert" && BERT_LINEAR.test(s.name)) {
      tensors[s.name] = { shape: [s.shape[1], s.shape[0]], data: transpose(a, s.shape[0], s.shape[1]) };
    } else tensors[s.name] = { shape: s.shape, data: a };
  }
  if (cfg.arch === "bert") {
    // HF ties the decoder to the word embeddings; writing it too keeps strict loaders happy.
    tensors["cls.predictions.decoder.weight"] = tensors["bert.embeddings.word_embeddings.weight"];
  }
  writeSafetensors(path.join(dir, "model.safetensors"), tensors, { format: "pt", ...(opts.metadata ?? {}) });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(hfConfig(cfg, opts.specialIds ?? {}), null, 2) + "\n");
  for (const f of opts.tokenizerFiles ?? []) fs.copyFileSync(f, path.join(dir, path.basename(f)));
}

/** Reads a checkpoint written by saveHF back into the training layout. */
export function loadHFParams(dir: string, cfg: ModelConfig): ParamTable {
  const file = readSafetensors(path.join(dir, "model.safetensors"));
  const out: ParamTable = {};
  for (const s of paramSpecs(cfg)) {
    const t = file.tensors.get(s.name);
    if (!t) throw new Error(`loadHFParams: ${dir} lacks tensor "${s.name}"`);
    const data = Float32Array.from(t.data as ArrayLike<number>);
    out[s.name] = cfg.arch === "bert" && BERT_LINEAR.test(s.name) ? transpose(data, s.shape[1], s.shape[0]) : data;
  }
  return out;
}
