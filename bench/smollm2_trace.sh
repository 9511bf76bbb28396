#!/usr/bin/env bash
# Causal tracing of one 10-token fact on SmolLM2-135M: attnlab's fast path (loadModel("smollm2-135m"))
# vs ROME's procedure in PyTorch (transformers' GGUF loader on the same file, eager, float32), same run,
# same noise draws and noise level: 3 kinds (hidden, MLP, attention; window 10), 10 samples, every cell
# of the 10 x 30 grids (900 restorations). attnlab runs every cell; PyTorch times every
# BENCH_EVERY-th (default 10th) and scales to 900 (each restoration is one identical 11-row forward
# pass; BENCH_EVERY=1 runs them all), with 1 and with 2 intra-op threads (BENCH_TORCH_THREADS="1 2");
# the faster is the peer.
#   flock /tmp/attnlab-heavy.lock bash bench/smollm2_trace.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
WORK="$ROOT/.cache/bench/smollm2_trace"
mkdir -p "$WORK"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
# The fact: "<|endoftext|>The Eiffel Tower is in the city of" is 10 tokens with SmolLM2's
# tokenizer (checked by the attnlab side); subject "The Eiffel Tower" = tokens 1..4.
"$PY" - "$WORK" "${BENCH_WORKERS:-1}" <<'PYEOF'
import json, sys, numpy as np
work, workers = sys.argv[1], int(sys.argv[2])
subject = [1, 5]
np.random.RandomState(1).randn(10, subject[1] - subject[0], 576).astype("<f4").tofile(f"{work}/noise.bin")
json.dump({"prompt": "<|endoftext|>The Eiffel Tower is in the city of", "tokens": 10, "subject": subject,
           "noise_file": f"{work}/noise.bin", "workers": workers}, open(f"{work}/plan.json", "w"))
PYEOF
[ -n "${BENCH_NO_BUILD:-}" ] || node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/smollm2_trace.js ] || { echo "bench/smollm2_trace.sh: dist/bench/smollm2_trace.js was not built" >&2; exit 1; }
node dist/bench/smollm2_trace.js "$WORK/plan.json" > "$WORK/attnlab.json"
THREADS="${BENCH_TORCH_THREADS:-1 2}"
for t in $THREADS; do
  BENCH_TORCH_THREADS=$t BENCH_EVERY="${BENCH_EVERY:-10}" "$PY" bench/smollm2_trace_torch.py "$WORK/plan.json" "$WORK/attnlab.json" > "$WORK/torch$t.json"
done
"$PY" - "$WORK" "$LOAD" $THREADS <<'PYEOF'
import json, sys
w, load, threads = sys.argv[1], sys.argv[2], sys.argv[3:]
a = json.load(open(f"{w}/attnlab.json"))
runs = [json.load(open(f"{w}/torch{n}.json")) for n in threads]
best = min(runs, key=lambda r: r["seconds"])
L = a["layers"]
diff = max(abs(a["values"][c["kind"]][c["pos"] * L + c["layer"]] - v) for c, v in zip(best["timed"], best["values"]))
print(f"causal tracing, SmolLM2-135M (Q4_1 GGUF as float32), {len(a['ids'])} tokens {a['tokens']}, subject 1..4, "
      f"10 samples, window 10, {best['cells']} restorations (load average before: {load})")
print(f"  attnlab fast path    : {a['seconds']:7.1f} s ({a['workers'] + 1} threads, {a['forwardPasses']} batched passes; load {a['loadSeconds']:.1f} s)")
for r in runs:
    ext = "" if r["timed_cells"] == r["cells"] else f", extrapolated from {r['timed_cells']} of {r['cells']} cells"
    print(f"  PyTorch {r['torch']} ROME proc.: {r['seconds']:7.1f} s ({r['threads']} thread(s){ext}; load {r['load_seconds']:.1f} s)")
print(f"  ratio PyTorch best / attnlab fast = {best['seconds'] / a['seconds']:.2f}x")
print(f"  agreement: answer {a['answer']} ({a['answerToken']!r}) vs {best['answer']}, p_clean {a['pClean']:.5f} vs {best['p_clean']:.5f}, "
      f"p_corrupted {a['pCorrupted']:.5f} vs {best['p_corrupted']:.5f}, max |attnlab - pytorch| over the {len(best['timed'])} cells PyTorch ran {diff:.2e}")
PYEOF
