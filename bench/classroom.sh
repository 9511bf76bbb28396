#!/usr/bin/env bash
# Classroom capacity benchmark (issue #15): N simulated students log in to a classroom hub through
# its REST API, start servers and attnlab kernels, then all run a tutorial's cells at once over the
# kernel websockets. Needs root; makes and removes its own system users. Details: bench/classroom.py.
#   flock /tmp/attnlab-heavy.lock bash bench/classroom.sh                  # N = 5 10 20 40
#   flock /tmp/attnlab-heavy.lock bash bench/classroom.sh --n 5 10 --notebook 01-attention-patterns
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
exec "$VENV/bin/python" "$ROOT/bench/classroom.py" "$@"
