"""JupyterHub configuration for an attnlab classroom on one machine.

Start it with `npm run classroom` (scripts/classroom.sh -> classroom/classroom.py start), which
sets the ATTNLAB_CLASSROOM_* variables below from its flags; docs/classroom.md explains the
set-up. Every choice is made here, once, with the reason:

  who may log in   ClassroomAuthenticator: the names in <dir>/roster.json, each with their own
                   password (scrypt hash), made by `classroom.py add`; lecturers are admins.
                   No sign-up, no shared default password, no PAM (student accounts have no
                   login shell and no system password).
  where servers run  ClassroomSpawner (a LocalProcessSpawner): one system user per hub user,
                   same name, home <dir>/home/<name> (0700); JupyterLab from a venv of the system
                   Python (.cache/classroom-venv), with the attnlab kernelspec and widget extensions
                   of the project venv (JUPYTER_PATH). The hub runs as root to
                   switch to each user; the student's server and kernels run as the student.
  hand-out         student versions (scripts/make_student.py, regenerated at every start) into
                   ~/tutorials, never overwriting; lecturers also get ~/tutorials-teacher.
  models           the packaged models' weights in the project venv (lib/zoo.ts) and their cards
                   in models/, read by every kernel: one copy on disk, read-only to students
                   (root owns them).
  servers at once  ATTNLAB_CLASSROOM_MAX_SERVERS (default: the machine's memory less 2 GiB over the
                   memory limit): past it a student waits for a place (a page that retries by
                   itself) rather than the machine running out; logging out or idle culling
                   frees a place.
  starts at once   ATTNLAB_CLASSROOM_CONCURRENT_SPAWNS (default 2 per core): past it a student
                   is told to try again in 30-60 s rather than every start timing out.
  memory / CPU     ATTNLAB_CLASSROOM_MEM_LIMIT (default 3G) and _CPU_LIMIT (default 1 core) per
                   student: enforced by cgroups when the machine allows it (limits.py; the hub
                   logs which), otherwise advisory only (MEM_LIMIT/CPU_LIMIT in the environment).
  kernel sockets   ipc (unix sockets) in the student's private runtime folder, not TCP ports:
                   no port race between servers starting kernels together.
  slow kernels     the students' JupyterLab waits up to ATTNLAB_CLASSROOM_KERNEL_INFO_TIMEOUT
                   seconds (default 600, jupyter_server's is 60) for a starting kernel.
  idle culling     jupyterhub-idle-culler (PyPI) as a hub service: a server with no activity for
                   ATTNLAB_CLASSROOM_IDLE_TIMEOUT seconds (default 3600: longer than a break) is
                   stopped; files stay in the home, only the kernels' memory state is lost.
  port / address   ATTNLAB_CLASSROOM_IP (default all interfaces) and _PORT (default 8000) for the
                   public proxy; the hub API and proxy API listen on loopback only.
  TLS              on when ATTNLAB_CLASSROOM_SSL_CERT and _SSL_KEY name a certificate and key:
                   the proxy serves https and every cookie is Secure and __Host- prefixed.
                   Otherwise OFF, and the hub says so at start: passwords and session cookies
                   then cross the network in clear, so use it only on a network you trust (or
                   behind a TLS-terminating proxy, with ATTNLAB_CLASSROOM_BEHIND_TLS=1).
  cookies          HttpOnly always (JupyterHub's default), SameSite=Lax, Secure with TLS; the
                   cookie secret and the database are files in <dir>, mode 0600.
"""
import os
import pathlib
import socket
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from attnlab_classroom import ROOT, STUDENT_VENV, DEFAULT_DIR, limits, roster  # noqa: E402

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

env = os.environ.get
DIR = pathlib.Path(env("ATTNLAB_CLASSROOM_DIR", str(DEFAULT_DIR)))
PORT = int(env("ATTNLAB_CLASSROOM_PORT", "8000"))
IP = env("ATTNLAB_CLASSROOM_IP", "0.0.0.0")
CERT, KEY = env("ATTNLAB_CLASSROOM_SSL_CERT", ""), env("ATTNLAB_CLASSROOM_SSL_KEY", "")
BEHIND_TLS = env("ATTNLAB_CLASSROOM_BEHIND_TLS", "") == "1"
# 3G: a tutorial on SmolLM2-135M (notebooks 01 and 03) peaks at ~2.1 GB in the kernel alone plus
# ~0.13 GB for the server; 2G killed notebook 03's kernel at its ablation cell (docs/classroom.md).
MEM_LIMIT = env("ATTNLAB_CLASSROOM_MEM_LIMIT", "3G")
CPU_LIMIT = float(env("ATTNLAB_CLASSROOM_CPU_LIMIT", "1"))
IDLE_TIMEOUT = int(env("ATTNLAB_CLASSROOM_IDLE_TIMEOUT", "3600"))


