"""attn-only-2l's configuration (2 attention-only layers, 4 heads, d 128, vocabulary 4096, context
128, pre-LN, tied unembedding) trained from scratch in PyTorch on repeated random-token rows with
next-token loss alone: a reference, independent of our TF.js harness, for how long such a model
sits on the plateau before a previous-token and an induction head form (the model card cites it).

Same optimiser as scripts/train/trainer.ts (AdamW 0.9/0.95, decay on matrices, clipping at 1,
100-step warm-up, cosine to 10%); rows as scripts/data/lm.ts's repeatedRow (segments, optional
random filler before and after each segment, its repeat). Every 250 steps it prints the best
layer-0 previous-token score and the best layer-1 prefix-matching score on 20 rows of BOS + 50
random ids (from the whole vocabulary, as the card measures) + the same 50, and the losses of
both halves; with --vocab-draw < 4096 also the same on ids from the training subset. At the end
it reports where each head attends on those rows (layer 0 by offset back from the query, layer 1
by offset from the first occurrence of the query's token), so a model that predicts the repeats
by some other mechanism is told apart from the induction circuit.

    .venv/bin/python scripts/train/torch_attn_only_reference.py [--steps 3000] [--lr 1e-3]
        [--seg 8,40] [--gap 12] [--reps 1] [--vocab-draw 4096] [--pos normal|sin] [--score-first 1] [--save FILE] [--load FILE]
"""
import argparse, math, time

import torch
import torch.nn as nn
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=3000); p.add_argument("--lr", type=float, default=1e-3)
p.add_argument("--batch", type=int, default=16); p.add_argument("--seg", default="8,40")
p.add_argument("--gap", type=int, default=12); p.add_argument("--reps", type=int, default=1)
p.add_argument("--vocab-draw", type=int, default=4096, help="draw repeated ids from 1..N-1 only")
p.add_argument("--pos", choices=["normal", "sin"], default="normal")
p.add_argument("--score-first", type=int, choices=[0, 1], default=1, help="1: score every position, 0: only the repeats")
p.add_argument("--seed", type=int, default=0); p.add_argument("--threads", type=int, default=1)
p.add_argument("--save", help="write the final state_dict here (torch.save)")
p.add_argument("--load", help="skip training: report on a state_dict saved by --save")
a = p.parse_args()
smin, smax = map(int, a.seg.split(","))
if not (1 <= smin <= smax): p.error("--seg must be MIN,MAX with 1 <= MIN <= MAX")
if not (2 <= a.vocab_draw <= 4096): p.error("--vocab-draw must be in [2, 4096]")
torch.set_num_threads(a.threads); torch.manual_seed(a.seed)
V, D, H, T, L = 4096, 128, 4, 128, 2
DH = D // H


