"""Per-student memory and CPU limits on a local spawner, through Linux control groups.

JupyterHub's LocalProcessSpawner only passes `mem_limit` / `cpu_limit` on as the MEM_LIMIT /
CPU_LIMIT environment variables (advisory: shown by tools such as jupyter-resource-usage,
enforced by nothing). Where the cgroup file system is writable (root, cgroup v1 memory and cpu
controllers mounted, as on this project's machines), each student's server and everything it
starts (kernels included) goes into its own group:

  memory/<hub's group>/attnlab-classroom/<name>/memory.limit_in_bytes = mem_limit
      enforced: past it the kernel's OOM killer ends the largest process of *that* student
      (in practice their attnlab kernel), never another student's;
  cpu/<hub's group>/attnlab-classroom/<name>/cpu.cfs_quota_us = cpu_limit * cpu.cfs_period_us
      enforced: the student's processes get at most cpu_limit cores' worth of time.

With cgroup v2 only, a child group of a group that holds processes cannot get controllers (the
"no internal processes" rule), so unless the hub runs in a delegated v2 subtree the limits stay
advisory; `available()` says which case holds and the hub logs it at start.
"""
import os
import signal

# Memory the classroom leaves to the system, the hub and the proxy when it works out how many
# student servers fit (default_max_servers).
RESERVED = 2 * 1024**3

V1 = "/sys/fs/cgroup"
GROUP = "attnlab-classroom"


def to_bytes(spec):
    """'3G', '512M', '2.5G' or a number of bytes -> bytes (JupyterHub's suffixes: K, M, G, T)."""
    units = {"K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
    spec = str(spec).strip().upper()
    return int(float(spec[:-1]) * units[spec[-1]]) if spec[-1:] in units else int(spec)


def default_max_servers(mem_limit, mem_total=None):
    """Servers at once that the machine holds if every student reaches the memory limit: the
    machine's memory less RESERVED, over the limit (at least 1). The hub's default
    (jupyterhub_config.py) and the capacity benchmark's (bench/classroom.py) both come from here."""
    if mem_total is None:
        mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, (mem_total - RESERVED) // to_bytes(mem_limit))


def _own_path(controller):
    """This process's cgroup path for a v1 controller (from /proc/self/cgroup), or None."""
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                _, ctrls, path = line.rstrip("\n").split(":", 2)
                if controller in ctrls.split(","):
                    return path
    except OSError:
        pass
    return None


def _base(controller):
    mount = os.path.join(V1, controller)
    own = _own_path(controller)
    if own is None or not os.path.isdir(mount):
        return None
    return os.path.join(mount, own.lstrip("/"), GROUP)


def available():
    """{controller: base folder or None} for "memory" and "cpu"; None means advisory only."""
    out = {}
    for c in ("memory", "cpu"):
        base = _base(c)
        try:
            if base is None:
                raise OSError("no v1 controller")
            os.makedirs(base, exist_ok=True)
            out[c] = base if os.access(base, os.W_OK) else None
        except OSError:
            out[c] = None
    return out


def group_dirs(name):
    return {c: os.path.join(base, name) for c, base in available().items() if base}


def create(name, mem_limit=0, cpu_limit=0.0):
    """Makes the student's groups and sets their limits; returns the cgroup.procs files a new
    process must write its pid into (see join())."""
    procs = []
    for c, d in group_dirs(name).items():
        os.makedirs(d, exist_ok=True)
        if c == "memory":
            with open(os.path.join(d, "memory.limit_in_bytes"), "w") as f:
                f.write(str(int(mem_limit)) if mem_limit else "-1")
        if c == "cpu":
            with open(os.path.join(d, "cpu.cfs_period_us")) as f:
                period = int(f.read())
            with open(os.path.join(d, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(int(cpu_limit * period)) if cpu_limit else "-1")
        procs.append(os.path.join(d, "cgroup.procs"))
    return procs


def join(procs_files):
    """Moves the calling process into the groups (call in preexec_fn, before dropping root)."""
    pid = str(os.getpid())
    for p in procs_files:
        with open(p, "w") as f:
            f.write(pid)


def pids(name):
    found = set()
    for d in group_dirs(name).values():
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                found.update(int(x) for x in f.read().split())
        except OSError:
            pass
    return sorted(found)


def usage(name):
    """Bytes the student's group uses now and at most so far (memory controller), or None."""
    d = group_dirs(name).get("memory")
    if not d or not os.path.isdir(d):
        return None
    def read(f):
        with open(os.path.join(d, f)) as fh:
            return int(fh.read())
    return {"now": read("memory.usage_in_bytes"), "max": read("memory.max_usage_in_bytes"), "limit": read("memory.limit_in_bytes"),
            "oom_kills": _oom_kills(d)}


def _oom_kills(d):
    try:
        with open(os.path.join(d, "memory.oom_control")) as f:
            for line in f:
                k, v = line.split()
                if k == "oom_kill":
                    return int(v)
    except OSError:
        pass
    return None


def remove(name):
    """Kills what is left in the student's groups (the server has stopped) and removes them."""
    for pid in pids(name):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for d in group_dirs(name).values():
        for _ in range(50):
            try:
                if os.path.isdir(d):
                    os.rmdir(d)
                break
            except OSError:  # busy while the killed processes exit
                import time
                time.sleep(0.1)
