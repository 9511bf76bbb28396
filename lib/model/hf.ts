/**
 * Hugging Face checkpoints -> attnlab models.
 *
 * configFromHF reads config.json (GPT-2: GPT2LMHeadModel/GPT2Model; BERT: BertModel/BertForMaskedLM/
 * BertForPreTraining). modelFromHF maps the parameter tensors (as lib/io/safetensors returns them)
 * to the TransformerLens layout of ModelWeights:
 *   GPT-2 Conv1D weights are stored [in, out]; c_attn packs Q|K|V along `out`.
 *   BERT Linear weights are stored [out, in]; the MLM decoder is usually tied to the word embeddings.
 */
import * as tf from "@tensorflow/tfjs";
import { assertReady, uploadToBackend } from "../backend";
import { resolveConfig, type ModelSpec } from "./config";
import { llamaSpecFromHF, llamaWeights } from "./llama_load";
import { HookedTransformer, type WeightsInit } from "./model";
import type { LayerWeights, ModelConfig, Tokenizer } from "./types";

export interface HFTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Int32Array;
}

const GPT2_ARCHS = ["GPT2LMHeadModel", "GPT2Model"];
const BERT_ARCHS = ["BertModel", "BertForMaskedLM", "BertForPreTraining"];
const FLOAT_DTYPES = ["F32", "F16", "BF16", "F64", "float32", "float16", "bfloat16", "float64"];

type Json = Record<string, unknown>;

function num(cfg: Json, key: string, fallback?: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(`configFromHF: config.${key} must be a number; got ${JSON.stringify(cfg[key])}`);
  }
  return v;
}

function act(name: unknown, key: string): ModelConfig["act"] {
  if (name === "gelu_new" || name === "gelu_pytorch_tanh" || name === "gelu_fast") return "gelu_new";
  if (name === "gelu") return "gelu";
  if (name === "relu") return "relu";
  throw new Error(`configFromHF: config.${key} "${String(name)}" is not supported (gelu_new, gelu_pytorch_tanh, gelu or relu)`);
}

