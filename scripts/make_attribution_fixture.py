"""Direct-logit-attribution and attribution-patching references, computed in PyTorch (float64)
from a tiny random GPT-2, for test/lib/methods/logit_attribution.test.ts and
attribution_patching.test.ts.

Writes to OUT_DIR (default test/fixtures/attribution):
  tiny-gpt2/     config.json + model.safetensors (save_pretrained)
  reference.json clean / corrupted ids (2 pairs), answer / wrong ids, and
    dla:          for pair 0's clean prompt at the last position, answer − wrong: per-head
                  contributions [layer][head], embed, pos_embed, mlp [layer], attn bias [layer],
                  ln_final bias term, unembed bias term, the logit difference, the frozen scale
    attribution:  (clean − corrupted) · ∂M/∂act on the corrupted run, M = Σ_pairs logit diff,
                  per pair: resid_pre / attn_out / mlp_out [layer][pos], z per head [layer][head]
                  (summed over positions) and [layer][head][pos]; clean and corrupted metrics

Written for attnlab from the definitions (Nanda 2023; TransformerLens's apply_ln_to_stack for the
frozen final-LayerNorm scale): the hooks here are torch module hooks on the HF model, the
gradient is autograd's with respect to a zero tensor added at each site, and DLA is computed by
hand from the weights. Nothing in attnlab is used.
"""
import json
import os
import sys

import torch

torch.set_num_threads(1)
from transformers import GPT2Config, GPT2LMHeadModel

OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "attribution")
LAYERS, D, HEADS, VOCAB, CTX = 3, 32, 4, 100, 32
E = D // HEADS
CLEAN = [[5, 17, 42, 8, 63, 21, 9, 77], [12, 3, 56, 40, 18, 91, 27, 64]]
CORRUPT = [[5, 17, 88, 8, 63, 21, 9, 77], [12, 3, 56, 14, 18, 91, 27, 64]]


