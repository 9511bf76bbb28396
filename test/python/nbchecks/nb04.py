from nbtools import finding, feedback


def check(nb):
    f = finding(nb)
    sm, mini, mlp = f["sm"], f["mini"], f["mlp"]
    # What was probed: SmolLM2 every 3rd residual stream from the embeddings (0) to the final one (30),
    # MiniLM all 7; both on the same sentences, so the same test words and majority baseline.
    assert sm["layers"] == list(range(0, 31, 3)), sm["layers"]
    assert mini["layers"] == list(range(7)), mini["layers"]
    assert sm["majority"] == mini["majority"] == f["majority"] and sm["testWords"] == mini["testWords"] >= 300
    for m in (sm, mini):
        # POS is decodable far above the majority baseline at every layer, and above the control task.
        assert min(m["accuracy"]) > f["majority"] + 0.25, m
        assert max(m["accuracy"]) > 0.85, m
        assert min(m["selectivity"]) > 0.2, m
        # The embeddings already decode it (a word's tag is mostly its type's).
        assert m["accuracy"][0] > 0.8, m
        # The last layer serves the output and decodes the tag less well than the best layer.
        assert m["accuracy"][-1] < max(m["accuracy"]) - 0.03, m
    # Control (memorising word types) is easiest from the embeddings in SmolLM2.
    assert sm["control"][0] == max(sm["control"]), sm
    # The MLP probe memorises more: higher control accuracy, lower selectivity than the linear one.
    d = f["mlpMinusLinear"]
    assert min(d["control"]) > 0.05 and max(d["selectivity"]) < -0.05, d
    # More training sentences, better probe, narrower interval.
    b = f["bySize"]
    assert [x["sentences"] for x in b] == [20, 80, 240]
    assert b[-1]["accuracy"] > b[0]["accuracy"] + 0.05, b
    assert b[-1]["high"] - b[-1]["low"] < b[0]["high"] - b[0]["low"], b
    assert feedback(nb, "probing")["correct"] is True