class AttnOnly(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Parameter(torch.randn(V, D) * 0.02)
        self.wpe = nn.Parameter(torch.randn(T, D) * 0.01)
        if a.pos == "sin":  # sinusoids at the initial token scale: offsets are linear maps from the start
            pos, i = torch.arange(T)[:, None], torch.arange(0, D, 2)[None]
            ang = pos / 10000 ** (i / D)
            self.wpe.data[:, 0::2], self.wpe.data[:, 1::2] = 0.02 * torch.sin(ang), 0.02 * torch.cos(ang)
        self.ln = nn.ModuleList(nn.LayerNorm(D) for _ in range(L + 1))
        self.qkv = nn.ModuleList(nn.Linear(D, 3 * D) for _ in range(L))
        self.out = nn.ModuleList(nn.Linear(D, D) for _ in range(L))
        for m in self.qkv: nn.init.normal_(m.weight, std=0.02); nn.init.zeros_(m.bias)
        for m in self.out: nn.init.normal_(m.weight, std=0.02 / math.sqrt(2 * L)); nn.init.zeros_(m.bias)

    def forward(self, x):  # x [batch, pos] -> logits [batch, pos, vocab], patterns per layer [batch, head, query, key]
        B, t = x.shape
        h = self.wte[x] + self.wpe[:t]
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
        patterns = []
        for l in range(L):
            q, k, v = (z.view(B, t, H, DH).transpose(1, 2) for z in self.qkv[l](self.ln[l](h)).split(D, -1))
            pat = ((q @ k.transpose(-1, -2)) / math.sqrt(DH)).masked_fill(future, float("-inf")).softmax(-1)
            patterns.append(pat)
            h = h + self.out[l]((pat @ v).transpose(1, 2).reshape(B, t, D))
        return self.ln[L](h) @ self.wte.T, patterns


gen = torch.Generator().manual_seed(a.seed + 1)
def ints(lo, hi, n=1): return torch.randint(lo, hi, (n,), generator=gen).tolist()
def row():
    seq, weight = [0], []
    def filler():
        n = ints(0, a.gap + 1)[0] if a.gap > 0 else 0
        seq.extend(ints(1, a.vocab_draw, n)); weight.extend([0] * n)
    while len(seq) < T + 1:
        seg = ints(1, a.vocab_draw, ints(smin, smax + 1)[0])
        filler(); seq.extend(seg); weight.extend([0] * len(seg))
        for _ in range(a.reps):
            filler(); seq.extend(seg); weight.extend([0] + [1] * (len(seg) - 1))
    return seq[:T + 1], weight[:T]
def batch():
    rows = [row() for _ in range(a.batch)]
    x = torch.tensor([r[0] for r in rows]); w = torch.tensor([r[1] for r in rows], dtype=torch.float)
    return x[:, :-1], x[:, 1:], torch.ones_like(w) if a.score_first else w

def probe_rows(hi, g):
    first = torch.cat([torch.zeros(20, 1, dtype=torch.long), torch.randint(1, hi, (20, 50), generator=g)], 1)
    return torch.cat([first, first[:, 1:]], 1)  # [20, 101]: BOS + 50 + the same 50
g = torch.Generator().manual_seed(12345)
probes = {"all": probe_rows(V, g)}
if a.vocab_draw < V: probes["subset"] = probe_rows(a.vocab_draw, g)
def measure(x):
    with torch.no_grad():
        logits, pats = model(x)
        nll = -logits.log_softmax(-1)[:, :-1].gather(-1, x[:, 1:, None])[..., 0]
        i, q = torch.arange(1, 101), torch.arange(51, 101)
        prev = max(pats[0][:, h, i, i - 1].mean().item() for h in range(H))
        induction = max(pats[1][:, h, q, q - 49].mean().item() for h in range(H))
        return f"prev-token {prev:.2f} prefix-matching {induction:.2f} loss first/repeat {nll[:, :50].mean():.2f}/{nll[:, 51:].mean():.2f}"

model = AttnOnly()
if a.load:
    model.load_state_dict(torch.load(a.load))
    a.steps = 0
mats = [q for q in model.parameters() if q.dim() == 2]; rest = [q for q in model.parameters() if q.dim() < 2]
opt = torch.optim.AdamW([{"params": mats, "weight_decay": 0.01}, {"params": rest, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.95))
def lr_at(s):
    if s < 100: return a.lr * (s + 1) / 100
    f = (s - 100) / max(1, a.steps - 100)
    return a.lr * (0.1 + 0.45 * (1 + math.cos(math.pi * f)))
t0 = time.time()
for s in range(a.steps):
    for group in opt.param_groups: group["lr"] = lr_at(s)
    x, y, w = batch()
    nll = F.cross_entropy(model(x)[0].reshape(-1, V), y.reshape(-1), reduction="none").view_as(w)
    loss = (nll * w).sum() / w.sum()
    opt.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0); opt.step()
    if s % 250 == 0 or s == a.steps - 1:
        shown = " | ".join(f"{k}: {measure(x)}" for k, x in probes.items())
        print(f"step {s} train loss {loss.item():.3f} | {shown} | {time.time() - t0:.0f} s", flush=True)
if a.load:
    print(f"{a.load} | " + " | ".join(f"{k}: {measure(x)}" for k, x in probes.items()))
# Where each head looks on the probe rows, to tell which circuit (if any) predicts the repeats:
# layer 0 by offset back from the query (0 = itself), layer 1 on the repeat queries by offset from the
# first occurrence of the query's token (+1 = the token after it, the induction target).
with torch.no_grad():
    _, pats = model(probes["all"])
    q = torch.arange(51, 101)
    for h in range(H):
        back = [pats[0][:, h, q, q - o].mean().item() for o in range(4)]
        print(f"head 0.{h}: attention to offset 0..3 back " + " ".join(f"{x:.2f}" for x in back))
    for h in range(H):
        near = [pats[1][:, h, q, q - 50 + d].mean().item() for d in range(-1, 12)]
        print(f"head 1.{h}: attention to first occurrence -1..+11 " + " ".join(f"{x:.2f}" for x in near))
if a.save:
    torch.save(model.state_dict(), a.save)
