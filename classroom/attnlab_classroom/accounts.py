"""System accounts behind the roster, and the file permissions that keep students apart.

Every hub user is a system user of the same name (JupyterHub's LocalProcessSpawner runs each
server with that uid), created here with:
  - home <classroom dir>/home/<name>, mode 0700: nobody else but root reads it;
  - no login shell and a locked password: the account exists to own files and processes, it is
    not a way onto the machine (the hub password is separate, in the roster);
  - the GECOS comment "attnlab classroom <role>", so the classroom only ever changes or deletes
    accounts it made itself.

The teacher-only parts of the checkout (the teacher notebooks, their generators, the tests that
answer the quizzes, the git history) lose their "other" permission bits, and the folders above
the checkout gain "other may traverse" (x, not r) so students' processes can reach the venv,
the compiled kernel and the models, all read-only to them. Old modes are kept in
<classroom dir>/modes.json so `classroom.py uninstall` can put them back.
"""
import json
import os
import pathlib
import pwd
import stat
import subprocess

from . import ROOT
from .roster import check_name

COMMENT = "attnlab classroom"
TEACHER_ONLY = ("notebooks", "scripts/notebooks", "test", ".git")


def home_of(classroom_dir, name):
    return pathlib.Path(classroom_dir) / "home" / name


def classroom_account(name):
    """The passwd entry when `name` is an account this classroom made, None when there is none.
    Raises for an account someone else made (we never touch those)."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    if not pw.pw_gecos.startswith(COMMENT):
        raise PermissionError(f"system user {name!r} exists and was not made by the attnlab classroom; pick another name")
    return pw


def ensure_account(classroom_dir, name, role):
    check_name(name)
    home = home_of(classroom_dir, name)
    homes = home.parent
    homes.mkdir(parents=True, exist_ok=True)
    os.chmod(homes.parent, 0o711)  # the roster, database and cookie secret inside are 0600
    os.chmod(homes, 0o711)  # traverse to your own home; no listing of the others
    if classroom_account(name) is None:
        subprocess.run(["useradd", "--home-dir", str(home), "--no-create-home", "--shell", "/usr/sbin/nologin",
                        "--comment", f"{COMMENT} {role}", "--user-group", name], check=True, capture_output=True, text=True)
    pw = pwd.getpwnam(name)
    home.mkdir(exist_ok=True)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    os.chmod(home, 0o700)
    return pw


def delete_account(classroom_dir, name, delete_home=False):
    pw = classroom_account(name)
    if pw is None:
        return False
    kill_processes(pw.pw_uid)
    subprocess.run(["userdel", name], check=True, capture_output=True, text=True)
    if delete_home:
        home = home_of(classroom_dir, name)
        if home.is_dir() and not home.is_symlink():
            subprocess.run(["rm", "-rf", "--one-file-system", str(home)], check=True)
    return True


def processes_of(uid):
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.stat(f"/proc/{d}").st_uid == uid:
                    pids.append(int(d))
            except FileNotFoundError:
                pass
    return pids


def kill_processes(uid):
    """SIGKILL every process of `uid` (a classroom account about to be deleted), by pid."""
    import signal
    for pid in processes_of(uid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _modes_file(classroom_dir):
    return pathlib.Path(classroom_dir) / "modes.json"


def lock_down(classroom_dir):
    """Teacher-only folders lose o=rwx; the checkout's ancestors gain o+x. Returns what changed."""
    f = _modes_file(classroom_dir)
    saved = json.loads(f.read_text()) if f.exists() else {}
    changed = []

    def set_mode(path, mode):
        old = stat.S_IMODE(os.stat(path).st_mode)
        if old != mode:
            saved.setdefault(str(path), old)
            os.chmod(path, mode)
            changed.append(f"{path}: {old:o} -> {mode:o}")

    for rel in TEACHER_ONLY:
        p = ROOT / rel
        if p.is_dir():
            set_mode(p, stat.S_IMODE(os.stat(p).st_mode) & ~0o007)
    for p in [ROOT, *ROOT.parents]:
        set_mode(p, stat.S_IMODE(os.stat(p).st_mode) | 0o001)
    cd = pathlib.Path(classroom_dir)
    set_mode(cd, 0o711)  # roster, database and cookie secret are 0600 inside
    f.write_text(json.dumps(saved, indent=1) + "\n")
    os.chmod(f, 0o600)
    return changed


def restore_modes(classroom_dir):
    f = _modes_file(classroom_dir)
    if not f.exists():
        return []
    done = []
    for path, mode in json.loads(f.read_text()).items():
        if os.path.exists(path):
            os.chmod(path, mode)
            done.append(f"{path}: {mode:o}")
    f.unlink()
    return done
