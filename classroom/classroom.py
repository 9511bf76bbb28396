"""The lecturer's command for an attnlab classroom on this machine (run as root).

    npm run classroom                         # = start: set up, then run the hub (Ctrl-C stops it)
    npm run classroom -- add alice bob carol  # students: system users + hub passwords (printed once)
    npm run classroom -- add --lecturer ada   # a lecturer (hub admin, gets the teacher versions)
    npm run classroom -- passwd alice         # a new password for alice
    npm run classroom -- list                 # who is in the roster
    npm run classroom -- collect [--csv F | --json]   # every student's quiz progress, one table
    npm run classroom -- remove alice [--delete-home]
    npm run classroom -- uninstall [--delete-homes]   # remove every classroom user, restore modes

Global options (before the subcommand): --dir DIR (default /srv/attnlab-classroom, or env
ATTNLAB_CLASSROOM_DIR): the roster, the hub's database, the student homes. `start` options:
--ip, --port (8000), --ssl-cert/--ssl-key (TLS on), --behind-tls, --mem-limit (3G), --cpu-limit (1),
--idle-timeout (3600 s), --max-servers (from memory). classroom/jupyterhub_config.py documents each choice.
"""
import argparse
import csv
import json
import os
import pathlib
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from attnlab_classroom import DEFAULT_DIR, ROOT, VENV, accounts, collect, roster  # noqa: E402


def need_root():
    if os.geteuid() != 0:
        sys.exit("classroom: run as root (it creates one system user per student and the hub switches to them); e.g. sudo npm run classroom")


