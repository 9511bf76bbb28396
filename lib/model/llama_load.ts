/**
 * Llama-family checkpoints -> attnlab models: a Hugging Face folder (LlamaForCausalLM config.json
 * + safetensors) or a llama.cpp GGUF file (lib/io/gguf). Both go through one mapping from HF
 * tensor names to the TransformerLens layout; GGUF names are translated to HF names, and the
 * attn_q/attn_k rows, which llama.cpp's converter reorders so that each rotate-half pair
 * (i, i + e/2) of a head sits on adjacent rows, are put back in HF order per head.
 *   nn.Linear weights are [out, in]; attnlab multiplies x @ W with W [in, out].
 */
import * as tf from "@tensorflow/tfjs";
import { uploadToBackend } from "../backend";
import type { GgufFile, GgufValue } from "../io/gguf";
import { resolveConfig, type ModelSpec } from "./config";
import { HookedTransformer, type WeightsInit } from "./model";
import type { LayerWeights, ModelConfig, Tokenizer } from "./types";

type Json = Record<string, unknown>;

/**
 * Looks up an HF-named float tensor of the given shape (throws naming it when missing or
 * mis-shaped). `transient`: the caller is done with the array when its call returns (it was only
 * read by an op that made a new tensor), so a getter may hand the same memory out again.
 */
export type LlamaTensorGetter = (hfName: string, shape: number[], transient?: boolean) => Float32Array;