/** HF config.json -> ModelConfig. Throws on architectures attnlab does not implement. */
export function configFromHF(configJson: unknown): ModelConfig {
  if (!configJson || typeof configJson !== "object" || Array.isArray(configJson)) {
    throw new Error("configFromHF: configJson must be the parsed config.json object");
  }
  const c = configJson as Json;
  const archs = Array.isArray(c.architectures) ? (c.architectures as string[]) : [];
  const type = c.model_type;
  if (type === "llama") {
    const bad = archs.filter((a) => a !== "LlamaForCausalLM");
    if (bad.length > 0) throw new Error(`configFromHF: architecture ${bad.join(", ")} is not supported for model_type "llama"; attnlab loads LlamaForCausalLM`);
    const spec = llamaSpecFromHF(c);
    if (typeof c._name_or_path === "string" && c._name_or_path) spec.name = c._name_or_path;
    return resolveConfig(spec, "configFromHF");
  }
  const known = [...GPT2_ARCHS, ...BERT_ARCHS];
  const bad = archs.filter((a) => !known.includes(a));
  if (type !== "gpt2" && type !== "bert") {
    throw new Error(`configFromHF: model_type "${String(type)}" is not supported; attnlab loads "gpt2" (${GPT2_ARCHS.join(", ")}), "bert" (${BERT_ARCHS.join(", ")}) and "llama" (LlamaForCausalLM)`);
  }
  if (bad.length > 0) {
    throw new Error(`configFromHF: architecture ${bad.join(", ")} is not supported; attnlab loads ${known.join(", ")}`);
  }
  const family = type === "gpt2" ? GPT2_ARCHS : BERT_ARCHS;
  const mismatch = archs.filter((a) => !family.includes(a));
  if (mismatch.length > 0) throw new Error(`configFromHF: architecture ${mismatch.join(", ")} does not match model_type "${type}"`);
  const name = typeof c._name_or_path === "string" && c._name_or_path ? c._name_or_path : undefined;
  let spec: ModelSpec;
  if (type === "gpt2") {
    if (c.scale_attn_by_inverse_layer_idx === true) throw new Error("configFromHF: scale_attn_by_inverse_layer_idx = true is not supported");
    if (c.scale_attn_weights === false) throw new Error("configFromHF: scale_attn_weights = false is not supported");
    if (c.add_cross_attention === true) throw new Error("configFromHF: add_cross_attention = true is not supported");
    const d = num(c, "n_embd");
    spec = {
      arch: "gpt2",
      nLayers: num(c, "n_layer"),
      dModel: d,
      nHeads: num(c, "n_head"),
      // attnlab extension (attention-only GPT-2s saved by scripts/train/checkpoint.ts): no ln_2/MLP tensors.
      ...(c.attn_only === true ? { attnOnly: true, dMlp: 0 } : { dMlp: c.n_inner == null ? 4 * d : num(c, "n_inner") }),
      nCtx: num(c, "n_positions"),
      dVocab: num(c, "vocab_size"),
      lnEps: num(c, "layer_norm_epsilon", 1e-5),
      act: act(c.activation_function ?? "gelu_new", "activation_function"),
      tiedUnembed: c.tie_word_embeddings !== false || archs.includes("GPT2Model"),
    };
  } else {
    if (c.position_embedding_type !== undefined && c.position_embedding_type !== "absolute") {
      throw new Error(`configFromHF: position_embedding_type "${String(c.position_embedding_type)}" is not supported (only "absolute")`);
    }
    if (c.is_decoder === true) throw new Error("configFromHF: BERT with is_decoder = true is not supported");
    spec = {
      arch: "bert",
      nLayers: num(c, "num_hidden_layers"),
      dModel: num(c, "hidden_size"),
      nHeads: num(c, "num_attention_heads"),
      dMlp: num(c, "intermediate_size"),
      nCtx: num(c, "max_position_embeddings"),
      dVocab: num(c, "vocab_size"),
      lnEps: num(c, "layer_norm_eps", 1e-12),
      act: act(c.hidden_act ?? "gelu", "hidden_act"),
      typeVocabSize: num(c, "type_vocab_size", 2),
      mlmHead: archs.some((a) => a !== "BertModel"),
      tiedUnembed: c.tie_word_embeddings !== false,
    };
    const pad = c.pad_token_id;
    if (typeof pad === "number" && Number.isInteger(pad) && pad >= 0 && pad < spec.dVocab) spec.padTokenId = pad;
  }
  if (name) spec.name = name;
  return resolveConfig(spec, "configFromHF");
}

/** Looks tensors up by HF name (with the checkpoint's prefix), checking dtype and shape. */
class TensorSource {
  readonly used = new Set<string>();
  constructor(
    private readonly tensors: Map<string, HFTensor>,
    private readonly prefix: string,
    /** Tensors whose data held NaN or infinities, as "name (k of n values)" (shared by a load's sources). */
    readonly nonFinite: string[] = [],
  ) {}

  has(name: string): boolean {
    return this.find(name) !== undefined;
  }

  private find(name: string): string | undefined {
    const candidates = [this.prefix + name];
    // Checkpoints converted from TensorFlow name LayerNorm parameters gamma/beta.
    if (name.endsWith("LayerNorm.weight")) candidates.push(this.prefix + name.replace(/weight$/, "gamma"));
    if (name.endsWith("LayerNorm.bias")) candidates.push(this.prefix + name.replace(/bias$/, "beta"));
    return candidates.find((k) => this.tensors.has(k));
  }

  get(name: string, shape: number[]): Float32Array {
    const key = this.find(name);
    if (!key) {
      throw new Error(`modelFromHF: missing tensor "${this.prefix + name}" (expected shape [${shape.join(", ")}])`);
    }
    const t = this.tensors.get(key)!;
    // Read `data` once: from openSafetensors it is read from the file on each access.
    const data = FLOAT_DTYPES.includes(t.dtype) ? t.data : null;
    if (!(data instanceof Float32Array)) {
      throw new Error(`modelFromHF: tensor "${key}" has dtype ${t.dtype}; expected a floating-point tensor (F32/F16/BF16)`);
    }
    if (!Array.isArray(t.shape) || t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`modelFromHF: tensor "${key}" has shape [${t.shape.join(", ")}]; expected [${shape.join(", ")}]`);
    }
    if (data.length !== shape.reduce((a, b) => a * b, 1)) {
      throw new Error(`modelFromHF: tensor "${key}" has ${data.length} values; its shape [${shape.join(", ")}] needs ${shape.reduce((a, b) => a * b, 1)}`);
    }
    if (!this.used.has(key)) {
      const n = countNonFinite(data);
      if (n > 0) this.nonFinite.push(`${key} (${n} of ${data.length} values)`);
    }
    this.used.add(key);
    return data;
  }
}

