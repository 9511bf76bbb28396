#!/usr/bin/env bash
# Attribution-patching benchmark: attnlab's attribution patching (2 forward + 1 backward pass) of
# every head (hook_z, all positions) and every (layer, position) of the residual stream
# (resid_pre), against attnlab's exact activation patching of the same two grids (batched rows,
# lib/methods/patching.ts), on a random GPT-2-small-sized model (made in PyTorch, saved as
# safetensors, loaded by attnlab) and a 16-token clean/corrupted pair (3 tokens differ).
# Times are medians of BENCH_REPEATS (default 3) runs after one warm-up; correlation is Pearson r
# between the estimated and the exact normalised maps.
#   flock /tmp/attnlab-heavy.lock bash bench/attribution_patching.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
WORK="$ROOT/.cache/bench/attribution_patching"
MODEL="$WORK/gpt2-small-random"
mkdir -p "$WORK"
"$PY" - "$MODEL" "$WORK" "${BENCH_REPEATS:-3}" <<'PYEOF'
import json, os, sys
import numpy as np
model_dir, work, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
if not os.path.exists(f"{model_dir}/model.safetensors"):
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config()).eval().save_pretrained(model_dir, safe_serialization=True)  # 12 x 768, 12 heads, vocab 50257
rng = np.random.RandomState(16)
clean = [int(x) for x in rng.randint(0, 50257, size=16)]
corrupted = list(clean)
for p in (4, 5, 6):
    corrupted[p] = int(rng.randint(0, 50257))
json.dump({"clean": clean, "corrupted": corrupted, "repeats": repeats}, open(f"{work}/plan.json", "w"))
PYEOF
(cd "$ROOT" && npx tsc -p tsconfig.json >/dev/null)
node "$ROOT/dist/bench/attribution_patching.js" "$MODEL" "$WORK/plan.json" > "$WORK/attnlab.json"
"$PY" - "$WORK" <<'PYEOF'
import json, sys
w = sys.argv[1]
a = json.load(open(f"{w}/attnlab.json"))
exact = a["secondsExactResid"] + a["secondsExactHeads"]
print("attribution patching vs exact activation patching, random GPT-2 small (12 x 768, 12 heads, vocab 50257), 16 tokens (3 differ)")
print(f"  metric: logit diff {a['metric']['answer']} - {a['metric']['wrong']}: clean {a['cleanMetric']:.4f}, corrupted {a['corruptedMetric']:.4f}")
print(f"  attnlab attribution patching, heads [12, 12] + resid_pre [12, 16]: {a['secondsAttribution']:7.2f} s  (2 forward + 1 backward pass)")
print(f"  attnlab exact patching, resid_pre [12, 16] (192 rows)           : {a['secondsExactResid']:7.2f} s")
print(f"  attnlab exact patching, heads [12, 12] (144 rows)               : {a['secondsExactHeads']:7.2f} s  ({a['passesExact']} batched passes for both grids)")
print(f"  ratio exact / attribution (both grids): {exact / a['secondsAttribution']:.1f}x")
print(f"  correlation (Pearson r) estimate vs exact: resid_pre {a['rResid']:.3f}, heads {a['rHeads']:.3f}")
print("  TransformerLens peer: not run (bench/patching_tl.py is not in the tree and transformer_lens is not installed)")
PYEOF
