"""Stages TensorFlow's C library from PyPI's tensorflow-cpu wheel in the layout tfjs-node builds against.

    python3 scripts/stage_libtensorflow.py WHEEL OUT_DIR

Writes OUT_DIR/lib (libtensorflow_cc.so.2 and libtensorflow_framework.so.2, plus the names
tfjs-node's binding.gyp and scripts/install.js look for, as links) and OUT_DIR/include (only the
headers the binding's includes reach, found by following `#include "..."` lines through the
wheel's tensorflow/include tree, so a few hundred kB instead of the wheel's 250 MB of headers).

Why the wheel: from TensorFlow 2.12 on, libtensorflow_cc.so.2 exports the C and eager C API
(TF_*, TFE_*) the binding calls, with no Python dependency, and PyPI is reachable where
tfjs-node's own download host is not. Standard library only: it runs before the venv exists.
"""
import os
import re
import shutil
import sys
import zipfile

# Headers tfjs-node 4.22's binding/*.cc and *.h include from TensorFlow.
ROOTS = [
    "tensorflow/c/c_api.h",
    "tensorflow/c/eager/c_api.h",
    "tensorflow/c/tf_datatype.h",
    "tensorflow/c/tf_status.h",
    "tensorflow/c/tf_tensor.h",
    "tensorflow/core/platform/ctstring_internal.h",
]
LIBS = ["libtensorflow_cc.so.2", "libtensorflow_framework.so.2"]
# Names the build and tfjs-node's install script expect, each a link to the real file.
LINKS = {
    "libtensorflow.so": "libtensorflow_cc.so.2",
    "libtensorflow.so.2": "libtensorflow_cc.so.2",
    "libtensorflow.so.2.9.1": "libtensorflow_cc.so.2",
    "libtensorflow_framework.so": "libtensorflow_framework.so.2",
    "libtensorflow_framework.so.2.9.1": "libtensorflow_framework.so.2",
}
INCLUDE = re.compile(rb'^\s*#\s*include\s+"([^"]+)"', re.M)


def stage(wheel: str, out: str) -> None:
    tmp = out + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "lib"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        prefix = "tensorflow/include/"
        todo, seen = list(ROOTS), set()
        while todo:
            h = todo.pop()
            if h in seen or prefix + h not in names:
                continue  # a system or third-party header the binding never reaches through TF's C API
            seen.add(h)
            body = z.read(prefix + h)
            dest = os.path.join(tmp, "include", h)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(body)
            todo.extend(m.decode() for m in INCLUDE.findall(body))
        missing = [r for r in ROOTS if r not in seen]
        if missing:
            sys.exit(f"stage_libtensorflow: {wheel} lacks headers {missing}")
        for lib in LIBS:
            member = "tensorflow/" + lib
            if member not in names:
                sys.exit(f"stage_libtensorflow: {wheel} lacks {member}")
            with z.open(member) as src, open(os.path.join(tmp, "lib", lib), "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 22)
            os.chmod(os.path.join(tmp, "lib", lib), 0o755)
    for name, target in LINKS.items():
        os.symlink(target, os.path.join(tmp, "lib", name))
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"staged {len(seen)} headers and {len(LIBS)} libraries in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    stage(sys.argv[1], sys.argv[2])
