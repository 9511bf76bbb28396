# nbconvert HTML that reads offline: LaTeX in markdown becomes MathML at export time
# (scripts/nbconvert/attnlab_nbconvert.py) instead of waiting for MathJax from a CDN.
# latex2mathml (pure Python, PyPI) goes to .cache/nbconvert-py, beside the venv rather than in
# it; a .pth file puts both folders on the venv's path, and the venv's nbconvert config
# enables the preprocessor for every `jupyter nbconvert --to html`.
NBC_LIB="$ROOT/.cache/nbconvert-py"
if [ ! -d "$NBC_LIB/latex2mathml" ]; then
  log "installing latex2mathml into $NBC_LIB"
  "$VENV/bin/python" -m pip install --quiet --no-deps --target "$NBC_LIB" "latex2mathml>=3.77,<4"
fi
NBC_SITE="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
printf '%s\n%s\n' "$ROOT/scripts/nbconvert" "$NBC_LIB" > "$NBC_SITE/attnlab-nbconvert.pth"
mkdir -p "$VENV/etc/jupyter"
"$VENV/bin/python" - "$VENV/etc/jupyter/jupyter_nbconvert_config.json" <<'PY'
import json, os, sys
p = sys.argv[1]
cfg = json.load(open(p)) if os.path.exists(p) else {}
pre = cfg.setdefault("HTMLExporter", {}).setdefault("preprocessors", [])
if "attnlab_nbconvert.MathMLPreprocessor" not in pre:
    pre.append("attnlab_nbconvert.MathMLPreprocessor")
    json.dump(cfg, open(p, "w"), indent=1)
PY
