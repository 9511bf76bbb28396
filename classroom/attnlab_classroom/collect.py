"""Gathers every student's quiz progress from the notebooks in their home.

A quiz widget keeps each answer's feedback in its `data` trait, and JupyterLab saves widget
state into the notebook's metadata (metadata.widgets["application/vnd.jupyter.widget-state+json"])
when "Save Widget State Automatically" is on, which the classroom turns on for every new home.
So the lecturer (root) reads the saved .ipynb files; no student server needs to be running.

A notebook may hold several states of one quiz (a cell re-run makes a new widget): for each
question id the feedback with the most attempts counts. A question is answered when its latest
checkable answer was scored, correct when that answer was right (the widget's own rule).
"""
import json
import os
import pathlib

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def quiz_states(nb):
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return [s["state"]["data"] for s in state.values()
            if isinstance(s, dict) and s.get("model_name") == "QuizModel" and isinstance(s.get("state", {}).get("data"), dict)]


def notebook_progress(nb):
    """{question id: feedback} merged over the notebook's quizzes, plus the questions seen."""
    questions, best = {}, {}
    for data in quiz_states(nb):
        for q in data.get("questions", []):
            questions[q["id"]] = q.get("prompt", "")
        for qid, fb in data.get("feedback", {}).items():
            if qid not in best or fb.get("attempts", 0) >= best[qid].get("attempts", 0):
                best[qid] = fb
    answered = [q for q, fb in best.items() if fb.get("scored") is not None]
    correct = [q for q, fb in best.items() if fb.get("scored") is True]
    revealed = [q for q, fb in best.items() if fb.get("revealed")]
    return {"total": len(questions), "answered": len(answered), "correct": len(correct), "revealed": len(revealed),
            "questions": {q: {"answered": q in answered, "correct": q in correct, "attempts": best.get(q, {}).get("attempts", 0)} for q in questions}}


def student_notebooks(home):
    """The .ipynb files in a home, skipping hidden folders and checkpoints; relative path -> Path."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(home):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if f.endswith(".ipynb"):
                p = pathlib.Path(dirpath) / f
                out[str(p.relative_to(home))] = p
    return out


def collect(homes):
    """homes: {student: home folder}. Returns {student: {notebook: progress}} for notebooks with quizzes,
    with "error" for files that could not be read as notebooks."""
    result = {}
    for student, home in sorted(homes.items()):
        rows = {}
        for rel, path in student_notebooks(home).items():
            try:
                nb = json.loads(path.read_text())
            except (OSError, ValueError) as e:
                rows[rel] = {"error": f"{type(e).__name__}: {e}"}
                continue
            prog = notebook_progress(nb)
            if prog["total"]:
                rows[rel] = prog
        result[student] = rows
    return result


def table(result):
    """A text table: one row per student, one column per notebook, cells "correct/total"
    (answered in brackets when it differs), and a total column."""
    notebooks = sorted({nb for rows in result.values() for nb in rows})
    short = [pathlib.Path(n).stem.split("-")[0] if pathlib.Path(n).stem[:2].isdigit() else pathlib.Path(n).stem for n in notebooks]
    header = ["student", *short, "total"]
    lines = []
    for student, rows in result.items():
        cells, tc, tt = [], 0, 0
        for nb in notebooks:
            r = rows.get(nb)
            if r is None:
                cells.append("-")
            elif "error" in r:
                cells.append("unreadable")
            else:
                cells.append(f"{r['correct']}/{r['total']}" + (f" ({r['answered']})" if r["answered"] != r["correct"] else ""))
                tc += r["correct"]
                tt += r["total"]
        lines.append([student, *cells, f"{tc}/{tt}"])
    widths = [max(len(str(row[i])) for row in [header, *lines]) for i in range(len(header))]
    fmt = lambda row: "  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip()
    legend = "cells: correct/questions (answered, when some answers were wrong); columns: " + \
        ", ".join(f"{s} = {n}" for s, n in zip(short, notebooks)) if notebooks else "no saved quiz progress found"
    return "\n".join([fmt(header), *map(fmt, lines), "", legend])


def csv_rows(result):
    rows = [["student", "notebook", "question", "answered", "correct", "attempts"]]
    for student, nbs in result.items():
        for nb, r in nbs.items():
            for q, s in r.get("questions", {}).items():
                rows.append([student, nb, q, int(s["answered"]), int(s["correct"]), s["attempts"]])
    return rows
