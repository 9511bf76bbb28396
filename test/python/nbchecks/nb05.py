import json

import pytest

from nbtools import finding, feedback, ROOT


def check(nb):
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
