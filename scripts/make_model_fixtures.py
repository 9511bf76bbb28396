"""Tiny random-weight GPT-2 and BERT checkpoints in Hugging Face format, plus reference outputs.

Writes test/fixtures/models/<name>/{config.json, model.safetensors, reference.safetensors} and
test/fixtures/models/index.json. The reference file holds, for every input case `c`:
  c.ids, c.mask, c.types (int32 [batch, pos]), c.logits, c.hidden (stacked HF hidden_states,
  [n_layers+1, batch, pos, d]) and c.attn (stacked HF attentions, [n_layers, batch, head, q, k]).
Weights are HF's init plus noise so that biases, LayerNorm affines and attention are non-trivial.
Usage: .venv/bin/python scripts/make_model_fixtures.py [OUT_DIR]
"""
import json
import os
import sys

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertForMaskedLM, BertModel, GPT2Config, GPT2LMHeadModel, GPT2Model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "test", "fixtures", "models")
VOCAB, N_CTX, D, HEADS, LAYERS = 100, 64, 32, 4, 2


def noisy(model, seed):
    """Moves every parameter away from HF's near-trivial init, reproducibly."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            n = torch.randn(p.shape, generator=g)
            if name.endswith("bias"):
                p.copy_(0.1 * n)
            elif p.dim() == 1:  # LayerNorm gains
                p.copy_(1.0 + 0.2 * n)
            else:
                p.copy_(0.2 * n)
    model.eval()
    return model


def cases(seed, bert):
    g = torch.Generator().manual_seed(seed)
    r = lambda n: torch.randint(1, VOCAB, (n,), generator=g)
    a, b, c = r(10), r(6), r(N_CTX)
    pad = 0
    out = {}
    out["single"] = (a[None], torch.ones(1, 10, dtype=torch.long))
    padded = torch.full((2, 10), pad)
    padded[0], padded[1, :6] = a, b
    mask = torch.zeros(2, 10, dtype=torch.long)
    mask[0], mask[1, :6] = 1, 1
    out["padded"] = (padded, mask)
    out["full_ctx"] = (c[None], torch.ones(1, N_CTX, dtype=torch.long))
    res = {}
    for k, (ids, m) in out.items():
        types = torch.zeros_like(ids)
        if bert and k == "padded":
            types[0, 5:] = 1  # a second segment in row 0
        res[k] = (ids, m, types)
    return res


def reference(model, inputs, bert, logits_fn):
    tensors = {}
    for name, (ids, mask, types) in inputs.items():
        kw = dict(input_ids=ids, attention_mask=mask, output_hidden_states=True, output_attentions=True)
        if bert:
            kw["token_type_ids"] = types
        with torch.no_grad():
            out = model(**kw)
        tensors[f"{name}.ids"] = ids.to(torch.int32)
        tensors[f"{name}.mask"] = mask.to(torch.int32)
        tensors[f"{name}.types"] = types.to(torch.int32)
        tensors[f"{name}.logits"] = logits_fn(out).float().contiguous()
        tensors[f"{name}.hidden"] = torch.stack(out.hidden_states).float().contiguous()
        tensors[f"{name}.attn"] = torch.stack(out.attentions).float().contiguous()
    return tensors


def save(name, model, bert, logits_fn, seed, note):
    d = os.path.join(OUT, name)
    model.save_pretrained(d, safe_serialization=True)
    tensors = reference(model, cases(seed, bert), bert, logits_fn)
    save_file(tensors, os.path.join(d, "reference.safetensors"))
    return {"name": name, "arch": "bert" if bert else "gpt2", "class": type(model).__name__, "note": note,
            "cases": sorted({k.split(".")[0] for k in tensors})}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    entries = []
    gcfg = dict(vocab_size=VOCAB, n_positions=N_CTX, n_embd=D, n_layer=LAYERS, n_head=HEADS,
                activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    eager = dict(attn_implementation="eager")

    m = noisy(GPT2LMHeadModel(GPT2Config(**gcfg, **eager, tie_word_embeddings=True)), 1)
    entries.append(save("gpt2-tied", m, False, lambda o: o.logits, 11, "GPT2LMHeadModel, tied lm_head"))

    m = noisy(GPT2LMHeadModel(GPT2Config(**gcfg, **eager, tie_word_embeddings=False)), 2)
    entries.append(save("gpt2-untied", m, False, lambda o: o.logits, 12, "GPT2LMHeadModel, separate lm_head"))

    m = noisy(GPT2Model(GPT2Config(**gcfg, **eager)), 3)
    wte = m.wte.weight.detach()
    entries.append(save("gpt2-bare", m, False, lambda o: o.last_hidden_state @ wte.T, 13,
                        "GPT2Model (no transformer. prefix); logits = last_hidden_state @ wte^T"))

    bcfg = dict(vocab_size=VOCAB, hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                intermediate_size=4 * D, max_position_embeddings=N_CTX, type_vocab_size=2, hidden_act="gelu",
                hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, pad_token_id=0)
    m = noisy(BertForMaskedLM(BertConfig(**bcfg, **eager)), 4)
    entries.append(save("bert-mlm", m, True, lambda o: o.logits, 14, "BertForMaskedLM (bert. prefix, cls.predictions)"))

    m = noisy(BertModel(BertConfig(**bcfg, **eager)), 5)
    entries.append(save("bert-bare", m, True, lambda o: o.last_hidden_state, 15,
                        "BertModel without prefix (sentence-transformers layout), with pooler; logits = last_hidden_state"))

    with open(os.path.join(OUT, "index.json"), "w") as f:
        json.dump({"models": entries, "tolerance": 1e-4}, f, indent=1)
    print(f"wrote {len(entries)} model fixtures to {OUT}")


if __name__ == "__main__":
    main()
