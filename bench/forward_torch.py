"""PyTorch peer of bench/forward.ts: GPT-2 small, random init, 128 tokens, every activation kept.

"Every activation" = HF's hidden_states and attentions plus the output of every submodule, caught by
forward hooks (the closest analogue of attnlab's full cache). Prints one JSON line.
Usage: .venv/bin/python bench/forward_torch.py [--tokens 128] [--reps 3] [--threads 1] [--serve]
  --serve: after the warm-up, prints {"ready": true} and then one result line per line read on stdin
           (the contract of bench/interleave.ts, which alternates it with attnlab in rounds)
"""
import argparse
import json
import resource
import statistics
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=128)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--serve", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    t0 = time.perf_counter()
    cfg = GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024, attn_implementation="eager")
    model = GPT2LMHeadModel(cfg).eval()
    init_s = time.perf_counter() - t0
    ids = torch.tensor([[(i * 7919 + 13) % 50257 for i in range(a.tokens)]])
    cache = {}
    for name, mod in model.named_modules():
        if name:
            mod.register_forward_hook(lambda m, i, o, n=name: cache.__setitem__(n, o))

    def once():
        cache.clear()
        s = time.perf_counter()
        with torch.no_grad():
            out = model(ids, output_hidden_states=True, output_attentions=True)
        ms = (time.perf_counter() - s) * 1000
        n = len(cache) + len(out.hidden_states) + len(out.attentions)
        del out
        return ms, n

    def report():
        runs = [once() for _ in range(a.reps)]
        times = sorted(r[0] for r in runs)
        print(json.dumps({
            "impl": "pytorch", "torch": torch.__version__, "threads": a.threads, "tokens": a.tokens, "reps": a.reps,
            "init_s": init_s, "forward_ms_median": statistics.median(times), "forward_ms_all": times,
            "cached_activations": runs[0][1], "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }), flush=True)

    once()
    if a.serve:
        print(json.dumps({"ready": True}), flush=True)
        for _ in sys.stdin:
            report()
    else:
        report()


if __name__ == "__main__":
    main()
