#!/usr/bin/env bash
# Activation-patching sweeps vs TransformerLens, same random GPT-2-small weights (GPT2Config(),
# seed 0, made in PyTorch, saved as safetensors), 16 tokens, logit-difference metric:
#   resid_pre by (layer, pos), 192 cells   vs patching.get_act_patch_resid_pre
#   head output (hook_z) all positions, 144 cells vs patching.get_act_patch_attn_head_out_all_pos
# attnlab on tfjs-node and on wasm; TransformerLens 4.3 (TransformerBridge, compatibility mode, no
# weight processing, no grad) at 1 and 2 torch threads (BENCH_TL_THREADS), the faster is the peer.
# Prints times, peak RSS, ratios and the largest grid difference. attnlab (tfjs-node) repeats each
# grid BENCH_REPS times (default 3) and reports medians; wasm runs once (BENCH_WASM=0 skips it).
#   bash bench/patching.sh
#   BENCH_TL_THREADS=1 bash bench/patching.sh   # TransformerLens at 1 thread only
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
WORK="$ROOT/.cache/bench/patching"
MODEL="$ROOT/.cache/bench/causal_trace/gpt2-small-random"  # shared with bench/causal_trace.sh
TLV="$ROOT/.cache/bench/tl-venv"
# Any GPT-2-style tokenizer serves the peer (the prompts are ids): the set-up's small one.
TOK="$ROOT/test/fixtures/pretrained/tiny-gpt2"
[ -f "$TOK/tokenizer.json" ] || { echo "bench/patching.sh: $TOK/tokenizer.json is missing: run the set-up (npm test or scripts/setup.sh)" >&2; exit 1; }
mkdir -p "$WORK"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" TQDM_DISABLE=1
[ -f "$MODEL/model.safetensors" ] || "$PY" "$ROOT/bench/causal_trace_torch.py" make "$MODEL"
# TransformerLens 4.3 needs transformers >= 5: its own venv, torch pinned to the project's CPU build.
if [ ! -x "$TLV/bin/python" ] || ! "$TLV/bin/python" -c "import transformer_lens" 2>/dev/null; then
  python3 -m venv "$TLV"
  "$TLV/bin/python" -m pip install --quiet torch==2.13.0 transformer-lens==4.3.0
fi
# 16 seeded token ids; the corrupted prompt changes positions 2 and 3.
"$PY" - "$WORK/plan.json" <<'PYEOF'
import json, sys, numpy as np
rng = np.random.RandomState(11)
clean = [int(x) for x in rng.randint(0, 50257, size=16)]
corrupted = list(clean)
corrupted[2], corrupted[3] = int(rng.randint(0, 50257)), int(rng.randint(0, 50257))
json.dump({"clean": clean, "corrupted": corrupted, "answer": 262, "wrong": 373}, open(sys.argv[1], "w"))
PYEOF
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
node dist/bench/patching.js "$MODEL" "$WORK/plan.json" > "$WORK/attnlab.json"
if [ "${BENCH_WASM:-1}" != 0 ]; then
  ATTNLAB_BACKEND=wasm BENCH_REPS=1 node dist/bench/patching.js "$MODEL" "$WORK/plan.json" > "$WORK/attnlab_wasm.json"
else
  echo null > "$WORK/attnlab_wasm.json"
fi
TL=()
for n in ${BENCH_TL_THREADS:-1 2}; do
  "$TLV/bin/python" "$ROOT/bench/patching_tl.py" "$MODEL" "$TOK" "$WORK/plan.json" "$n" 2>/dev/null > "$WORK/tl$n.json"
  TL+=("$WORK/tl$n.json")
done
"$PY" - "$LOAD" "$WORK/attnlab.json" "$WORK/attnlab_wasm.json" "${TL[@]}" <<'PYEOF'
import json, sys
load, a, w, *tls = sys.argv[1:]
a, w = json.load(open(a)), json.load(open(w))
mine = [r for r in (a, w) if r]
tls = [json.load(open(f)) for f in tls]
tot = lambda r: r["seconds_resid_pre"] + r["seconds_head_out"]
peer = min(tls, key=tot)
print(f"activation patching, random GPT-2 small (12 x 768, vocab 50257), 16 tokens, logit-difference metric (load average before: {load})")
for r in mine:
    reps = len(r.get("seconds_resid_pre_all", [0]))
    print(f"  attnlab ({r['backend']}, {r.get('engine', 'hooked')} engine, median of {reps}): resid_pre {r['seconds_resid_pre']:7.1f} s, head out {r['seconds_head_out']:7.1f} s, "
          f"peak RSS {r['peak_rss_mb']:6.0f} MB (after loading the model {r.get('rss_after_load_mb', float('nan')):.0f} MB)")
for t in tls:
    print(f"  TransformerLens {t['version']} ({t['threads']} thread(s)): resid_pre {t['seconds_resid_pre']:7.1f} s, head out {t['seconds_head_out']:7.1f} s, peak RSS {t['peak_rss_mb']:6.0f} MB")
for r in mine:
    d = max(max(abs(x - y) for x, y in zip(r[k], peer[k])) for k in ("resid_pre", "head_out"))
    print(f"  ratios TL ({peer['threads']} thr) / attnlab ({r['backend']}): resid_pre {peer['seconds_resid_pre'] / r['seconds_resid_pre']:.2f}x, "
          f"head out {peer['seconds_head_out'] / r['seconds_head_out']:.2f}x; memory attnlab / TL {r['peak_rss_mb'] / peer['peak_rss_mb']:.2f}x; max |grid diff| {d:.1e}")
print(json.dumps({"attnlab": {k: v for k, v in a.items() if k not in ("resid_pre", "head_out")},
                  "attnlab_wasm": {k: v for k, v in w.items() if k not in ("resid_pre", "head_out")} if w else None,
                  "tl": [{k: v for k, v in t.items() if k not in ("resid_pre", "head_out")} for t in tls]}))
PYEOF