function countNonFinite(data: Float32Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) n++;
  return n;
}

function detectPrefix(tensors: Map<string, HFTensor>, prefix: string, probe: string): string {
  return tensors.has(prefix + probe) ? prefix : "";
}

/**
 * Builds tensors while remembering them, so a failure part-way can free everything. Each one is
 * handed to the backend as it is made (uploadToBackend), so its host array can be collected then.
 */
class Builder {
  readonly made: tf.Tensor[] = [];
  t<T extends tf.Tensor>(f: () => T): T {
    const x = tf.tidy(f);
    this.made.push(x);
    uploadToBackend(x);
    return x;
  }
  disposeAll(): void {
    for (const x of this.made) if (!x.isDisposed) x.dispose();
  }
}

function gpt2Weights(cfg: ModelConfig, src: TensorSource, B: Builder): WeightsInit {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v, nCtx: n } = cfg;
  const he = h * e;
  const blocks: LayerWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `h.${l}.`;
    const qkvW = src.get(`${p}attn.c_attn.weight`, [d, 3 * he]);
    const qkvB = src.get(`${p}attn.c_attn.bias`, [3 * he]);
    // [d, 3*h*e] columns Q|K|V -> per part [d, h, e] -> [h, d, e]
    const part = (i: number) => B.t(() => tf.transpose(tf.slice(tf.tensor2d(qkvW, [d, 3 * he]), [0, i * he], [d, he]).reshape([d, h, e]), [1, 0, 2]) as tf.Tensor3D);
    const bias = (i: number) => B.t(() => tf.tensor1d(qkvB.subarray(i * he, (i + 1) * he)).reshape([h, e]) as tf.Tensor2D);
    blocks.push({
      W_Q: part(0), W_K: part(1), W_V: part(2),
      b_Q: bias(0), b_K: bias(1), b_V: bias(2),
      W_O: B.t(() => tf.tensor3d(src.get(`${p}attn.c_proj.weight`, [he, d]), [h, e, d])),
      b_O: B.t(() => tf.tensor1d(src.get(`${p}attn.c_proj.bias`, [d]))),
      ln1_w: B.t(() => tf.tensor1d(src.get(`${p}ln_1.weight`, [d]))),
      ln1_b: B.t(() => tf.tensor1d(src.get(`${p}ln_1.bias`, [d]))),
      ...(cfg.attnOnly
        ? {}
        : {
            ln2_w: B.t(() => tf.tensor1d(src.get(`${p}ln_2.weight`, [d]))),
            ln2_b: B.t(() => tf.tensor1d(src.get(`${p}ln_2.bias`, [d]))),
            W_in: B.t(() => tf.tensor2d(src.get(`${p}mlp.c_fc.weight`, [d, m]), [d, m])),
            b_in: B.t(() => tf.tensor1d(src.get(`${p}mlp.c_fc.bias`, [m]))),
            W_out: B.t(() => tf.tensor2d(src.get(`${p}mlp.c_proj.weight`, [m, d]), [m, d])),
            b_out: B.t(() => tf.tensor1d(src.get(`${p}mlp.c_proj.bias`, [d]))),
          }),
    });
  }
  const w: WeightsInit = {
    W_E: B.t(() => tf.tensor2d(src.get("wte.weight", [v, d]), [v, d])),
    W_pos: B.t(() => tf.tensor2d(src.get("wpe.weight", [n, d]), [n, d])),
    blocks,
    ln_final_w: B.t(() => tf.tensor1d(src.get("ln_f.weight", [d]))),
    ln_final_b: B.t(() => tf.tensor1d(src.get("ln_f.bias", [d]))),
    b_U: B.t(() => tf.zeros([v]) as tf.Tensor1D), // GPT-2's lm_head has no bias
  };
  return w;
}

