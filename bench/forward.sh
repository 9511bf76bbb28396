#!/usr/bin/env bash
# Forward pass + full activation cache, GPT-2 small (random init, 128 tokens): attnlab on its default
# backend (tfjs-node) against PyTorch on 1 thread and on all threads (the faster is the peer), in
# interleaved rounds (bench/interleave.ts); then attnlab on wasm once (its own line, no ratio).
# Usage: bash bench/forward.sh [--rounds N] [--reps N] [--tokens N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# The build emits JavaScript even if unrelated files have type errors; only the bench output matters.
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/forward_rounds.js ] || { echo "bench/forward.sh: dist/bench/forward_rounds.js was not built" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
node dist/bench/forward_rounds.js "$@"
# wasm: one run (the single-threaded fallback; several seconds per forward), without --rounds.
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in --rounds) shift 2 ;; *) ARGS+=("$1"); shift ;; esac
done
JSW=$(ATTNLAB_BACKEND=wasm node dist/bench/forward.js "${ARGS[@]}")
node -e '
const w = JSON.parse(process.argv[1]);
console.log(`  attnlab (${w.backend}), one run after the rounds: median ${w.forward_ms_median.toFixed(0)} ms (min ${w.forward_ms_all[0].toFixed(0)}), peak RSS ${w.peak_rss_mb.toFixed(0)} MB; tf.memory ${(w.tf_bytes_with_cache / 2 ** 20).toFixed(0)} MB in ${w.tf_tensors_with_cache} tensors while ${w.cached_activations} activations are cached`);
console.log(JSON.stringify({ attnlab_wasm: w }));
' "$JSW"
