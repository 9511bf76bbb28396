#!/usr/bin/env bash
# Set up everything, then open JupyterLab on the tutorials with the attnlab kernel.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
source "$ROOT/scripts/lib.sh"
cd "$ROOT/notebooks"
extra=()
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
[ "$(id -u)" = "0" ] && extra+=(--allow-root)
exec jupyter lab --notebook-dir="$ROOT/notebooks" "${extra[@]}" "$@"
