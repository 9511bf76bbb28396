from nbtools import finding, feedback, ROOT


def check(nb):
    f = finding(nb)
    # The prompt is the one the SmolLM2 card checks against transformers (top-1 " Mary").
    card = (ROOT / "models" / "smollm2-135m" / "README.md").read_text()
    assert '"When Mary and John went to the store, John gave a drink to" → " Mary"' in card, "the card no longer states the Mary/John prompt"
    assert f["topClean"] == " Mary" and f["topCorrupt"] == " John"
    assert f["cleanDiff"] > 0 > f["corruptDiff"]
    # The second " John" is the only difference between the prompts: restoring it at layer 0
    # restores everything; positions before it cannot see it and restore nothing.
    assert abs(f["patchS2L0"] - 1.0) < 0.02 and f["patchBeforeMax"] < 1e-3
    assert f["patchLastL29"] > 0.9 and 0 < f["patchCross"] < 30
    # The head map is sparse: the median head is noise far below the few heads that matter.
    assert f["headNoise"] < 0.01 and 0 < f["headsOver"] < 30
    assert abs(f["headEffect"][f["patchTop"][0]]) > 20 * f["headNoise"]
    # Causal tracing on the same token: noising it hurts, restoring it right after layer 0 repairs.
    assert f["pClean"] > f["pCorrupted"] + 0.3 and f["traceS2L0"] > 0.5
    # The probe decodes the answer's position in later layers (a run of layers at 0.9 or better),
    # the shuffled-label control nowhere; where it decodes best, patching the last position does nothing yet.
    assert 0 <= f["probeFrom"] <= f["probeTo"] < 30
    assert max(f["probeControl"]) < min(f["probeAcc"][f["probeFrom"]:f["probeTo"] + 1])
    assert abs(f["patchLast"][f["probeFrom"] + 1]) < 0.05 < f["patchS2"][f["probeFrom"] + 1]
    # Direct logit attribution adds up to the logit difference it explains.
    assert abs(f["dlaTotal"] - f["dlaValue"]) < 1e-3 and abs(f["dlaValue"] - f["cleanDiff"]) < 2e-3
    # Attribution patching was compared with the exact maps (correlations in [-1, 1]); on heads it agrees.
    assert -1 <= f["rResid"] <= 1 and 0.5 < f["rHeads"] <= 1
    # Every method's cost was measured in this run.
    assert set(f["costMs"]) == {"attention", "probe", "patching (residual stream)", "patching (heads)", "causal tracing",
                                "direct logit attribution", "attribution patching"}
    assert all(ms > 0 for ms in f["costMs"].values())
    # The kernel's show-me check (token ablation) agreed with the teacher; the choices too.
    assert feedback(nb, "which-token")["correct"] is True
    assert feedback(nb, "causal-method")["correct"] is True
    assert feedback(nb, "which-causal")["correct"] is True
