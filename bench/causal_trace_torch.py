"""PyTorch side of bench/causal_trace.sh: ROME's causal-tracing procedure (one forward pass of
1 clean + 10 noised rows per restoration, as experiments/causal_trace.py does) on a random
GPT-2-small-sized model, timed.

  python causal_trace_torch.py make DIR        # random GPT-2 small (seed 0) + noise draws -> DIR
  python causal_trace_torch.py run DIR CELLS   # CELLS: JSON file with the plan (ids, subject, cells)
"""
import json
import os
import sys
import time

import numpy as np
import torch
from transformers import GPT2Config, GPT2LMHeadModel

SAMPLES = 10
WINDOW = 10


def rome_tracer(model, embed, inp, draws, level, b, e):
    """ROME's restoration run as a function of the modules to restore: row 0 of `inp` runs clean,
    rows 1.. get `draws * level` added to the subject tokens b..e-1 by a hook on `embed`, and each
    (pos, module) in `restore` copies the clean row's output at pos into the noised rows. Returns
    trace(restore, answer) -> (answer, p_clean, mean p over the noised rows), the answer being the
    clean run's top token when `answer` is None. Also used by smollm2_trace_torch.py."""
    def trace(restore, answer):
        hs = []

        def noise(_m, _i, out):
            out = out.clone()
            out[1:, b:e] += draws * level
            return out

        hs.append(embed.register_forward_hook(noise))
        for pos, mod in restore:
            def copy(_m, _i, out, pos=pos):
                h = out[0] if isinstance(out, tuple) else out
                h = h.clone()
                h[1:, pos] = h[0, pos]
                return (h,) + tuple(out[1:]) if isinstance(out, tuple) else h
            hs.append(mod.register_forward_hook(copy))
        try:
            with torch.no_grad():
                probs = torch.softmax(model(inp).logits[:, -1, :], dim=-1)
        finally:
            for h in hs:
                h.remove()
        a = int(torch.argmax(probs[0])) if answer is None else answer
        return a, float(probs[0, a]), float(probs[1:, a].mean())
    return trace


def make(out):
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config())  # 12 layers, d 768, 12 heads, vocab 50257
    model.save_pretrained(out, safe_serialization=True)
    print(f"random GPT-2 small saved to {out}")


def run(model_dir, plan_file):
    plan = json.load(open(plan_file))
    ids, (b, e) = plan["ids"], plan["subject"]
    torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", "2")))
    model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
    d = model.config.n_embd
    draws = torch.from_numpy(np.fromfile(plan["noise_file"], dtype="<f4").reshape(SAMPLES, e - b, d))
    with torch.no_grad():
        level = 3 * float(model.transformer.wte.weight[ids[b:e]].std())
    inp = torch.tensor([ids] * (SAMPLES + 1))
    blocks = model.transformer.h
    n = len(blocks)

    trace = rome_tracer(model, model.transformer.wte, inp, draws, level, b, e)

    t0 = time.time()
    answer, _, p_corr = trace([], None)
    t_base = time.time() - t0
    mods = {"hidden": lambda l: blocks[l], "mlp": lambda l: blocks[l].mlp, "attn": lambda l: blocks[l].attn}
    values = []
    t0 = time.time()
    for c in plan["cells"]:
        k, pos, layer = c["kind"], c["pos"], c["layer"]
        if k == "hidden":
            restore = [(pos, mods[k](layer))]
        else:
            restore = [(pos, mods[k](j)) for j in range(max(0, layer - WINDOW // 2), min(n, layer - (-WINDOW // 2)))]
        values.append(trace(restore, answer)[2])
    t_cells = time.time() - t0
    print(json.dumps({"answer": answer, "p_corrupted": p_corr, "noise": level, "seconds_base": t_base,
                      "seconds_cells": t_cells, "cells": len(plan["cells"]), "values": values,
                      "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        run(sys.argv[2], sys.argv[3])
