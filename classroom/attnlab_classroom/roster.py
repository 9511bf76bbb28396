"""The class list: who may log in to the hub, their role and a scrypt hash of their password.

Stored as JSON in <classroom dir>/roster.json, readable by root only (the hub runs as root):

    {"version": 1, "users": {"alice": {"role": "student", "password": "scrypt$16384$8$1$<salt>$<hash>"}}}

Passwords are made by the lecturer's command (classroom.py add), shown once and never stored
in clear. There is no sign-up: a name not in the roster cannot log in.
"""
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile

ROLES = ("student", "lecturer")
# A system user name that JupyterHub keeps as is (it lower-cases names) and useradd accepts.
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,30}$")
# scrypt at N=2^14, r=8, p=1: ~16 MB and a few tens of ms per check, so guessing is slow.
SCRYPT = dict(n=2**14, r=8, p=1)


def check_name(name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ValueError(f"user name {name!r}: expected 1-31 characters, a lower-case letter first, then a-z, 0-9, '_' or '-'")
    return name


def hash_password(password, salt=None):
    if not isinstance(password, str) or len(password) < 8:
        raise ValueError("password: expected a string of at least 8 characters")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **SCRYPT)
    b64 = lambda b: base64.b64encode(b).decode()
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${b64(salt)}${b64(digest)}"


def verify_password(password, stored):
    """True when `password` matches the stored hash (constant-time compare)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        assert kind == "scrypt"
        got = hashlib.scrypt(str(password).encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    except Exception:
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# A hash to check against for unknown names, so a wrong name costs the same time as a wrong password.
DUMMY_HASH = hash_password("not-a-password", salt=b"attnlab-classroom")


def new_password():
    """A password a student can type: 4 groups of 4 letters/digits, ~80 bits."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(4))


def roster_path(classroom_dir):
    return os.path.join(str(classroom_dir), "roster.json")


def load(classroom_dir):
    path = roster_path(classroom_dir)
    if not os.path.exists(path):
        return {"version": 1, "users": {}}
    with open(path) as f:
        data = json.load(f)
    if data.get("version") != 1 or not isinstance(data.get("users"), dict):
        raise ValueError(f"{path}: not an attnlab classroom roster (expected version 1 with a users object)")
    return data


def save(classroom_dir, data):
    """Writes the roster atomically, mode 0600."""
    path = roster_path(classroom_dir)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".roster.")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def set_user(classroom_dir, name, role, password):
    check_name(name)
    if role not in ROLES:
        raise ValueError(f"role: expected one of {ROLES}; got {role!r}")
    data = load(classroom_dir)
    data["users"][name] = {"role": role, "password": hash_password(password)}
    save(classroom_dir, data)


def remove_user(classroom_dir, name):
    data = load(classroom_dir)
    data["users"].pop(name, None)
    save(classroom_dir, data)


def role_of(classroom_dir, name):
    entry = load(classroom_dir)["users"].get(name)
    return entry["role"] if entry else None
