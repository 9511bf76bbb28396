# The project venv with JupyterLab, nbclient, transformers and torch (CPU) from PyPI.
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! stamp_ok venv requirements.txt; then
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r requirements.txt
  stamp_set venv requirements.txt
fi
# Packages installed without their declared dependencies (see requirements-nodeps.txt).
if ! stamp_ok venv-nodeps requirements-nodeps.txt; then
  "$VENV/bin/python" -m pip install --quiet --no-deps -r requirements-nodeps.txt
  stamp_set venv-nodeps requirements-nodeps.txt
fi
