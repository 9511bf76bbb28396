"""Cross-checks a shipped GPT model with Hugging Face transformers: loads models/NAME with
GPT2LMHeadModel and prints the validation loss on the same windows as measure-lm.ts
(<|endoftext|> + 127 tokens, first N windows of the Brown validation stream).

    .venv/bin/python scripts/train/check_hf.py models/brown-gpt [windows=500]
"""
import math
import os
import sys

import numpy as np
import torch
from transformers import GPT2LMHeadModel

model_dir = sys.argv[1]
windows = int(sys.argv[2]) if len(sys.argv) > 2 else 500
root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
stream = np.fromfile(os.path.join(root, ".cache/data/brown/valid.bpe.u16"), dtype="<u2").astype(np.int64)
model = GPT2LMHeadModel.from_pretrained(model_dir).eval()
W = model.config.n_positions - 1
rows = [np.concatenate([[0], stream[s:s + W]]) for s in range(0, len(stream) - W + 1, W)][:windows]
total, n = 0.0, 0
with torch.no_grad():
    for i in range(0, len(rows), 16):
        ids = torch.tensor(np.stack(rows[i:i + 16]))
        logits = model(ids).logits[:, :-1]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="sum")
        total += loss.item()
        n += ids[:, 1:].numel()
print(f"transformers GPT2LMHeadModel: {n} tokens, loss {total / n:.4f}, perplexity {math.exp(total / n):.2f}")
