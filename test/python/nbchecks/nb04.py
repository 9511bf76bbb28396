from nbtools import finding, feedback


def check(nb):
    f = finding(nb)
    sel = lambda r: max(a - c for a, c in zip(r["accuracy"], r["control"]))
    for m in ("gpt", "bert"):
        # POS is decodable well above the majority baseline, and above the control task.
        assert max(f[m]["accuracy"]) > f[m]["majority"] + 0.2, f[m]
        assert sel(f[m]) > 0.05, f[m]
    # The MLP probe memorises more: higher control accuracy, lower selectivity than the linear one.
    assert max(f["mlp"]["control"]) > max(f["gpt"]["control"])
    assert sel(f["mlp"]) < sel(f["gpt"])
    # More training sentences, better probe.
    assert f["bySize"][-1]["accuracy"] > f["bySize"][0]["accuracy"]
    assert feedback(nb, "probing")["correct"] is True
