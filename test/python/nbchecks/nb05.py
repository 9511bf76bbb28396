import json

from nbtools import finding, feedback, ROOT


def check(nb):
    f = finding(nb)
    meas = json.loads((ROOT / "models" / "smollm2-135m" / "measurements.json").read_text())
    tr = meas["tracing"]
    # The restoration computed by hand is the causalTrace grid cell (same noise draws, seed 1).
    for k in ("pClean", "pCorrupted", "restored"):
        assert abs(f["byHand"][k] - f["trace"][k]) < 2e-3, (k, f["byHand"], f["trace"])
    # A real restoration: positive and most of the total effect (the old worked example had a negative one).
    assert f["byHand"]["indirect"] > 0.3 and f["byHand"]["indirect"] < f["byHand"]["total"] + 0.05, f["byHand"]
    # The card's noise level (3 x std over the embeddings of all facts.json subjects).
    assert abs(f["noise"] - tr["noise"]) < 1e-4, (f["noise"], tr["noise"])
    # p_clean of every traced fact is the card's top-1 probability (facts table, <|endoftext|> first).
    card_facts = {x["prompt"]: x["<|endoftext|>"] for x in meas["facts"]}
    for x in f["facts"]:
        assert card_facts[x["prompt"]]["right"], x
        assert abs(x["pClean"] - card_facts[x["prompt"]]["pTop"]) < 2e-3, (x, card_facts[x["prompt"]])
    # The facts the card traced with the same settings (noise, 10 samples, seed 1) give its clean and noised p.
    card_traced = {x["prompt"]: x for x in tr["prompts"]}
    shared = [x for x in f["facts"] if x["prompt"] in card_traced]
    assert shared, "the notebook traces none of the card's traced facts"
    for x in shared:
        c = card_traced[x["prompt"]]
        assert abs(x["pClean"] - c["pClean"]) < 2e-3 and abs(x["pCorrupted"] - c["pCorrupted"]) < 2e-3, (x, c)
    # The card's two sites. Late: the last token's hidden state restores from layer 23 on (card: 0.58-0.63
    # from layer 23, <= 0.07 before), and attention into the last token only in windows containing it.
    hid_last = tr["summary"]["hidden"][tr["classes"].index("last token")]
    card_late = next(l for l, v in enumerate(hid_last) if v > tr["totalEffect"]["mean"] / 2)
    assert f["lateLayer"] == card_late, (f["lateLayer"], card_late)
    assert f["hiddenLastBefore"] < 0.1 and f["hiddenLastAt"] > 0.4
    assert f["attnLast"]["withLate"] > 0.3 and f["attnLast"]["without"] < 0.1 and f["attnLast"]["subjMax"] < 0.05
    # Early: at the last subject token, MLP windows containing layer 0 (card: 0.26-0.38, first window without
    # it 0.16, centres >= 15 <= 0.02), and layer 0's MLP alone.
    assert f["mlpSubj"]["withLayer0"] > 2 * f["mlpSubj"]["firstWithout"]
    assert f["avg"]["mlpSubjLayer0"] > 2 * f["avg"]["mlpSubjLayer6"] and f["avg"]["mlpSubjLate"] < 0.05
    assert f["avg"]["attnLastMax"] > 0.3 and f["avg"]["attnLastEarly"] < 0.1
    assert f["window"]["layer0"] > 0.3 and f["window"]["othersMax"] < 0.1
    # Weaker noise: the corrupted run keeps more of the answer, so there is less to restore.
    assert f["weak"]["pCorrupted"] > f["trace"]["pCorrupted"]
    assert f["weak"]["total"] < f["byHand"]["total"]
    assert feedback(nb, "causal-tracing")["correct"] is True
    assert feedback(nb, "tracing-early-site")["correct"] is True
