# Tiny random-weight GPT-2/BERT checkpoints in HF format with reference outputs from transformers
# (test/fixtures/models), for the model parity tests; redone only when the script changed or the
# output is missing.
MODEL_FIX="$ROOT/test/fixtures/models"
if [ ! -f "$MODEL_FIX/index.json" ] || ! stamp_ok model-fixtures "$ROOT/scripts/make_model_fixtures.py"; then
  log "making model fixtures"
  rm -rf "$MODEL_FIX"
  "$VENV/bin/python" "$ROOT/scripts/make_model_fixtures.py" "$MODEL_FIX" >/dev/null
  stamp_set model-fixtures "$ROOT/scripts/make_model_fixtures.py"
fi
