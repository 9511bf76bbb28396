"""Causal-tracing fixture: ROME's procedure (experiments/causal_trace.py) in PyTorch on a tiny
random GPT-2, with the noise draws saved so attnlab's jest test can use the very same draws.

Writes to OUT_DIR (default test/fixtures/trace):
  tiny-gpt2/          config.json + model.safetensors (save_pretrained, safe_serialization=True)
  noise.bin           float32 little-endian N(0,1) draws [samples, subject tokens, d_model],
                      numpy RandomState(1).randn as ROME (re-seeded per restoration, so one set)
  trace.json          prompt ids, subject range, noise level, answer, p_clean, p_corrupted and
                      the hidden / mlp / attn grids [pos][layer]

Written for attnlab from the description of ROME's procedure; not a copy of its code.
"""
import json
import os
import sys

import numpy as np
import torch

torch.set_num_threads(1)  # a tiny model: threads cost more than they give
from transformers import GPT2Config, GPT2LMHeadModel

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "trace")
SAMPLES = 10
WINDOW = 10
IDS = [11, 204, 37, 388, 5, 91, 260, 17, 144, 73, 9, 300, 52, 118, 6, 420]
SUBJECT = (3, 6)  # [start, end) token range that gets noise


def make_model():
    torch.manual_seed(0)
    cfg = GPT2Config(n_layer=8, n_embd=32, n_head=4, vocab_size=500, n_positions=64, initializer_range=0.3,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    return GPT2LMHeadModel(cfg).eval()


def run_patched(model, ids, draws, level, restore, answer):
    """1 clean + SAMPLES noised rows; `restore` lists (pos, module) whose clean output is copied into rows 1.."""
    b, e = SUBJECT
    inp = torch.tensor([ids] * (SAMPLES + 1))
    noise = torch.from_numpy(draws) * level
    handles = []

    def add_noise(_m, _i, out):
        out = out.clone()
        out[1:, b:e] += noise
        return out

    handles.append(model.transformer.wte.register_forward_hook(add_noise))
    by_module = {}
    for pos, mod in restore:
        by_module.setdefault(mod, []).append(pos)
    for mod, positions in by_module.items():
        def copy_clean(_m, _i, out, positions=positions):
            h = out[0] if isinstance(out, tuple) else out
            h = h.clone()
            for t in positions:
                h[1:, t] = h[0, t]
            return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h
        handles.append(mod.register_forward_hook(copy_clean))
    try:
        with torch.no_grad():
            logits = model(inp).logits
    finally:
        for h in handles:
            h.remove()
    probs = torch.softmax(logits[:, -1, :], dim=-1)
    top = int(torch.argmax(probs[0]))
    a = top if answer is None else answer
    return top, float(probs[0, a]), float(probs[1:, a].mean())


def main():
    os.makedirs(OUT, exist_ok=True)
    model = make_model()
    model.save_pretrained(os.path.join(OUT, "tiny-gpt2"), safe_serialization=True)
    n_layers = model.config.n_layer
    b, e = SUBJECT
    with torch.no_grad():
        level = 3 * float(model.transformer.wte.weight[IDS[b:e]].std())
    draws = np.random.RandomState(1).randn(SAMPLES, e - b, model.config.n_embd).astype(np.float32)
    draws.astype("<f4").tofile(os.path.join(OUT, "noise.bin"))
    answer, p_clean, p_corr = run_patched(model, IDS, draws, level, [], None)
    blocks = model.transformer.h
    module = {
        "hidden": lambda l: blocks[l],
        "mlp": lambda l: blocks[l].mlp,
        "attn": lambda l: blocks[l].attn,
    }
    grids = {}
    for kind in ("hidden", "mlp", "attn"):
        rows = []
        for t in range(len(IDS)):
            row = []
            for layer in range(n_layers):
                if kind == "hidden":
                    restore = [(t, module[kind](layer))]
                else:
                    lo, hi = max(0, layer - WINDOW // 2), min(n_layers, layer - (-WINDOW // 2))
                    restore = [(t, module[kind](j)) for j in range(lo, hi)]
                row.append(run_patched(model, IDS, draws, level, restore, answer)[2])
            rows.append(row)
        grids[kind] = rows
    with open(os.path.join(OUT, "trace.json"), "w") as f:
        json.dump({"ids": IDS, "subject": list(SUBJECT), "samples": SAMPLES, "window": WINDOW, "noise_level": level,
                   "noise_shape": list(draws.shape), "answer": answer, "p_clean": p_clean, "p_corrupted": p_corr,
                   "grids": grids}, f)
    print(f"trace fixture: answer {answer}, p_clean {p_clean:.4f}, p_corrupted {p_corr:.4f} -> {OUT}")


if __name__ == "__main__":
    main()
