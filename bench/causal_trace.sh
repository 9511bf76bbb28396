#!/usr/bin/env bash
# Causal-tracing benchmark: attnlab's fast path vs attnlab's naive path (one hooked forward per
# restoration) vs ROME's procedure in PyTorch, same random GPT-2-small weights (made in PyTorch,
# saved as safetensors, loaded by attnlab) and the same noise draws.
#   bash bench/causal_trace.sh            # naive paths timed on a sample of cells, extrapolated
#   BENCH_FULL=1 bash bench/causal_trace.sh   # every cell on every path (slow: tens of minutes)
#   BENCH_WORKERS="0 1" bash bench/causal_trace.sh   # the fast path with 0 and with 1 worker thread (the faster counts)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY="$ROOT/.venv/bin/python"
WORK="$ROOT/.cache/bench/causal_trace"
MODEL="$WORK/gpt2-small-random"
mkdir -p "$WORK"
[ -f "$MODEL/model.safetensors" ] || "$PY" "$ROOT/bench/causal_trace_torch.py" make "$MODEL"
# The plan: a 16-token prompt (seeded ids), subject tokens 1..3, the noise draws both sides use,
# and the cells the naive paths time (every cell with BENCH_FULL=1, else every 24th).
"$PY" - "$WORK" "${BENCH_FULL:-0}" "${BENCH_WORKERS:-0 1}" <<'PYEOF'
import json, sys, numpy as np
work, full, workers = sys.argv[1], sys.argv[2] == "1", [int(w) for w in sys.argv[3].split()]
rng = np.random.RandomState(7)
ids = [int(x) for x in rng.randint(0, 50257, size=16)]
subject = [1, 4]
np.random.RandomState(1).randn(10, subject[1] - subject[0], 768).astype("<f4").tofile(f"{work}/noise.bin")
cells = [{"kind": k, "pos": p, "layer": l} for k in ("hidden", "mlp", "attn") for p in range(16) for l in range(12)]
if not full:
    cells = cells[::24]
json.dump({"ids": ids, "subject": subject, "noise_file": f"{work}/noise.bin", "cells": cells, "workers": workers}, open(f"{work}/plan.json", "w"))
PYEOF
(cd "$ROOT" && npx tsc -p tsconfig.json >/dev/null)
node "$ROOT/dist/bench/causal_trace.js" "$MODEL" "$WORK/plan.json" $([ "${BENCH_FULL:-0}" = 1 ] && echo --full-naive) > "$WORK/attnlab.json"
# PyTorch with 1 and with 2 intra-op threads: on a loaded machine 2 threads can be slower, so the
# ratio is taken against the faster of the two.
BENCH_TORCH_THREADS=1 "$PY" "$ROOT/bench/causal_trace_torch.py" run "$MODEL" "$WORK/plan.json" > "$WORK/torch1.json"
BENCH_TORCH_THREADS=2 "$PY" "$ROOT/bench/causal_trace_torch.py" run "$MODEL" "$WORK/plan.json" > "$WORK/torch2.json"
"$PY" - "$WORK" <<'PYEOF'
import json, sys
w = sys.argv[1]
a, plan = json.load(open(f"{w}/attnlab.json")), json.load(open(f"{w}/plan.json"))
total = 3 * 12 * 16
naive = a["secondsNaive"] * total / a["naiveCells"]
runs = [json.load(open(f"{w}/torch{n}.json")) for n in (1, 2)]
secs = [r["seconds_base"] + r["seconds_cells"] * total / r["cells"] for r in runs]
best = min(range(2), key=lambda i: secs[i])
t, torch_s = runs[best], secs[best]
diff = max(abs(x - y) for x, y in zip(a["fastValues"], t["values"]))
est = "" if a["naiveCells"] == total else f" (extrapolated from {a['naiveCells']} of {total} cells)"
print(f"causal tracing, random GPT-2 small (12 x 768, vocab 50257), 16 tokens, subject 1..3, 10 samples, {total} cells")
print(f"  attnlab fast path   : {a['secondsFast']:8.1f} s  ({a['workers']} worker thread(s) + main, {a['forwardPassesFast']} batched passes)")
for r in a.get("byWorkers", []):
    print(f"    with {r['workers']} worker thread(s): {r['seconds']:.1f} s")
print(f"  attnlab naive path  : {naive:8.1f} s{est}")
test = "" if t["cells"] == total else f" (extrapolated from {t['cells']} of {total} cells)"
print(f"  PyTorch (ROME proc.): {secs[0]:8.1f} s with 1 thread, {secs[1]:.1f} s with 2 threads{test}; the faster is the peer")
print(f"  ratios: naive/fast = {naive / a['secondsFast']:.1f}x, pytorch/fast = {torch_s / a['secondsFast']:.2f}x")
print(f"  agreement: answer {a['answer']} vs {t['answer']}, p_corrupted {a['pCorrupted']:.6f} vs {t['p_corrupted']:.6f}, "
      f"max |fast - pytorch| over timed cells {diff:.2e}, max |fast - naive| {a['maxDiffFastVsNaive']:.2e}")
PYEOF