function num(c: Json, key: string, where: string, fallback?: number): number {
  const v = c[key] ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: config.${key} must be a number; got ${JSON.stringify(c[key])}`);
  return v;
}

/** HF LlamaConfig (config.json) -> ModelSpec; refuses options attnlab does not implement. */
export function llamaSpecFromHF(c: Json, where = "configFromHF"): ModelSpec {
  const act = c.hidden_act ?? "silu";
  if (act !== "silu") throw new Error(`${where}: Llama hidden_act "${String(act)}" is not supported (only "silu")`);
  if (c.attention_bias === true) throw new Error(`${where}: Llama attention_bias = true is not supported`);
  if (c.mlp_bias === true) throw new Error(`${where}: Llama mlp_bias = true is not supported`);
  if (c.rope_scaling != null) throw new Error(`${where}: Llama rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (plain rotary embeddings only)`);
  const d = num(c, "hidden_size", where);
  const h = num(c, "num_attention_heads", where);
  const dHead = c.head_dim == null ? d / h : num(c, "head_dim", where);
  return {
    arch: "llama",
    nLayers: num(c, "num_hidden_layers", where),
    dModel: d,
    nHeads: h,
    nKVHeads: c.num_key_value_heads == null ? h : num(c, "num_key_value_heads", where),
    dHead,
    dMlp: num(c, "intermediate_size", where),
    nCtx: num(c, "max_position_embeddings", where),
    dVocab: num(c, "vocab_size", where),
    lnEps: num(c, "rms_norm_eps", where, 1e-6),
    act: "silu",
    tiedUnembed: c.tie_word_embeddings === true,
    rotaryBase: num(c, "rope_theta", where, 10000),
  };
}

/** Builds the weights from HF-named tensors; frees what it made if a tensor is missing. */
export function llamaWeights(cfg: ModelConfig, get: LlamaTensorGetter): WeightsInit {
  const { dModel: d, nHeads: h, dHead: e, dMlp: m, dVocab: v } = cfg;
  const g = cfg.nKVHeads ?? h;
  const made: tf.Tensor[] = [];
  // Each weight goes to the backend as it is made, so the host array it came from (a dequantized
  // GGUF tensor, a safetensors read) can be collected at once instead of at the first forward.
  const keep = <T extends tf.Tensor>(f: () => T): T => {
    const t = tf.tidy(f);
    made.push(t);
    uploadToBackend(t);
    return t;
  };
  const vec = (name: string) => keep(() => tf.tensor1d(get(name, [d])));
  // A transpose's input is transient, except when only size-1 dimensions move: TensorFlow's
  // Transpose then returns a tensor on its input's memory (tfjs-node hands TensorFlow the array
  // itself, no copy), which must not be handed out again.
  const moves = (a: number, b: number) => a > 1 && b > 1;
  // [heads*e, d] (out, in) -> [heads, e, d] -> [heads, d, e]
  const qkv = (name: string, heads: number) => keep(() => tf.transpose(tf.tensor3d(get(name, [heads * e, d], moves(e, d)), [heads, e, d]), [0, 2, 1]) as tf.Tensor3D);
  const linT = (name: string, out: number, inp: number) => keep(() => tf.transpose(tf.tensor2d(get(name, [out, inp], moves(out, inp)), [out, inp])) as tf.Tensor2D);
  const zeros = (shape: number[]) => keep(() => tf.zeros(shape));
  try {
    const blocks: LayerWeights[] = [];
    for (let l = 0; l < cfg.nLayers; l++) {
      const p = `model.layers.${l}.`;
      blocks.push({
        W_Q: qkv(`${p}self_attn.q_proj.weight`, h), b_Q: zeros([h, e]) as tf.Tensor2D,
        W_K: qkv(`${p}self_attn.k_proj.weight`, g), b_K: zeros([g, e]) as tf.Tensor2D,
        W_V: qkv(`${p}self_attn.v_proj.weight`, g), b_V: zeros([g, e]) as tf.Tensor2D,
        // [d, h*e] -> [h*e, d] -> [h, e, d]
        W_O: keep(() => tf.transpose(tf.tensor2d(get(`${p}self_attn.o_proj.weight`, [d, h * e], moves(d, h * e)), [d, h * e])).reshape([h, e, d]) as tf.Tensor3D),
        b_O: zeros([d]) as tf.Tensor1D,
        ln1_w: vec(`${p}input_layernorm.weight`),
        ln2_w: vec(`${p}post_attention_layernorm.weight`),
        W_gate: linT(`${p}mlp.gate_proj.weight`, m, d),
        W_in: linT(`${p}mlp.up_proj.weight`, m, d),
        b_in: zeros([m]) as tf.Tensor1D,
        W_out: linT(`${p}mlp.down_proj.weight`, d, m),
        b_out: zeros([d]) as tf.Tensor1D,
      });
    }
    const w: WeightsInit = {
      W_E: keep(() => tf.tensor2d(get("model.embed_tokens.weight", [v, d]), [v, d])),
      blocks,
      ln_final_w: vec("model.norm.weight"),
      b_U: zeros([v]) as tf.Tensor1D,
    };
    if (!cfg.tiedUnembed) w.W_U = linT("lm_head.weight", v, d);
    return w;
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
}

const GGUF_NAMES: [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, "token_embd.weight"],
  [/^model\.norm\.weight$/, "output_norm.weight"],
  [/^lm_head\.weight$/, "output.weight"],
  [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, "blk.$1.attn_norm.weight"],
  [/^model\.layers\.(\d+)\.self_attn\.q_proj\.weight$/, "blk.$1.attn_q.weight"],
  [/^model\.layers\.(\d+)\.self_attn\.k_proj\.weight$/, "blk.$1.attn_k.weight"],
  [/^model\.layers\.(\d+)\.self_attn\.v_proj\.weight$/, "blk.$1.attn_v.weight"],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, "blk.$1.attn_output.weight"],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, "blk.$1.ffn_norm.weight"],
  [/^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$/, "blk.$1.ffn_gate.weight"],
  [/^model\.layers\.(\d+)\.mlp\.up_proj\.weight$/, "blk.$1.ffn_up.weight"],
  [/^model\.layers\.(\d+)\.mlp\.down_proj\.weight$/, "blk.$1.ffn_down.weight"],
];

/**
 * Undoes llama.cpp's row order for Q/K: GGUF row (hd, i, j) of head hd, i < e/2, j ∈ {0, 1}
 * holds HF row (hd, j, i). rows: [heads * e, cols].
 */
export function unpermuteRows(data: Float32Array, heads: number, cols: number): Float32Array {
  const e = data.length / cols / heads;
  const half = e / 2;
  const out = new Float32Array(data.length);
  for (let hd = 0; hd < heads; hd++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (hd * e + i * 2 + j) * cols;
        const dst = (hd * e + j * half + i) * cols;
        out.set(data.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

function meta(file: GgufFile, key: string, where: string, fallback?: number): number {
  const v: GgufValue | undefined = file.metadata[key];
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${where}: GGUF metadata ${key} is missing`);
  }
  const n = typeof v === "bigint" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n)) throw new Error(`${where}: GGUF metadata ${key} must be a number; got ${String(v)}`);
  return n;
}

