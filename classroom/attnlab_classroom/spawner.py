"""The classroom's local spawner: one system user per hub user, hand-out of the tutorials without
overwriting, and the per-student cgroup limits. Configured in classroom/jupyterhub_config.py."""
import asyncio
import json
import os
import pathlib
import pwd
import shutil
import subprocess
import sys

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from traitlets import Unicode

from . import STUDENT_VENV, limits, roster

# JupyterLab user setting handed to every new home: save widget state (and so quiz progress)
# with the notebook, which JupyterLab leaves off by default.
WIDGET_SETTINGS = ".jupyter/lab/user-settings/@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings"
# ... and no "get Jupyter news?" prompt over a student's first notebook (the class needs no feed).
NEWS_SETTINGS = ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"


class ClassroomSpawner(LocalProcessSpawner):
    """LocalProcessSpawner (one system user per hub user, same name) that, before each start:
    copies the tutorials into the home without overwriting (students: the student versions in
    ~/tutorials; lecturers: those plus the teacher versions in ~/tutorials-teacher), turns on
    widget-state saving for new homes, and puts the server into the student's cgroups (limits.py)."""

    classroom_dir = Unicode(help="Folder holding roster.json and student-notebooks/").tag(config=True)
    teacher_notebooks = Unicode(help="Folder of the teacher versions (NN-*.ipynb)").tag(config=True)
    runtime_root = Unicode("/run/attnlab-classroom", help="Folder (root's, 0711) of the students' private "
                           "Jupyter runtime folders <runtime_root>/<uid> (0700): kernel connection files and ipc sockets").tag(config=True)

    def runtime_dir(self):
        return pathlib.Path(self.runtime_root) / str(pwd.getpwnam(self.user.name).pw_uid)

    def make_runtime_dir(self):
        """The student's JUPYTER_RUNTIME_DIR, made by root so no one else can place or read anything in it.
        Short on purpose: an ipc socket path (<dir>/kernel-<uuid>-ipc-N) must stay under 108 bytes."""
        pw = pwd.getpwnam(self.user.name)
        root = pathlib.Path(self.runtime_root)
        root.mkdir(mode=0o711, parents=True, exist_ok=True)
        os.chmod(root, 0o711)
        d = self.runtime_dir()
        if d.is_symlink():
            d.unlink()
        d.mkdir(mode=0o700, exist_ok=True)
        os.chown(d, pw.pw_uid, pw.pw_gid)
        os.chmod(d, 0o700)

    def get_env(self):
        env = super().get_env()
        env["JUPYTER_RUNTIME_DIR"] = str(self.runtime_dir())
        return env

    def handout(self):
        role = roster.role_of(self.classroom_dir, self.user.name)
        files = {WIDGET_SETTINGS: json.dumps({"saveState": True}, indent=2) + "\n",
                 NEWS_SETTINGS: json.dumps({"fetchNews": "false"}, indent=2) + "\n"}
        student = pathlib.Path(self.classroom_dir) / "student-notebooks"
        for p in sorted(student.glob("*.ipynb")):
            files[f"tutorials/{p.name}"] = p.read_text()
        if role == "lecturer":
            for p in sorted(pathlib.Path(self.teacher_notebooks).glob("[0-9][0-9]-*.ipynb")):
                files[f"tutorials-teacher/{p.name}"] = p.read_text()
        home = pwd.getpwnam(self.user.name).pw_dir
        r = subprocess.run([str(STUDENT_VENV / "bin" / "python"), "-m", "attnlab_classroom.home", home], input=json.dumps(files),
                           capture_output=True, text=True, preexec_fn=set_user_setuid(self.user.name),
                           cwd="/", env={"PYTHONPATH": str(pathlib.Path(__file__).resolve().parents[1]), "PATH": os.environ.get("PATH", "")})
        if r.returncode != 0:
            raise RuntimeError(f"handing out notebooks to {self.user.name} failed: {r.stderr.strip()}")
        created = r.stdout.split()
        if created:
            self.log.info("classroom: gave %s %d new file(s): %s", self.user.name, len(created), ", ".join(created))

    async def start(self):
        await asyncio.get_running_loop().run_in_executor(None, self.handout)
        self.make_runtime_dir()
        self._cgroup_procs = limits.create(self.user.name, self.mem_limit or 0, self.cpu_limit or 0.0)
        return await super().start()

    def make_preexec_fn(self, name):
        setuid = super().make_preexec_fn(name)
        procs = list(getattr(self, "_cgroup_procs", []))

        def preexec():
            limits.join(procs)  # still root here; the group is inherited by every child (kernels)
            setuid()

        return preexec

    async def stop(self, now=False):
        await super().stop(now=now)
        # A kernel that outlived its server would keep running as the student: end it.
        await asyncio.get_running_loop().run_in_executor(None, limits.remove, self.user.name)
        shutil.rmtree(self.runtime_dir(), ignore_errors=True)
