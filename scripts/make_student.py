"""Makes the student versions of the tutorials: notebooks/NN-*.ipynb -> notebooks/student/.

    python3 scripts/make_student.py            # every notebook
    python3 scripts/make_student.py --check    # also fail if a solution would leak
    python3 scripts/make_student.py --out DIR  # write somewhere else

The student versions are generated, not committed (notebooks/student/ is git-ignored): the
teacher versions are the single source. Rules, by cell tag:
  solution  code: keep the leading comment lines (the exercise), then a prompt comment;
            markdown: replaced by "*Your answer:*".
  finding   dropped (the teacher's summary would give the exercises away).
Every output, execution count and saved widget state is removed.
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SRC = ROOT / "notebooks"
DEST = SRC / "student"
PROMPT = "// Your code here: run the cell when you are done."


def _text(cell):
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def _lines(s):
    parts = s.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]] if s else []


def strip_solution(cell):
    if cell["cell_type"] == "markdown":
        return "*Your answer:*"
    head = []
    for line in _text(cell).split("\n"):
        if line.strip().startswith("//"):
            head.append(line)
        else:
            break
    if not head:
        head = ["// Exercise: see the text above."]
    return "\n".join(head + [PROMPT])


def student_version(nb):
    cells = []
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "finding" in tags:
            continue
        c = json.loads(json.dumps(cell))
        if "solution" in tags:
            c["source"] = _lines(strip_solution(cell))
            c["metadata"]["tags"] = [t for t in tags if t != "solution"] + ["exercise"]
        if c["cell_type"] == "code":
            c["outputs"] = []
            c["execution_count"] = None
        cells.append(c)
    meta = {k: v for k, v in nb.get("metadata", {}).items() if k != "widgets"}
    return {**nb, "cells": cells, "metadata": meta}


def leaks(teacher, student):
    """Solution lines (beyond comments) that still appear in the student version."""
    body = "\n".join(_text(c) for c in student["cells"])
    # Lines that the teacher version also has outside solution cells are not solutions.
    shared = {line.strip() for c in teacher["cells"] if "solution" not in c.get("metadata", {}).get("tags", []) for line in _text(c).split("\n")}
    found = []
    for cell in teacher["cells"]:
        if "solution" not in cell.get("metadata", {}).get("tags", []):
            continue
        for line in _text(cell).split("\n"):
            t = line.strip()
            if len(t) > 12 and not t.startswith("//") and t not in shared and t in body:
                found.append(t)
    return found


def main(argv):
    check = "--check" in argv
    dest = DEST
    if "--out" in argv:
        i = argv.index("--out")
        if i + 1 >= len(argv):
            sys.exit("make_student: --out needs a directory")
        dest = pathlib.Path(argv[i + 1]).resolve()
    dest.mkdir(parents=True, exist_ok=True)
    bad = []
    paths = sorted(SRC.glob("[0-9][0-9]-*.ipynb"))
    if not paths:
        sys.exit(f"make_student: no notebooks found in {SRC}")
    for path in paths:
        nb = json.loads(path.read_text())
        st = student_version(nb)
        (dest / path.name).write_text(json.dumps(st, indent=1, ensure_ascii=False) + "\n")
        n = sum("solution" in c.get("metadata", {}).get("tags", []) for c in nb["cells"])
        print(f"{path.name}: {n} solution cell(s) replaced -> {dest / path.name}")
        if check:
            bad += [f"{path.name}: {line}" for line in leaks(nb, st)]
    if bad:
        sys.exit("make_student: solution lines left in student versions:\n  " + "\n  ".join(bad))


if __name__ == "__main__":
    main(sys.argv[1:])
