# Tokenizer, safetensors and pretrained-loading fixtures (test/fixtures/{tokenizers,io,pretrained}),
# made by transformers in the venv; redone only when the script changed or an output is missing.
FIX_OUT=("$ROOT/test/fixtures/tokenizers/references.json" "$ROOT/test/fixtures/io/mixed.safetensors" "$ROOT/test/fixtures/pretrained/tiny-gpt2.expected.json")
fix_missing=0
for f in "${FIX_OUT[@]}"; do [ -f "$f" ] || fix_missing=1; done
if [ "$fix_missing" = 1 ] || ! stamp_ok tokenizer-fixtures "$ROOT/scripts/make_tokenizer_fixtures.py"; then
  log "making tokenizer fixtures"
  "$VENV/bin/python" "$ROOT/scripts/make_tokenizer_fixtures.py" "$ROOT" >/dev/null
  stamp_set tokenizer-fixtures "$ROOT/scripts/make_tokenizer_fixtures.py"
fi
