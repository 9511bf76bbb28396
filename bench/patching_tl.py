"""TransformerLens side of bench/patching.sh, and a peer other benchmarks can reuse.

TransformerLens 4.3 (PyPI) runs in its own venv (.cache/bench/tl-venv: torch 2.13.0 + transformer-lens
4.3, which needs transformers >= 5, so not the project venv). Its model is a TransformerBridge booted
from a local transformers folder, in compatibility mode without weight processing (TransformerLens
hook names, no folding), gradients off, as its demos do.

    python patching_tl.py MODEL_DIR TOKENIZER_DIR PLAN_JSON THREADS   # prints one JSON line

Reuse: `load_bridge(model_dir, tokenizer_dir)` gives the hooked model; `patch_grids(bridge, plan)`
runs the two sweeps and returns their grids, times and the raw clean/corrupted metrics.
"""
import json
import resource
import sys
import time

import torch


def load_bridge(model_dir, tokenizer_dir):
    """TransformerBridge over the transformers folder `model_dir` (any GPT-2-style tokenizer works)."""
    from transformers import AutoTokenizer
    from transformer_lens.model_bridge import TransformerBridge

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    bridge = TransformerBridge.boot_transformers(model_dir, tokenizer=tok)
    bridge.enable_compatibility_mode(disable_warnings=True, no_processing=True)
    bridge.eval()
    return bridge


def patch_grids(bridge, plan):
    """Residual stream by (layer, pos) and each head's output over all positions, logit-difference metric."""
    from transformer_lens import patching

    clean = torch.tensor([plan["clean"]])
    corrupted = torch.tensor([plan["corrupted"]])
    answer, wrong = plan["answer"], plan["wrong"]

    def metric(logits):
        return logits[0, -1, answer] - logits[0, -1, wrong]

    out = {}
    with torch.no_grad():
        t0 = time.perf_counter()
        clean_logits, clean_cache = bridge.run_with_cache(clean)
        out["clean_metric"] = float(metric(clean_logits))
        out["corrupted_metric"] = float(metric(bridge(corrupted)))
        out["seconds_cache"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        resid = patching.get_act_patch_resid_pre(bridge, corrupted, clean_cache, metric)
        out["seconds_resid_pre"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        heads = patching.get_act_patch_attn_head_out_all_pos(bridge, corrupted, clean_cache, metric)
        out["seconds_head_out"] = time.perf_counter() - t0
    out["resid_pre"] = resid.flatten().tolist()  # [layer, pos], raw metric
    out["head_out"] = heads.flatten().tolist()  # [layer, head], raw metric
    return out


def main():
    model_dir, tok_dir, plan_file, threads = sys.argv[1:5]
    torch.set_num_threads(int(threads))
    plan = json.load(open(plan_file))
    bridge = load_bridge(model_dir, tok_dir)
    out = patch_grids(bridge, plan)
    import transformer_lens

    out.update({
        "impl": "transformer_lens", "version": transformer_lens.__version__ if hasattr(transformer_lens, "__version__") else "4.3",
        "torch": torch.__version__, "threads": int(threads),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    })
    print(json.dumps(out))


if __name__ == "__main__":
    main()
