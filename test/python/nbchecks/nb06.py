from nbtools import finding, feedback


def check(nb):
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
