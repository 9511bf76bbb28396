"""Hugging Face side of bench/tokenizers.sh: the same texts and file, one JSON line out."""
import json
import os
import statistics
import sys
import time

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
from safetensors.numpy import load_file  # noqa: E402
from transformers import BertTokenizerFast, GPT2TokenizerFast  # noqa: E402

minilm, bpe_dir = sys.argv[1], sys.argv[2]
reps = int(sys.argv[sys.argv.index("--reps") + 1]) if "--reps" in sys.argv else 3
lines = [l for l in open(os.path.join(minilm, "README.md"), encoding="utf-8").read().split("\n") if l.strip()]
texts = lines * 50
out = {"lines": len(texts)}
for name, tok in (("wordpiece", BertTokenizerFast.from_pretrained(minilm)), ("bpe", GPT2TokenizerFast.from_pretrained(bpe_dir))):
    times = []
    for _ in range(reps):
        s = time.perf_counter()
        n = sum(len(tok(t)["input_ids"]) for t in texts)
        times.append((time.perf_counter() - s) * 1000)
    out[f"{name}_ms"] = statistics.median(times)
    out[f"{name}_tokens"] = n
    times = []
    for _ in range(reps):
        s = time.perf_counter()
        tok(texts)
        times.append((time.perf_counter() - s) * 1000)
    out[f"{name}_batch_ms"] = statistics.median(times)
times = []
for _ in range(reps):
    s = time.perf_counter()
    load_file(os.path.join(minilm, "model.safetensors"))
    times.append((time.perf_counter() - s) * 1000)
out["safetensors_ms"] = statistics.median(times)
print(json.dumps(out))