def free_loopback_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- where the hub keeps its state -------------------------------------------------------------
c.JupyterHub.db_url = f"sqlite:///{DIR / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(DIR / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(DIR / "jupyterhub.pid")

# --- network: public proxy port; hub and proxy API on loopback, on free ports ------------------
tls = bool(CERT and KEY)
c.JupyterHub.bind_url = f"{'https' if tls else 'http'}://{IP}:{PORT}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{int(env('ATTNLAB_CLASSROOM_HUB_PORT', '0')) or free_loopback_port()}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(env('ATTNLAB_CLASSROOM_PROXY_API_PORT', '0')) or free_loopback_port()}"
# configurable-http-proxy from the project's node_modules (npm devDependency), not a global install.
c.ConfigurableHTTPProxy.command = [str(ROOT / "node_modules" / ".bin" / "configurable-http-proxy")]

# --- TLS and cookies ---------------------------------------------------------------------------
cookie_options = {"samesite": "Lax"}
# The attnlab kernelspec and widget extension live in the project venv's share/jupyter.
spawner_env = {"JUPYTER_PATH": str(ROOT / ".venv" / "share" / "jupyter"),
               # The student venv first; nothing of root's (the hub's PATH may name root-only tools).
               "PATH": f"{STUDENT_VENV / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
if tls:
    c.JupyterHub.ssl_cert = CERT
    c.JupyterHub.ssl_key = KEY
if tls or BEHIND_TLS:
    cookie_options["secure"] = True
    c.JupyterHub.cookie_host_prefix_enabled = True  # __Host- cookies: Secure, path /, no Domain
    spawner_env["JUPYTERHUB_COOKIE_OPTIONS"] = '{"secure": true, "samesite": "Lax"}'
c.JupyterHub.tornado_settings = {"cookie_options": cookie_options}
c.Spawner.environment = spawner_env

# --- who may log in ----------------------------------------------------------------------------
c.JupyterHub.authenticator_class = "attnlab_classroom.auth.ClassroomAuthenticator"
c.ClassroomAuthenticator.classroom_dir = str(DIR)
c.Authenticator.admin_users = {n for n, u in roster.load(DIR)["users"].items() if u["role"] == "lecturer"}
# The hub makes its user records for these at start, so the REST login (POST /hub/api/users/NAME/
# tokens with the password) works before a first visit to the login page; names added while the
# hub runs get their record at their first page login. Who may log in is still the roster's say
# (ClassroomAuthenticator.check_allowed), so a removed name is refused at once.
c.Authenticator.allowed_users = set(roster.load(DIR)["users"])

# --- where and how servers run -----------------------------------------------------------------
c.JupyterHub.spawner_class = "attnlab_classroom.spawner.ClassroomSpawner"
c.ClassroomSpawner.classroom_dir = str(DIR)
c.ClassroomSpawner.teacher_notebooks = str(ROOT / "notebooks")
c.Spawner.cmd = [str(STUDENT_VENV / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab/tree/tutorials"
c.Spawner.notebook_dir = "~"
c.Spawner.mem_limit = MEM_LIMIT
c.Spawner.cpu_limit = CPU_LIMIT
# A class pressing "start" together on a 2-core machine: JupyterLab can take a while to come up.
c.Spawner.start_timeout = 300
c.Spawner.http_timeout = 300
# How many servers may be starting at once: past this the hub answers "too many users trying to
# log in right now, try again in N seconds" (429, N 30-60). Starting JupyterLab is CPU work: with up
# to 12 starting together on 2 cores already busy with other work (load ~20), 36 of 40 starts
# failed ~210 s after they began (the hub then allowed 180 s for a server to answer), and only
# the last 4, starting without the others, came up (bench/classroom.sh, N = 40, docs/classroom.md).
# Two per core keeps each start short; the others wait their turn.
# ATTNLAB_CLASSROOM_CONCURRENT_SPAWNS overrides (0: no limit).
CONCURRENT_SPAWNS = int(env("ATTNLAB_CLASSROOM_CONCURRENT_SPAWNS", str(2 * (os.cpu_count() or 1))))
c.JupyterHub.concurrent_spawn_limit = CONCURRENT_SPAWNS
# How many servers may run at once: past this the hub answers "try again later" instead of
# starting a server the machine cannot hold (an OOM-killed kernel loses a student's work; a
# student who waits loses nothing). Default: the machine's memory, less 2 GiB for the system and
# the hub, over the per-student memory limit, so that every running student may reach the limit
# (with the SmolLM2 tutorials a student's server + kernel really does use ~2.2 GB; the 1 GiB the
# toy-model tutorials needed would let the machine run out). ATTNLAB_CLASSROOM_MAX_SERVERS
# overrides (0: no limit).
MAX_SERVERS = int(env("ATTNLAB_CLASSROOM_MAX_SERVERS", str(limits.default_max_servers(MEM_LIMIT))))
c.JupyterHub.active_server_limit = MAX_SERVERS
# Stop every student server (and so every kernel) when the hub stops: nothing is left running.
c.JupyterHub.cleanup_servers = True
# Logging out stops the student's server (their files stay): in a class whose servers are
# limited by memory, a student who leaves frees a place for one who waits.
c.JupyterHub.shutdown_on_logout = True
# A student over either limit above waits rather than fails: the hub's answer (429) is shown by
# classroom/templates/error.html as a "waiting for a place" page that asks again every 30 s by
# itself (a script client retries on 429 the same way: attnlab_classroom/client.py).
c.JupyterHub.template_paths = [str(HERE / "templates")]
c.JupyterHub.template_vars = {"classroom_idle_minutes": IDLE_TIMEOUT // 60, "classroom_max_servers": MAX_SERVERS}

# --- the students' JupyterLab: wait for a slow kernel instead of dropping it ------------------
# jupyter_server gives a new kernel KERNEL_INFO_TIMEOUT seconds to answer kernel_info when a
# websocket connects (MappingKernelManager.kernel_info_timeout, default 60 s, read by the
# websocket connection's nudge and by restarts); past it, it closes the websocket. With 40
# students in waves on a loaded 2-core machine, 39 attnlab kernels took longer than 60 s to
# answer (their node start, tslab and loading attnlab compete for the cores) and every one of
# those students lost their websocket at the first cell (docs/classroom.md). A kernel that is
# starting is not dead: the server now waits up to 10 minutes for it (the front end shows the
# kernel as "starting" meanwhile); a kernel that dies is still reported at once (the restarter
# watches the process, not this timeout). ATTNLAB_CLASSROOM_KERNEL_INFO_TIMEOUT overrides.
KERNEL_INFO_TIMEOUT = float(env("ATTNLAB_CLASSROOM_KERNEL_INFO_TIMEOUT", "600"))
c.Spawner.args = [f"--MappingKernelManager.kernel_info_timeout={KERNEL_INFO_TIMEOUT:g}",
                  "--KernelManager.transport=ipc"]

# --- kernel sockets: ipc in a private folder, not TCP ports ------------------------------------
# Over TCP each student's server picks five free ports per kernel (bind to port 0, close) and the
# kernel binds them seconds later; with a class starting kernels together another server can take
# one in between (jupyter/jupyter_client#487). At N = 10 one student's kernel died that way, and
# jupyter_client 8.10 cannot recover: with its port cache (the tcp default) a restart "with new
# random ports" writes the same ports again, so every restart failed alike (docs/classroom.md).
# ipc sockets are files named after the kernel's id (<runtime dir>/kernel-<id>-ipc-1..5): nothing
# to race for. They live in the student's own runtime folder, <runtime_root>/<uid>, 0700, made by
# the spawner; short, because a socket path must stay under 108 bytes (a home-based
# ~/.local/share/jupyter/runtime path was too long). So another local user cannot even reach a
# student's kernel, which loopback TCP allowed (only the HMAC key stopped them).
c.ClassroomSpawner.runtime_root = env("ATTNLAB_CLASSROOM_RUNTIME_DIR", "/run/attnlab-classroom")

# --- idle culling ------------------------------------------------------------------------------
c.JupyterHub.services = [{
    "name": "idle-culler",
    "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={IDLE_TIMEOUT}", "--cull-every=60"],
}]
c.JupyterHub.load_roles = [{
    "name": "idle-culler",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}]

# --- say plainly what is on and what is off ----------------------------------------------------
_limits = limits.available()
print(f"[attnlab classroom] {DIR}: {len(roster.load(DIR)['users'])} user(s) in the roster; public URL "
      f"{c.JupyterHub.bind_url}; at most {MAX_SERVERS or 'any number of'} server(s) at once", file=sys.stderr)
print("[attnlab classroom] per-student limits: memory " + (f"{MEM_LIMIT} ENFORCED (cgroup)" if _limits["memory"] else f"{MEM_LIMIT} advisory only (no writable cgroup)")
      + ", CPU " + (f"{CPU_LIMIT:g} core(s) ENFORCED (cgroup)" if _limits["cpu"] else f"{CPU_LIMIT:g} core(s) advisory only"), file=sys.stderr)
if tls:
    print(f"[attnlab classroom] TLS is ON ({CERT}); cookies are Secure", file=sys.stderr)
elif BEHIND_TLS:
    print("[attnlab classroom] TLS is terminated by a proxy in front (ATTNLAB_CLASSROOM_BEHIND_TLS=1); cookies are Secure", file=sys.stderr)
else:
    print("[attnlab classroom] TLS is OFF: passwords and session cookies cross the network unencrypted. "
          "Give --ssl-cert/--ssl-key to turn it on.", file=sys.stderr)
