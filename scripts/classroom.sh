#!/usr/bin/env bash
# The classroom hub (issue #15, docs/classroom.md): `npm run classroom` sets everything up as
# `npm run lab` does, then starts JupyterHub with one system user per student; other
# subcommands (add, passwd, list, collect, remove, uninstall) skip the set-up.
#   npm run classroom -- [--dir DIR] [start] [--port 8000] [--ssl-cert F --ssl-key F] ...
#   npm run classroom -- add alice bob        npm run classroom -- collect
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sub=start
for a in "$@"; do
  case "$a" in add|passwd|list|collect|remove|uninstall) sub="$a"; break ;; start) break ;; esac
done
if [ "$sub" = start ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "classroom: run as root (it creates one system user per student and the hub switches to them); e.g. sudo npm run classroom" >&2
    exit 1
  fi
  ATTNLAB_SETUP_CLASSROOM=1 bash "$ROOT/scripts/setup.sh"
fi
source "$ROOT/scripts/lib.sh"
# add/passwd/list/collect/remove/uninstall need only the standard library: before the first
# set-up (no .venv yet) the system's Python runs them.
PY="$VENV/bin/python"
[ -x "$PY" ] || PY=python3
exec "$PY" "$ROOT/classroom/classroom.py" "$@"