/** GGUF header -> ModelConfig (general.architecture must be "llama"). */
export function configFromGguf(file: GgufFile, where = "configFromGguf"): ModelConfig {
  if (!file || typeof file !== "object" || !file.metadata || !Array.isArray(file.tensors)) throw new Error(`${where}: file must be an opened GGUF file (openGguf(path))`);
  const a = file.metadata["general.architecture"];
  if (a !== "llama") throw new Error(`${where}: general.architecture "${String(a)}" is not supported; attnlab reads "llama" GGUF files`);
  const d = meta(file, "llama.embedding_length", where);
  const h = meta(file, "llama.attention.head_count", where);
  const emb = file.tensors.find((t) => t.name === "token_embd.weight");
  if (!emb) throw new Error(`${where}: the GGUF file has no token_embd.weight tensor`);
  const dHead = meta(file, "llama.attention.key_length", where, d / h);
  const name = file.metadata["general.name"];
  const spec: ModelSpec = {
    arch: "llama",
    nLayers: meta(file, "llama.block_count", where),
    dModel: d,
    nHeads: h,
    nKVHeads: meta(file, "llama.attention.head_count_kv", where, h),
    dHead,
    dMlp: meta(file, "llama.feed_forward_length", where),
    nCtx: meta(file, "llama.context_length", where),
    dVocab: meta(file, "llama.vocab_size", where, emb.dims[1]),
    lnEps: meta(file, "llama.attention.layer_norm_rms_epsilon", where),
    act: "silu",
    tiedUnembed: !file.tensors.some((t) => t.name === "output.weight"),
    rotaryBase: meta(file, "llama.rope.freq_base", where, 10000),
    rotaryDim: meta(file, "llama.rope.dimension_count", where, dHead),
  };
  if (typeof name === "string" && name) spec.name = name;
  return resolveConfig(spec, where);
}

/** A Llama model from an opened GGUF file (weights dequantized to float32). */
export function modelFromGguf(file: GgufFile, tokenizer?: Tokenizer, opts: { name?: string; where?: string } = {}): HookedTransformer {
  const where = opts.where ?? "modelFromGguf";
  const cfg = configFromGguf(file, where);
  if (opts.name) cfg.name = opts.name;
  if (tokenizer && tokenizer.vocabSize > cfg.dVocab) throw new Error(`${where}: tokenizer vocabSize ${tokenizer.vocabSize} exceeds the model's vocabulary ${cfg.dVocab}`);
  const infos = new Map(file.tensors.map((t) => [t.name, t]));
  // Transient tensors (see LlamaTensorGetter) are dequantized into one array per size, reused: a
  // fresh array per tensor cost ~0.3 s more on SmolLM2 (new memory is slow to touch the first time).
  // Only on tfjs-node, where a transpose makes its own copy at once; other backends keep the array
  // a tensor was made from and read it later.
  const reuse = tf.getBackend() === "tensorflow";
  const pool = new Map<number, Float32Array>();
  const scratch = (n: number): Float32Array => {
    let a = pool.get(n);
    if (!a) pool.set(n, (a = new Float32Array(n)));
    return a;
  };
  const get: LlamaTensorGetter = (hf, shape, transient) => {
    const rule = GGUF_NAMES.find(([re]) => re.test(hf));
    if (!rule) throw new Error(`${where}: no GGUF name for ${hf}`);
    const gname = hf.replace(rule[0], rule[1]);
    const info = infos.get(gname);
    if (!info) throw new Error(`${where}: missing tensor "${gname}" (expected shape [${shape.join(", ")}])`);
    const has = [...info.dims].reverse();
    if (has.length !== shape.length || has.some((s, i) => s !== shape[i])) {
      throw new Error(`${where}: tensor "${gname}" has shape [${has.join(", ")}]; expected [${shape.join(", ")}]`);
    }
    const t = file.tensor(gname, transient && reuse ? scratch(shape.reduce((a, b) => a * b, 1)) : undefined);
    if (gname.endsWith("attn_q.weight")) return unpermuteRows(t.data, cfg.nHeads, shape[1]);
    if (gname.endsWith("attn_k.weight")) return unpermuteRows(t.data, cfg.nKVHeads ?? cfg.nHeads, shape[1]);
    return t.data;
  };
  return new HookedTransformer(cfg, llamaWeights(cfg, get), tokenizer);
}