def cmd_add(args):
    need_root()
    role = "lecturer" if args.lecturer else "student"
    names = list(args.names)
    if args.file:
        names += [ln.strip() for ln in pathlib.Path(args.file).read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    if not names:
        sys.exit("classroom add: expected one or more user names (or --file with one name per line)")
    for n in names:
        roster.check_name(n)
        accounts.classroom_account(n)  # refuses names of accounts the classroom did not make
    print("name\tpassword\trole")
    for n in names:
        accounts.ensure_account(args.dir, n, role)
        pw = args.password or roster.new_password()
        roster.set_user(args.dir, n, role, pw)
        print(f"{n}\t{pw}\t{role}")
    print(f"# {len(names)} {role}(s) added; the passwords are shown only now (stored as scrypt hashes in {roster.roster_path(args.dir)})", file=sys.stderr)


def cmd_passwd(args):
    need_root()
    role = roster.role_of(args.dir, args.name)
    if role is None:
        sys.exit(f"classroom passwd: {args.name!r} is not in the roster")
    pw = args.password or roster.new_password()
    roster.set_user(args.dir, args.name, role, pw)
    print(f"{args.name}\t{pw}\t{role}")


def cmd_list(args):
    for n, u in sorted(roster.load(args.dir)["users"].items()):
        home = accounts.home_of(args.dir, n)
        print(f"{n}\t{u['role']}\t{home}")


def cmd_remove(args):
    need_root()
    names = list(roster.load(args.dir)["users"]) if args.all else args.names
    for n in names:
        accounts.delete_account(args.dir, n, delete_home=args.delete_home)
        roster.remove_user(args.dir, n)
        print(f"removed {n}" + (" and its home" if args.delete_home else f" (home kept: {accounts.home_of(args.dir, n)})"))


def cmd_uninstall(args):
    need_root()
    args.all, args.delete_home = True, args.delete_homes
    cmd_remove(args)
    for line in accounts.restore_modes(args.dir):
        print(f"mode restored: {line}")


def students(args):
    return {n: accounts.home_of(args.dir, n) for n, u in roster.load(args.dir)["users"].items() if u["role"] == "student"}


def cmd_collect(args):
    result = collect.collect(students(args))
    if args.json:
        json.dump(result, sys.stdout, indent=1)
        print()
    elif args.csv:
        with open(args.csv, "w", newline="") as f:
            csv.writer(f).writerows(collect.csv_rows(result))
        print(collect.table(result))
        print(f"per-question rows written to {args.csv}")
    else:
        print(collect.table(result))


def cmd_start(args):
    need_root()
    d = pathlib.Path(args.dir)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(d, 0o711)
    # Student versions, regenerated from the teacher versions at every start (never copied over
    # a student's existing file: see attnlab_classroom/home.py).
    out = d / "student-notebooks"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"), "--check", "--out", str(out)], check=True, stdout=subprocess.DEVNULL)
    os.chmod(out, 0o755)
    for p in out.iterdir():
        os.chmod(p, 0o644)
    for line in accounts.lock_down(d):
        print(f"[attnlab classroom] mode changed: {line}", file=sys.stderr)
    users = roster.load(d)["users"]
    if not any(u["role"] == "lecturer" for u in users.values()):
        print("[attnlab classroom] the roster has no lecturer yet: add one with `npm run classroom -- add --lecturer NAME`", file=sys.stderr)
    if not any(u["role"] == "student" for u in users.values()):
        print("[attnlab classroom] the roster has no students yet: `npm run classroom -- add NAME...` (works while the hub runs)", file=sys.stderr)
    env = dict(os.environ)
    env.update({
        "ATTNLAB_CLASSROOM_DIR": str(d),
        "ATTNLAB_CLASSROOM_IP": args.ip,
        "ATTNLAB_CLASSROOM_PORT": str(args.port),
        "ATTNLAB_CLASSROOM_MEM_LIMIT": args.mem_limit,
        "ATTNLAB_CLASSROOM_CPU_LIMIT": str(args.cpu_limit),
        "ATTNLAB_CLASSROOM_IDLE_TIMEOUT": str(args.idle_timeout),
        **({"ATTNLAB_CLASSROOM_MAX_SERVERS": str(args.max_servers)} if args.max_servers is not None else {}),
        "ATTNLAB_CLASSROOM_SSL_CERT": args.ssl_cert or "",
        "ATTNLAB_CLASSROOM_SSL_KEY": args.ssl_key or "",
        "ATTNLAB_CLASSROOM_BEHIND_TLS": "1" if args.behind_tls else "",
        "PATH": f"{VENV / 'bin'}:{ROOT / 'node_modules' / '.bin'}:{env.get('PATH', '/usr/bin:/bin')}",
    })
    if bool(args.ssl_cert) != bool(args.ssl_key):
        sys.exit("classroom start: --ssl-cert and --ssl-key go together (a certificate and its key)")
    cmd = [str(VENV / "bin" / "jupyterhub"), "-f", str(HERE / "jupyterhub_config.py")]
    os.chdir(d)  # the hub writes nothing else, but keep its working folder out of the checkout
    # The hub's database (hashed tokens, server state), pid file and logs are root's alone; the
    # students' servers inherit this umask too, so what they create is private by default.
    os.umask(0o077)
    for f in ("jupyterhub.sqlite", "jupyterhub_cookie_secret", "jupyterhub.pid"):
        if (d / f).exists():
            os.chmod(d / f, 0o600)
    os.execve(cmd[0], cmd, env)


COMMANDS = ("start", "add", "passwd", "list", "collect", "remove", "uninstall")


def main(argv=None):
    p = argparse.ArgumentParser(prog="classroom", description=__doc__.split("\n\n")[0])
    p.add_argument("--dir", default=os.environ.get("ATTNLAB_CLASSROOM_DIR", str(DEFAULT_DIR)), help="classroom folder (roster, hub database, homes)")
    sub = p.add_subparsers(dest="cmd")
    s = sub.add_parser("start", help="run the hub (default)")
    s.add_argument("--ip", default="0.0.0.0")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--ssl-cert")
    s.add_argument("--ssl-key")
    s.add_argument("--behind-tls", action="store_true", help="a TLS-terminating proxy is in front: mark cookies Secure")
    s.add_argument("--mem-limit", default="3G")
    s.add_argument("--cpu-limit", type=float, default=1.0)
    s.add_argument("--idle-timeout", type=int, default=3600)
    s.add_argument("--max-servers", type=int, help="servers running at once (default: the machine's memory less 2 GiB over --mem-limit; 0: no limit); students over it wait for a place")
    a = sub.add_parser("add", help="add students (or --lecturer)")
    a.add_argument("names", nargs="*")
    a.add_argument("--lecturer", action="store_true")
    a.add_argument("--file", help="a file with one name per line")
    a.add_argument("--password", help="use this password instead of generating one (e.g. for tests)")
    w = sub.add_parser("passwd", help="a new password for a user")
    w.add_argument("name")
    w.add_argument("--password")
    sub.add_parser("list", help="the roster")
    c = sub.add_parser("collect", help="every student's quiz progress")
    c.add_argument("--csv", help="also write one row per student, notebook and question to this file")
    c.add_argument("--json", action="store_true", help="print the full result as JSON instead of the table")
    r = sub.add_parser("remove", help="remove users (system account, roster entry)")
    r.add_argument("names", nargs="*")
    r.add_argument("--all", action="store_true")
    r.add_argument("--delete-home", action="store_true")
    u = sub.add_parser("uninstall", help="remove every classroom user and restore the file modes the classroom changed")
    u.add_argument("--delete-homes", action="store_true")
    argv = list(sys.argv[1:] if argv is None else argv)
    if not any(a in COMMANDS for a in argv):
        # No subcommand: start, keeping --dir (the one global option) in front.
        head = []
        while argv and argv[0].startswith("--dir"):
            head += argv[:1] if "=" in argv[0] else argv[:2]
            argv = argv[1:] if "=" in argv[0] else argv[2:]
        argv = [*head, "start", *argv]
    args = p.parse_args(argv)
    try:
        {"start": cmd_start, "add": cmd_add, "passwd": cmd_passwd, "list": cmd_list, "collect": cmd_collect,
         "remove": cmd_remove, "uninstall": cmd_uninstall}[args.cmd](args)
    except (ValueError, PermissionError) as e:
        sys.exit(f"classroom {args.cmd}: {e}")


if __name__ == "__main__":
    main()
