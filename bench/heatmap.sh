#!/usr/bin/env bash
# One command for the heatmap bench: brings the build, the labextension and the kernelspec up
# to date (the same stamped set-up steps `npm test` runs), builds the bench, then runs it:
# a 4,096-token heatmap in JupyterLab + attnlab kernel + headless Chromium, and the renderer
# alone against an SVG-rect peer. See bench/heatmap.ts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
cd "$ROOT"
source "$ROOT/scripts/lib.sh"
for step in 30-build 35-widgets 40-kernelspec; do source "$ROOT/scripts/setup.d/$step.sh"; done
node_modules/.bin/tsc bench/heatmap.ts --outDir .cache/bench --rootDir . --module commonjs --target ES2021 \
  --lib ES2021,DOM --esModuleInterop --skipLibCheck --strict --types node
exec node .cache/bench/bench/heatmap.js "$@"
