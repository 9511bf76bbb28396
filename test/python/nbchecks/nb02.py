from nbtools import finding, feedback


def check(nb):
    f = finding(nb)
    # Attention agrees only weakly with other importance measures (median Kendall tau).
    assert all(abs(t) < 0.6 for t in f["kendallMedian"].values()), f["kendallMedian"]
    # Adversarial search finds very different attention with nearly the same output.
    assert f["adversarial"]["maxJsdWithinEpsilon"] is not None and f["adversarial"]["maxJsdWithinEpsilon"] > 0.1
    # At the sink, the attention share overstates the share of what the head moves.
    assert f["sink"]["normShare"] < f["sink"]["attention"]
    assert feedback(nb, "jain-wallace")["correct"] is True
