# Direct-logit-attribution and attribution-patching references (PyTorch, float64, from a tiny
# random GPT-2) for test/lib/methods/logit_attribution.test.ts and attribution_patching.test.ts;
# redone when the script changed or the output is missing.
ATTR_FIX="$ROOT/test/fixtures/attribution"
if [ ! -f "$ATTR_FIX/reference.json" ] || ! stamp_ok attribution-fixture "$ROOT/scripts/make_attribution_fixture.py"; then
  log "making the attribution fixture"
  rm -rf "$ATTR_FIX"
  "$VENV/bin/python" "$ROOT/scripts/make_attribution_fixture.py" "$ATTR_FIX" >/dev/null
  stamp_set attribution-fixture "$ROOT/scripts/make_attribution_fixture.py"
fi
