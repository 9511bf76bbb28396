"""brown-bert's configuration trained from scratch by PyTorch/transformers with the same data, masking,
batch, learning rate, betas, clipping, 100-step warm-up and cosine decay to 10% as
scripts/train/brown-bert.ts (torch's AdamW decays every parameter, ours only the matrices): a reference for how
fast a masked LM of this size leaves the unigram plateau (the model card cites it).

    .venv/bin/python scripts/train/torch_bert_reference.py STEPS LR     e.g. 500 1e-3
"""
import json, math, pathlib, random, sys, time

import torch
from transformers import BertConfig, BertForMaskedLM

ROOT = pathlib.Path(__file__).resolve().parents[2]
torch.set_num_threads(1); torch.manual_seed(0); random.seed(0)
cfg = BertConfig.from_pretrained(ROOT / "models" / "brown-bert")
model = BertForMaskedLM(cfg)
def docs(split):
    return [sum(json.loads(l), []) for l in open(ROOT / ".cache" / "data" / "brown" / f"{split}.wp.jsonl") if l.strip()]
tr, va = docs("train"), docs("valid")
T, B = 128, 16
def batch(ds, rng):
    ids, labels = [], []
    for _ in range(B):
        d = ds[rng.randrange(len(ds))]
        while len(d) < T - 2: d = ds[rng.randrange(len(ds))]
        s = rng.randrange(len(d) - (T - 2) + 1)
        row = [2] + d[s:s + T - 2] + [3]
        inp, lab = list(row), [-100] * T
        for t in range(1, T - 1):
            if rng.random() < 0.15:
                lab[t] = row[t]; u = rng.random()
                if u < 0.8: inp[t] = 4
                elif u < 0.9: inp[t] = 5 + rng.randrange(4091)
        ids.append(inp); labels.append(lab)
    return torch.tensor(ids), torch.tensor(labels)
vrng = random.Random(999); vb = [batch(va, vrng) for _ in range(2)]
if len(sys.argv) != 3:
    sys.exit("usage: torch_bert_reference.py STEPS LR")
steps = int(sys.argv[1]); lr = float(sys.argv[2])
opt = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.01)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1, (s + 1) / 100) * (0.1 + 0.45 * (1 + math.cos(math.pi * min(1, max(0, s - 100) / max(1, steps - 100))))))
rng = random.Random(1); t0 = time.time()
for s in range(steps):
    x, y = batch(tr, rng)
    loss = model(input_ids=x, labels=y).loss
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step(); sched.step()
    if (s + 1) % 100 == 0:
        with torch.no_grad(): v = sum(model(input_ids=a, labels=b).loss.item() for a, b in vb) / 2
        print(f"step {s+1} train {loss.item():.3f} valid {v:.3f} {time.time()-t0:.0f}s", flush=True)