def make_model():
    cfg = GPT2Config(n_layer=LAYERS, n_embd=D, n_head=HEADS, vocab_size=VOCAB, n_positions=CTX,
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(cfg)
    g = torch.Generator().manual_seed(16)
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            n = torch.randn(p.shape, generator=g)
            if name.endswith("bias"):
                p.copy_(0.1 * n)
            elif p.dim() == 1:
                p.copy_(1.0 + 0.2 * n)
            else:
                p.copy_(0.15 * n)
    return model.eval()


def run(model, ids, deltas=None, keep=None):
    """Forward with optional zero tensors added at each site; `keep` collects the activations."""
    handles = []
    blocks = model.transformer.h

    def add(site, l, x):
        if keep is not None:
            keep[(site, l)] = x.detach().clone()
        return x + deltas[(site, l)] if deltas is not None else x

    for l, blk in enumerate(blocks):
        def pre_block(mod, args, kwargs, l=l):
            if args:
                return (add("resid", l, args[0]),) + tuple(args[1:]), kwargs
            kwargs = dict(kwargs)
            kwargs["hidden_states"] = add("resid", l, kwargs["hidden_states"])
            return args, kwargs

        def post_attn(mod, args, out, l=l):
            return (add("attn_out", l, out[0]),) + tuple(out[1:])

        def post_mlp(mod, args, out, l=l):
            return add("mlp_out", l, out)

        def pre_proj(mod, args, l=l):
            z = args[0]  # [b, p, h*e], heads then d_head
            b, p, _ = z.shape
            return (add("z", l, z.view(b, p, HEADS, E)).reshape(b, p, HEADS * E),)

        handles += [blk.register_forward_pre_hook(pre_block, with_kwargs=True),
                    blk.attn.register_forward_hook(post_attn),
                    blk.mlp.register_forward_hook(post_mlp),
                    blk.attn.c_proj.register_forward_pre_hook(pre_proj)]
    final = {}
    handles.append(model.transformer.ln_f.register_forward_pre_hook(lambda m, a: final.__setitem__("x", a[0].detach().clone())))
    try:
        logits = model(torch.tensor(ids)).logits
    finally:
        for h in handles:
            h.remove()
    return logits, final["x"]


def logit_diff(logits, answers, wrongs):
    b = torch.arange(len(answers))
    return logits[b, -1, answers] - logits[b, -1, wrongs]


def main():
    os.makedirs(OUT, exist_ok=True)
    model = make_model()
    model.save_pretrained(os.path.join(OUT, "tiny-gpt2"), safe_serialization=True)
    model = model.double()
    with torch.no_grad():
        answers = run(model, CLEAN)[0][:, -1].argmax(-1).tolist()
        wrongs = run(model, CORRUPT)[0][:, -1].argmax(-1).tolist()
    assert all(a != w for a, w in zip(answers, wrongs)), (answers, wrongs)

    # --- DLA on pair 0's clean prompt, answer − wrong at the last position
    keep = {}
    with torch.no_grad():
        logits, x = run(model, CLEAN[:1], keep=keep)
    torch.set_grad_enabled(False)  # DLA is arithmetic on weights and cached activations
    tr = model.transformer
    pos = len(CLEAN[0]) - 1
    xf = x[0, pos]
    scale = torch.sqrt(((xf - xf.mean()) ** 2).mean() + tr.ln_f.eps)
    u = tr.wte.weight[answers[0]] - tr.wte.weight[wrongs[0]]
    g = tr.ln_f.weight * u / scale
    g = g - g.mean()  # centring folded into the direction
    heads, mlp, attn_bias = [], [], []
    for l, blk in enumerate(tr.h):
        z = keep[("z", l)][0, pos]  # [h, e]
        W = blk.attn.c_proj.weight  # Conv1D: [in = h*e, out = d]
        heads.append([float((z[h] @ W[h * E:(h + 1) * E]) @ g) for h in range(HEADS)])
        mlp.append(float(keep[("mlp_out", l)][0, pos] @ g))
        attn_bias.append(float(blk.attn.c_proj.bias @ g))
    dla = {
        "pos": pos, "answer": answers[0], "against": wrongs[0], "scale": float(scale),
        "heads": heads, "mlp": mlp, "attn_bias": attn_bias,
        "embed": float(tr.wte.weight[CLEAN[0][pos]] @ g), "pos_embed": float(tr.wpe.weight[pos] @ g),
        "ln_bias": float(tr.ln_f.bias @ u), "unembed_bias": 0.0,
        "logit_diff": float(logits[0, pos, answers[0]] - logits[0, pos, wrongs[0]]),
    }

    # --- Attribution patching: clean activations, then corrupted activations and gradients
    torch.set_grad_enabled(True)
    clean = {}
    with torch.no_grad():
        clean_logits, _ = run(model, CLEAN, keep=clean)
    deltas = {k: torch.zeros_like(v, requires_grad=True) for k, v in clean.items()}
    corr = {}
    corr_logits, _ = run(model, CORRUPT, deltas=deltas, keep=corr)
    m = logit_diff(corr_logits, answers, wrongs)
    m.sum().backward()
    attr = {}
    for (site, l), d in deltas.items():
        a = ((clean[(site, l)] - corr[(site, l)]) * d.grad).sum(-1)  # [b, p] or [b, p, h]
        attr.setdefault(site, {})[l] = a
    out = {k: [] for k in ["resid", "attn_out", "mlp_out", "heads", "heads_by_pos"]}
    for b in range(len(CLEAN)):
        for site in ["resid", "attn_out", "mlp_out"]:
            out[site].append([attr[site][l][b].tolist() for l in range(LAYERS)])
        out["heads"].append([attr["z"][l][b].sum(0).tolist() for l in range(LAYERS)])
        out["heads_by_pos"].append([attr["z"][l][b].T.tolist() for l in range(LAYERS)])
    ref = {
        "clean": CLEAN, "corrupted": CORRUPT, "answers": answers, "wrongs": wrongs, "dla": dla,
        "attribution": {**out, "clean_metric": logit_diff(clean_logits, answers, wrongs).tolist(), "corrupted_metric": m.tolist()},
    }
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f)
    print(f"attribution fixture: answers {answers}, wrongs {wrongs}, logit diff {dla['logit_diff']:.4f}")


if __name__ == "__main__":
    main()
