# Tiny random Llama checkpoints (HF folders + GGUF, F32 and Q8_0/Q4_1) with transformers' outputs,
# and SmolLM2-135M's reference outputs from transformers' GGUF loader (test/fixtures/llama), for
# the Llama parity tests; redone when the script changed, the output is missing or the SmolLM2
# GGUF it was made from has moved.
LLAMA_FIX="$ROOT/test/fixtures/llama"
smol_src=$("$VENV/bin/python" -c "import json,sys; print(json.load(open(sys.argv[1])).get('smollm2',{}).get('gguf',''))" "$LLAMA_FIX/index.json" 2>/dev/null || true)
if [ ! -f "$LLAMA_FIX/index.json" ] || { [ -n "$smol_src" ] && [ ! -f "$smol_src" ]; } \
  || ! stamp_ok llama-fixtures "$ROOT/scripts/make_llama_fixtures.py" "$ROOT/scripts/make_gguf_fixtures.py"; then
  log "making Llama fixtures"
  rm -rf "$LLAMA_FIX"
  TQDM_DISABLE=1 TRANSFORMERS_VERBOSITY=error "$VENV/bin/python" "$ROOT/scripts/make_llama_fixtures.py" "$LLAMA_FIX" >/dev/null
  stamp_set llama-fixtures "$ROOT/scripts/make_llama_fixtures.py" "$ROOT/scripts/make_gguf_fixtures.py"
fi
