#!/usr/bin/env bash
# Kernel start-up: launch -> first kernel_info_reply -> first cell, and a first cell importing
# attnlab and loading the tutorials' model (loadModel("smollm2-135m")); peer: tslab's own kernel, measured in the same run.
# Usage: bash bench/kernel_startup.sh [--reps N] [--think MS]  (see bench/kernel_startup.ts)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/kernel_startup.js ] || { echo "bench/kernel_startup.sh: dist/bench/kernel_startup.js was not built" >&2; exit 1; }
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
OUT=$(node dist/bench/kernel_startup.js "$@")
node -e '
const r = JSON.parse(process.argv[1]);
const f = (x) => (x / 1000).toFixed(2) + " s";
console.log(`Kernel start-up, median of ${r.reps} launches (load average before: ${process.argv[2]})`);
console.log(`  launch -> kernel_info_reply:   attnlab ${f(r.attnlab.kernel_info_ms)}   tslab ${f(r.tslab.kernel_info_ms)}   ratio ${(r.attnlab.kernel_info_ms / r.tslab.kernel_info_ms).toFixed(2)}x`);
console.log(`  launch -> first cell (1 + 1):  attnlab ${f(r.attnlab.first_cell_ms)}   tslab ${f(r.tslab.first_cell_ms)}   ratio ${(r.attnlab.first_cell_ms / r.tslab.first_cell_ms).toFixed(2)}x`);
console.log(`  launch -> + cell importing attnlab, loadModel("smollm2-135m"): attnlab ${f(r.attnlab.model_cell_ms)}`);
if (r.think_ms > 0) {
  const n = r.attnlab_no_warmup;
  console.log(`  first cell sent ${f(r.think_ms)} after kernel_info_reply (times include it); same run with ATTNLAB_KERNEL_WARMUP=0: kernel_info ${f(n.kernel_info_ms)}, first cell ${f(n.first_cell_ms)}, model cell ${f(n.model_cell_ms)}`);
}
' "$OUT" "$LOAD"
