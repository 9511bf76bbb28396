import re

from nbtools import finding, feedback, ROOT


def check(nb):
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
