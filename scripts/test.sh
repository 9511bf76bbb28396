#!/usr/bin/env bash
# Set up everything, then run the whole test suite: jest (lib, kernel, widgets,
# end-to-end in Chromium) and the Python checks (jupyter_kernel_test, nbclient).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ATTNLAB_SETUP_TEST=1 bash "$ROOT/scripts/setup.sh"
source "$ROOT/scripts/lib.sh"
cd "$ROOT"
status=0
log "test: type check (tests included; jest itself only transpiles)"
tsc -p tsconfig.test.json --noEmit || status=1
log "test: jest"
npx jest --ci "$@" || status=1
if [ -d "$ROOT/test/python" ] && ls "$ROOT"/test/python/test_*.py >/dev/null 2>&1; then
  log "test: pytest"
  "$VENV/bin/python" -m pytest -q "$ROOT/test/python" || status=1
fi
exit $status
