# The classroom's student venv (.cache/classroom-venv: jupyterhub-singleuser + JupyterLab from the
# system's /usr/bin/python3, classroom/requirements-singleuser.txt says why), for `npm run
# classroom` (ATTNLAB_SETUP_CLASSROOM=1) and the test set-up; only as root, which the classroom
# needs anyway (test/python/test_classroom.py is skipped otherwise). The hub itself runs from .venv.
CLASS_VENV="$ROOT/.cache/classroom-venv"
if { [ "${ATTNLAB_SETUP_TEST:-0}" = "1" ] || [ "${ATTNLAB_SETUP_CLASSROOM:-0}" = "1" ]; } && [ "$(id -u)" = "0" ]; then
  if ! /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
    log "installing python3-venv (apt) for the classroom's student venv"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
  fi
  if [ ! -x "$CLASS_VENV/bin/jupyterhub-singleuser" ] || ! stamp_ok classroom-venv "$ROOT/classroom/requirements-singleuser.txt"; then
    log "making the classroom's student venv"
    /usr/bin/python3 -m venv "$CLASS_VENV"
    "$CLASS_VENV/bin/python" -m pip install --quiet -r "$ROOT/classroom/requirements-singleuser.txt"
    chmod -R a+rX "$CLASS_VENV"
    stamp_set classroom-venv "$ROOT/classroom/requirements-singleuser.txt"
  fi
fi
