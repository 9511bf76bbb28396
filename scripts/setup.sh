#!/usr/bin/env bash
# Sets up everything attnlab needs, idempotently: npm packages, the TypeScript build,
# the project venv (.venv) with JupyterLab, torch and transformers, the kernelspec,
# the widget labextension and the numerical fixtures. Each step lives in
# scripts/setup.d/NN-name.sh and skips its work when its inputs have not changed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
cd "$ROOT"
source "$ROOT/scripts/lib.sh"
for step in "$ROOT"/scripts/setup.d/*.sh; do
  log "setup: $(basename "$step" .sh)"
  source "$step"
done
log "setup: done"