function bertWeights(cfg: ModelConfig, src: TensorSource, B: Builder): WeightsInit {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v, nCtx: n } = cfg;
  const he = h * e;
  const vec = (name: string, len: number) => B.t(() => tf.tensor1d(src.get(name, [len])));
  // nn.Linear stores [out, in]; attnlab multiplies x @ W with W [in, out].
  const linT = (name: string, out: number, inp: number) => B.t(() => tf.transpose(tf.tensor2d(src.get(name, [out, inp]), [out, inp])) as tf.Tensor2D);
  const blocks: LayerWeights[] = [];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `encoder.layer.${l}.`;
    const qkv = (s: string) => B.t(() => tf.transpose(tf.tensor2d(src.get(`${p}attention.self.${s}.weight`, [he, d]), [he, d]).reshape([h, e, d]), [0, 2, 1]) as tf.Tensor3D);
    const qkvB = (s: string) => B.t(() => tf.tensor2d(src.get(`${p}attention.self.${s}.bias`, [he]), [h, e]));
    blocks.push({
      W_Q: qkv("query"), b_Q: qkvB("query"),
      W_K: qkv("key"), b_K: qkvB("key"),
      W_V: qkv("value"), b_V: qkvB("value"),
      // [d, h*e] (out, in) -> transpose [h*e, d] -> [h, e, d]
      W_O: B.t(() => tf.transpose(tf.tensor2d(src.get(`${p}attention.output.dense.weight`, [d, he]), [d, he])).reshape([h, e, d]) as tf.Tensor3D),
      b_O: vec(`${p}attention.output.dense.bias`, d),
      ln1_w: vec(`${p}attention.output.LayerNorm.weight`, d),
      ln1_b: vec(`${p}attention.output.LayerNorm.bias`, d),
      W_in: linT(`${p}intermediate.dense.weight`, m, d),
      b_in: vec(`${p}intermediate.dense.bias`, m),
      W_out: linT(`${p}output.dense.weight`, d, m),
      b_out: vec(`${p}output.dense.bias`, d),
      ln2_w: vec(`${p}output.LayerNorm.weight`, d),
      ln2_b: vec(`${p}output.LayerNorm.bias`, d),
    });
  }
  return {
    W_E: B.t(() => tf.tensor2d(src.get("embeddings.word_embeddings.weight", [v, d]), [v, d])),
    W_pos: B.t(() => tf.tensor2d(src.get("embeddings.position_embeddings.weight", [n, d]), [n, d])),
    W_type: B.t(() => tf.tensor2d(src.get("embeddings.token_type_embeddings.weight", [cfg.typeVocabSize!, d]), [cfg.typeVocabSize!, d])),
    ln_embed_w: vec("embeddings.LayerNorm.weight", d),
    ln_embed_b: vec("embeddings.LayerNorm.bias", d),
    blocks,
    b_U: B.t(() => tf.zeros([v]) as tf.Tensor1D),
  };
}

/** The MLM head lives outside the `bert.` prefix, under `cls.predictions.`. */
function bertHead(cfg: ModelConfig, all: Map<string, HFTensor>, w: WeightsInit, B: Builder, nonFinite: string[]): void {
  const { dModel: d, dVocab: v } = cfg;
  const head = new TensorSource(all, "cls.predictions.", nonFinite);
  w.mlm_W = B.t(() => tf.transpose(tf.tensor2d(head.get("transform.dense.weight", [d, d]), [d, d])) as tf.Tensor2D);
  w.mlm_b = B.t(() => tf.tensor1d(head.get("transform.dense.bias", [d])));
  w.mlm_ln_w = B.t(() => tf.tensor1d(head.get("transform.LayerNorm.weight", [d])));
  w.mlm_ln_b = B.t(() => tf.tensor1d(head.get("transform.LayerNorm.bias", [d])));
  const biasName = head.has("bias") ? "bias" : "decoder.bias";
  const bias = head.get(biasName, [v]);
  w.b_U!.dispose();
  w.b_U = B.t(() => tf.tensor1d(bias));
  if (!cfg.tiedUnembed) w.W_U = B.t(() => tf.transpose(tf.tensor2d(head.get("decoder.weight", [v, d]), [v, d])) as tf.Tensor2D);
}

