import re

from nbtools import finding, feedback, ROOT


def check(nb):
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
