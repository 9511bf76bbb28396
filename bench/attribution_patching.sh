#!/usr/bin/env bash
# Attribution-patching benchmark: attnlab's attribution patching (2 forward + 1 backward pass) of
# every head (hook_z, all positions) and every (layer, position) of the residual stream
# (resid_pre), against attnlab's exact activation patching of the same two grids (batched rows,
# lib/methods/patching.ts), on a random GPT-2-small-sized model (made in PyTorch, saved as
# safetensors, loaded by attnlab) and a 16-token clean/corrupted pair (3 tokens differ).
# Times are medians of BENCH_REPEATS (default 3) runs after one warm-up; correlation is Pearson r
# between the estimated and the exact normalised maps.
# Peer: TransformerLens's exact patching of the same grids (get_act_patch_resid_pre and
# get_act_patch_attn_head_out_all_pos) through bench/patching_tl.py, the TransformerLens peer of
# bench/patching.sh, in its venv (.cache/bench/tl-venv, made by bench/patching.sh); skipped, and said
# so, when that venv or script is missing. It runs BENCH_TL_REPEATS times (default 1: one forward per
# cell takes minutes per grid), median reported.
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
TL_PY="$ROOT/.cache/bench/tl-venv/bin/python"
TL_PEER="$ROOT/bench/patching_tl.py"
TOK="$ROOT/test/fixtures/pretrained/tiny-gpt2"  # any GPT-2-style tokenizer: the prompts are ids
rm -f "$WORK"/tl*.json
if [ -x "$TL_PY" ] && [ -f "$TL_PEER" ] && [ -f "$TOK/tokenizer.json" ]; then
  # The peer measures the metric attnlab chose (answer/wrong written next to the prompts).
  "$PY" -c "import json,sys; p=json.load(open(sys.argv[1])); a=json.load(open(sys.argv[2])); p.update(a['metric']); json.dump(p, open(sys.argv[3],'w'))" \
    "$WORK/plan.json" "$WORK/attnlab.json" "$WORK/plan_tl.json"
  for r in $(seq 1 "${BENCH_TL_REPEATS:-1}"); do
    "$TL_PY" "$TL_PEER" "$MODEL" "$TOK" "$WORK/plan_tl.json" 2 > "$WORK/tl$r.json"
  done
fi
"$PY" - "$WORK" <<'PYEOF'
import glob, json, statistics, sys
import numpy as np
w = sys.argv[1]
a = json.load(open(f"{w}/attnlab.json"))
tl = [json.load(open(f)) for f in sorted(glob.glob(f"{w}/tl[0-9]*.json"))]
exact = a["secondsExactResid"] + a["secondsExactHeads"]
print("attribution patching vs exact activation patching, random GPT-2 small (12 x 768, 12 heads, vocab 50257), 16 tokens (3 differ)")
print(f"  metric: logit diff {a['metric']['answer']} - {a['metric']['wrong']}: clean {a['cleanMetric']:.4f}, corrupted {a['corruptedMetric']:.4f}")
print(f"  attnlab attribution patching, heads [12, 12] + resid_pre [12, 16]: {a['secondsAttribution']:7.2f} s  (2 forward + 1 backward pass)")
print(f"  attnlab exact patching, resid_pre [12, 16] (192 rows)           : {a['secondsExactResid']:7.2f} s")
print(f"  attnlab exact patching, heads [12, 12] (144 rows)               : {a['secondsExactHeads']:7.2f} s  ({a['passesExact']} batched passes for both grids)")
print(f"  ratio exact / attribution (both grids): {exact / a['secondsAttribution']:.1f}x")
print(f"  correlation (Pearson r) estimate vs exact: resid_pre {a['rResid']:.3f}, heads {a['rHeads']:.3f}")
if not tl:
    print("  TransformerLens peer: not run (needs .cache/bench/tl-venv from bench/patching.sh and bench/patching_tl.py)")
else:
    t = tl[0]
    norm = lambda g: (np.array(g) - t["corrupted_metric"]) / (t["clean_metric"] - t["corrupted_metric"])
    tl_resid = statistics.median(x["seconds_resid_pre"] for x in tl)
    tl_heads = statistics.median(x["seconds_head_out"] for x in tl)
    print(f"  TransformerLens {t.get('version', '?')} exact patching (torch {t.get('torch', '?')}, {t.get('threads')} threads, median of {len(tl)}): "
          f"resid_pre {tl_resid:.2f} s, heads {tl_heads:.2f} s")
    print(f"  ratio TransformerLens exact / attnlab attribution (both grids): {(tl_resid + tl_heads) / a['secondsAttribution']:.1f}x; "
          f"TransformerLens exact / attnlab exact: {(tl_resid + tl_heads) / exact:.2f}x")
    print(f"  correlation attnlab estimate vs TransformerLens exact: resid_pre {np.corrcoef(a['residEstimate'], norm(t['resid_pre']))[0, 1]:.3f}, "
          f"heads {np.corrcoef(a['headsEstimate'], norm(t['head_out']))[0, 1]:.3f}")
    print(f"  agreement attnlab exact vs TransformerLens exact (normalised): max |diff| resid_pre "
          f"{np.abs(np.array(a['residExact']) - norm(t['resid_pre'])).max():.2e}, heads {np.abs(np.array(a['headsExact']) - norm(t['head_out'])).max():.2e}")
PYEOF
