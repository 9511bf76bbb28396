import re

from nbtools import finding, feedback, ROOT


def check(nb):
    f = finding(nb)
    # The model completes the fact with the answer of models/smollm2-135m/facts.json.
    assert f["predicted"] == f["answer"], (f["predicted"], f["answer"])
    # The studied head reads the subject from the last token on both facts, and sits where the card's
    # causal tracing finds the late attention site (every window of 10 layers containing that layer).
    card = (ROOT / "models" / "smollm2-135m" / "README.md").read_text()
    site = re.search(r"Every attention window that contains layer (\d+)", card)
    assert site, "models/smollm2-135m/README.md no longer names the late attention site"
    assert abs(f["layer"] - int(site.group(1))) <= 5, (f["layer"], site.group(1))
    assert min(f["onSubject"]) > 0.5, f["onSubject"]
    # Integrated gradients are nearly complete: their sum is close to p(answer) (the zero baseline predicts it hardly at all).
    assert abs(f["igSum"] - f["pPredicted"]) < 0.15, (f["igSum"], f["pPredicted"])
    # Attention agrees only weakly with the other importance measures over all heads.
    assert all(abs(t["median"]) < 0.3 and t["above05"] < 0.15 for t in f["tau"].values()), f["tau"]
    # Adversarial search: what it reports is consistent (the largest JSD among candidates within epsilon).
    adv = f["adversarial"]
    # (outputTvd is rounded to 4 decimals, so candidates at the boundary count either way)
    surely_in = [j for j, t in zip(adv["jsd"], adv["outputTvd"]) if t < 0.0099]
    maybe_in = [j for j, t in zip(adv["jsd"], adv["outputTvd"]) if t <= 0.0101]
    m = adv["maxJsdWithinEpsilon"]
    assert (m is None and not surely_in) or (m is not None and m in maybe_in and m >= max(surely_in, default=0)), adv
    # At the sink, attention overstates what the heads move from there.
    assert f["sinkHeads"]["heads"] > 50 and f["sinkHeads"]["smaller"] >= 0.9 * f["sinkHeads"]["heads"], f["sinkHeads"]
    assert f["sinkAttention"] - f["sinkNormShare"] > 0.3, (f["sinkAttention"], f["sinkNormShare"])
    # One head is a small part of its layer.
    assert f["studiedKlFraction"] < 0.5, f["studiedKlFraction"]
    assert feedback(nb, "jain-wallace")["correct"] is True
