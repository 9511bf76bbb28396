#!/usr/bin/env bash
# Peak RSS of loading a model and RSS after it (bench/load_memory.ts), one process per model:
# GPT-2 small (random weights from bench/causal_trace.sh's safetensors folder, 475 MB F32) and
# SmolLM2-135M (loadModel("smollm2-135m"): Q4_1 GGUF dequantised to float32 in JavaScript).
#   bash bench/load_memory.sh            # both
#   bash bench/load_memory.sh smollm2-135m
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
GPT2="$ROOT/.cache/bench/causal_trace/gpt2-small-random"
[ -f "$GPT2/model.safetensors" ] || "$ROOT/.venv/bin/python" "$ROOT/bench/causal_trace_torch.py" make "$GPT2"
node_modules/.bin/tsc -p tsconfig.json >/dev/null 2>&1 || true
for m in ${@:-"$GPT2" smollm2-135m}; do
  node dist/bench/load_memory.js "$m"
done