/**
 * HF config.json + parameter tensors -> a model. Throws (freeing anything already built) on a
 * missing tensor, a wrong shape, a non-float dtype, or weights of layers past the config's count;
 * warns on non-finite weights. Other tensors the model does not use (attention bias buffers,
 * BERT's pooler, NSP head, a tied lm_head copy) are ignored, and never read.
 *
 * Memory: each tensor's data is read once (from openSafetensors: from the file, just then) and
 * the weight made from it is handed to the backend at once, so the host holds about one tensor
 * at a time beside the backend's copy, not the whole checkpoint.
 */
export function modelFromHF(configJson: unknown, tensors: Map<string, HFTensor>, tokenizer?: Tokenizer): HookedTransformer {
  assertReady("modelFromHF");
  if (!(tensors instanceof Map)) throw new Error("modelFromHF: tensors must be a Map<string, {dtype, shape, data}> (e.g. readSafetensors(path).tensors)");
  const cfg = configFromHF(configJson);
  const archs = (configJson as Json).architectures;
  if (tokenizer && tokenizer.vocabSize > cfg.dVocab) {
    throw new Error(`modelFromHF: tokenizer vocabSize ${tokenizer.vocabSize} exceeds the model's vocab_size ${cfg.dVocab}`);
  }
  const B = new Builder();
  const nonFinite: string[] = [];
  try {
    let w: WeightsInit;
    let finalCfg = cfg;
    if (cfg.arch === "llama") {
      const src = new TensorSource(tensors, "", nonFinite);
      w = llamaWeights(cfg, (name, shape) => src.get(name, shape));
    } else if (cfg.arch === "gpt2") {
      const src = new TensorSource(tensors, detectPrefix(tensors, "transformer.", "wte.weight"), nonFinite);
      w = gpt2Weights(cfg, src, B);
      if (!cfg.tiedUnembed) {
        const { dModel: d, dVocab: v } = cfg;
        const lm = new TensorSource(tensors, "", nonFinite);
        w.W_U = B.t(() => tf.transpose(tf.tensor2d(lm.get("lm_head.weight", [v, d]), [v, d])) as tf.Tensor2D);
      }
    } else {
      const src = new TensorSource(tensors, detectPrefix(tensors, "bert.", "embeddings.word_embeddings.weight"), nonFinite);
      w = bertWeights(cfg, src, B);
      // Without `architectures`, the presence of the MLM head's tensors decides.
      const hasHead = tensors.has("cls.predictions.transform.dense.weight");
      const mlm = Array.isArray(archs) && archs.length > 0 ? cfg.mlmHead! : hasHead;
      if (mlm) bertHead(cfg, tensors, w, B, nonFinite);
      finalCfg = { ...cfg, mlmHead: mlm };
    }
    checkLayerTensors(tensors, finalCfg.nLayers);
    warnNonFinite(nonFinite);
    return new HookedTransformer(finalCfg, w, tokenizer);
  } catch (err) {
    B.disposeAll();
    throw err;
  }
}

/**
 * A config with fewer layers than the checkpoint would silently load a truncated model: weights
 * of layers at or past the config's count (`h.2.*` for n_layer = 2, `encoder.layer.N.*`,
 * `model.layers.N.*`) are an error naming them.
 */
function checkLayerTensors(tensors: Map<string, HFTensor>, nLayers: number): void {
  const extra = [...tensors.keys()].filter((k) => {
    const m = /(?:^|\.)(?:h|layer|layers|blocks)\.(\d+)\./.exec(k);
    return m !== null && Number(m[1]) >= nLayers;
  });
  if (extra.length === 0) return;
  const shown = extra.slice(0, 5).join(", ") + (extra.length > 5 ? `, ... (${extra.length} tensors)` : "");
  throw new Error(`modelFromHF: the checkpoint has weights for layers the config does not have (${nLayers} layers): ${shown}; the config's layer count (n_layer / num_hidden_layers) must match the checkpoint`);
}

/** Weights full of NaN or infinities load but compute nothing useful: say which (of those the model uses). */
function warnNonFinite(bad: string[]): void {
  if (bad.length > 0) console.warn(`modelFromHF: non-finite weights (NaN or infinity) in ${bad.length} tensor(s): ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? ", ..." : ""}`);
}
