"""Hands files out into a home folder without ever overwriting: run as the home's owner.

    python -m attnlab_classroom.home HOME < {"relative/path": "content", ...}

The spawner (root) reads the sources (teacher notebooks are unreadable to everyone else) and
pipes them here in a child that has already dropped to the student's uid, so nothing is written
with root's rights into a folder the student controls (no symlink tricks). A file that exists,
even edited or emptied, is left alone; a deleted one comes back fresh at the next start.
Prints the paths it created, one per line.
"""
import json
import os
import sys


def place(home, files):
    created = []
    for rel, content in sorted(files.items()):
        if rel.startswith("/") or ".." in rel.split("/"):
            raise ValueError(f"hand-out path {rel!r}: expected a relative path inside the home")
        path = os.path.join(home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:
            continue
        with os.fdopen(fd, "w") as f:
            f.write(content)
        created.append(rel)
    return created


if __name__ == "__main__":
    os.umask(0o077)
    for rel in place(sys.argv[1], json.load(sys.stdin)):
        print(rel)
