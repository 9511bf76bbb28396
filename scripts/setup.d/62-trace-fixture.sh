# Causal-tracing reference (ROME's procedure in PyTorch on a tiny random GPT-2, with its noise
# draws saved) for test/lib/methods/trace_fixture.test.ts; redone when the script changed or the
# output is missing.
TRACE_FIX="$ROOT/test/fixtures/trace"
if [ ! -f "$TRACE_FIX/trace.json" ] || ! stamp_ok trace-fixture "$ROOT/scripts/make_trace_fixture.py"; then
  log "making the causal-tracing fixture"
  rm -rf "$TRACE_FIX"
  "$VENV/bin/python" "$ROOT/scripts/make_trace_fixture.py" "$TRACE_FIX" >/dev/null
  stamp_set trace-fixture "$ROOT/scripts/make_trace_fixture.py"
fi
