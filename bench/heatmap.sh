#!/usr/bin/env bash
# One command for the heatmap bench: builds the renderers (widgets/lib) and the bench,
# then runs it in headless Chromium. See bench/heatmap.ts.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
node_modules/.bin/tsc -p widgets/tsconfig.json
node_modules/.bin/tsc bench/heatmap.ts --outDir .cache/bench --rootDir . --module commonjs --target ES2021 \
  --lib ES2021,DOM --esModuleInterop --skipLibCheck --strict --types node
exec node .cache/bench/bench/heatmap.js "$@"
