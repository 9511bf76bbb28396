#!/usr/bin/env bash
# Forward pass + full activation cache, GPT-2 small (random init, 128 tokens): attnlab on its default
# backend (tfjs-node) and on wasm vs PyTorch (1 thread and all threads; the faster is the peer),
# measured in the same run.
# Usage: bash bench/forward.sh [--tokens N] [--reps N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The build emits JavaScript even if unrelated files have type errors; only the bench output matters.
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/forward.js ] || { echo "bench/forward.sh: dist/bench/forward.js was not built" >&2; exit 1; }
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
JS=$(node dist/bench/forward.js "$@")
JSW=$(ATTNLAB_BACKEND=wasm node dist/bench/forward.js "$@")
PY1=$(.venv/bin/python bench/forward_torch.py --threads 1 "$@")
PYN=$(.venv/bin/python bench/forward_torch.py --threads "$(nproc)" "$@")
node -e '
const [js, jsw, py1, pyn] = process.argv.slice(1, 5).map((s) => JSON.parse(s));
const f = (x) => x.toFixed(0);
const t = (r) => `median ${f(r.forward_ms_median)} ms (min ${f(r.forward_ms_all[0])})`;
console.log(`GPT-2 small forward + full cache, ${js.tokens} tokens, ${js.reps} timed runs after a warm-up (load average before: ${process.argv[5]})`);
for (const a of [js, jsw]) console.log(`  attnlab (${a.backend}):        ${t(a)}   peak RSS ${f(a.peak_rss_mb)} MB; tf.memory ${f(a.tf_bytes_with_cache / 2 ** 20)} MB in ${a.tf_tensors_with_cache} tensors while ${a.cached_activations} activations are cached`);
console.log(`  PyTorch ${py1.torch} (1 thread):  ${t(py1)}   peak RSS ${f(py1.peak_rss_mb)} MB`);
console.log(`  PyTorch ${pyn.torch} (${pyn.threads} threads): ${t(pyn)}   peak RSS ${f(pyn.peak_rss_mb)} MB`);
const r = (a, b) => `${(a.forward_ms_median / b.forward_ms_median).toFixed(2)}x (min/min ${(a.forward_ms_all[0] / b.forward_ms_all[0]).toFixed(2)}x)`;
const best = py1.forward_ms_median <= pyn.forward_ms_median ? py1 : pyn;
for (const a of [js, jsw]) console.log(`  ratio attnlab (${a.backend}) / PyTorch: ${r(a, py1)} vs 1 thread, ${r(a, pyn)} vs ${pyn.threads} threads; PyTorch (faster, ${best.threads} thread(s)) / attnlab = ${(best.forward_ms_median / a.forward_ms_median).toFixed(2)}x`);
console.log(JSON.stringify({ attnlab: js, attnlab_wasm: jsw, pytorch_1: py1, pytorch_n: pyn }));
' "$JS" "$JSW" "$PY1" "$PYN" "$LOAD"
