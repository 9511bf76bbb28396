"""Helpers for reading an executed notebook's findings (used by test_notebooks.py and nbchecks/)."""
import json
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]


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
