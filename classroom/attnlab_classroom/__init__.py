"""attnlab's classroom on JupyterHub: the roster (who may log in, with scrypt-hashed passwords),
the system accounts behind it, a JupyterHub authenticator and local spawner that use them, the
per-student memory/CPU limits (cgroups), the hand-out of student notebooks, and the collection
of quiz progress. The command line is classroom/classroom.py; the hub's config is
classroom/jupyterhub_config.py; docs/classroom.md explains the whole set-up."""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The venv that runs the hub and the students' servers (the project's, made by scripts/setup.sh).
VENV = pathlib.Path(os.environ.get("ATTNLAB_CLASSROOM_VENV", str(ROOT / ".venv")))
# The venv the students' servers run from: made from the system's /usr/bin/python3 by
# scripts/setup.d/70-classroom.sh (see classroom/requirements-singleuser.txt for why not .venv).
STUDENT_VENV = pathlib.Path(os.environ.get("ATTNLAB_CLASSROOM_STUDENT_VENV", str(ROOT / ".cache" / "classroom-venv")))
DEFAULT_DIR = pathlib.Path("/srv/attnlab-classroom")
