# Shared helpers for the set-up steps.
VENV="$ROOT/.venv"
STAMPS="$ROOT/.cache/stamps"
mkdir -p "$STAMPS"
export PATH="$VENV/bin:$ROOT/node_modules/.bin:$PATH"
export JUPYTER_PATH="$VENV/share/jupyter"
export JUPYTER_DATA_DIR="$VENV/share/jupyter"

log() { printf '\033[1m[attnlab]\033[0m %s\n' "$*" >&2; }

# stamp_ok NAME FILE... : true when the files hash as they did at the last stamp_set NAME.
stamp_hash() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }
stamp_ok() { local n="$1"; shift; [ -f "$STAMPS/$n" ] && [ "$(cat "$STAMPS/$n")" = "$(stamp_hash "$@")" ]; }
stamp_set() { local n="$1"; shift; stamp_hash "$@" > "$STAMPS/$n"; }
