#!/usr/bin/env bash
# The choices made for the wasm backend, re-measured on tfjs-node and on wasm in the same run
# (bench/backend_choices.ts says what each one is). Prints both backends side by side and, per
# choice, the ratio alternative / chosen (> 1: the choice pays on that backend).
# Usage: bash bench/backend_choices.sh [--reps N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/backend_choices.js ] || { echo "bench/backend_choices.sh: dist/bench/backend_choices.js was not built" >&2; exit 1; }
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
NATIVE=$(ATTNLAB_BACKEND=tensorflow node dist/bench/backend_choices.js "$@")
WASM=$(ATTNLAB_BACKEND=wasm node dist/bench/backend_choices.js "$@")
node -e '
const [n, w] = process.argv.slice(1, 3).map((s) => JSON.parse(s));
const rows = [
  ["unembed x @ W_E^T, 128 x 768 x 50257", "unembed_materialised_ms", "unembed_transposeB_ms", "materialised W_E^T", "transposeB"],
  ["repeat K/V [10,12,16,64] x 36", "repeat_concat_ms", "repeat_tile_ms", "Concat", "Tile"],
  ["causal mask + softmax [4,12,128,128]", "mask_add_ms", "mask_where_ms", "add 0/-inf", "where"],
  ["12 blocks, 512 tokens", "tidy_per_block_ms", "tidy_whole_stack_ms", "tidy per block", "one tidy"],
  ["unembed 128 x 768 x 50257", "unembed_vocab_rows_ms", "unembed_materialised_ms", "(W_E @ x^T)^T", "x @ materialised W_E^T"],
  ["RMSNorm [1,128,576] / [1,128,1]", "norm_mul_recip_ms", "norm_div_ms", "x * (1/scale)", "x / scale"],
  ["GQA 9 query / 3 KV heads, 128 positions", "gqa_grouped_ms", "gqa_gather_ms", "grouped query rows", "gather K/V"],
  ["causal mask [1,1,128,128]", "mask_js_ms", "mask_bandpart_ms", "JavaScript", "bandPart"],
  // Since oneDNN is on (lib/backend.ts), tfjs-node unembeds with transposeB; without it, (W_E @ x^T)^T.
  ["unembed 128 x 768 x 50257, tfjs-node with oneDNN", "unembed_transposeB_ms", "unembed_vocab_rows_ms", "transposeB", "(W_E @ x^T)^T"],
];
console.log(`wasm-era choices, medians (load average before: ${process.argv[3]}); ratio = alternative / chosen`);
for (const [what, a, b, an, bn] of rows) {
  const f = (r) => `${r[a].toFixed(2)} ms vs ${r[b].toFixed(2)} ms = ${(r[b] / r[a]).toFixed(2)}x`;
  console.log(`  ${what} (${an} vs ${bn}):  tensorflow ${f(n)};  wasm ${f(w)}`);
}
const m = (r) => `${r.tidy_per_block_peak_mb.toFixed(0)} MB vs ${r.tidy_whole_stack_peak_mb.toFixed(0)} MB`;
console.log(`  peak tf.memory above the weights (tidy per block vs one tidy):  tensorflow ${m(n)};  wasm ${m(w)}`);
console.log(JSON.stringify({ tensorflow: n, wasm: w }));
' "$NATIVE" "$WASM" "$LOAD"
