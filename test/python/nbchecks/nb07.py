from nbtools import finding, quiz_states


def check(nb):
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
