from nbgen import code, md, playground

NAME = "04-probing"
REQUIRES = ["brown-gpt", "brown-bert"]

CELLS = [
    md("""
    # 4. Probing classifiers

    **You will learn** what a probe tests (whether a property can be *decoded* from a layer), why
    its accuracy alone is not evidence that the model *uses* the property, and how Hewitt & Liang's
    **control task**, **selectivity** and the **majority baseline** keep a probe honest; then that
    a bigger (MLP) probe reaches high control accuracy too, and how training-set size matters.

    **Time:** about 30 minutes to work through; Run All takes a few minutes.

    **Models:** `brown-gpt` and `brown-bert`. **Data:** part-of-speech tags of the Brown corpus
    mapped to the 12 universal tags, from held-out (validation) documents the models were not
    trained on.
    """),
    code("""
    import { loadModel, probe, figure, quiz, checklistQuestion } from "attnlab";
    // The Brown corpus reader of the training scripts (POS tags mapped to the universal tag set).
    import { readBrown } from "attnlab/dist/scripts/data/brown";

    const gpt = await loadModel("brown-gpt");
    const bert = await loadModel("brown-bert");
    const maxTokens = Math.min(gpt.config.nCtx, bert.config.nCtx) - 2;
    const sentences = readBrown().filter((s) => s.split === "valid" && s.words.length >= 5 && s.words.length <= 25)
      .filter((s) => gpt.toStrTokens(s.words.join(" ")).length <= maxTokens && bert.toStrTokens(s.words.join(" ")).length <= maxTokens).slice(0, 300);
    const examples = sentences.map((s) => ({ words: s.words, labels: s.tags as string[] }));
    const fmt = (x: number) => x.toFixed(3);
    const best = (a: Float32Array) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    console.log(`${examples.length} sentences, ${examples.reduce((a, e) => a + e.words.length, 0)} words; e.g.`);
    console.log(examples[0].words.map((w, i) => `${w}/${examples[0].labels[i]}`).join(" "));
    """),
    md("""
    ## 1. A linear probe per layer, with a control task

    For every layer, a logistic-regression probe is trained to predict each word's tag from the
    residual stream at the word's first sub-word token (sentences split 70/15/15 into train,
    validation and test). The **control task** gives every word *type* a fixed random tag drawn
    from the tag distribution: a probe can only do well on it by memorising words.
    **Selectivity** = task accuracy − control accuracy.
    """),
    code("""
    const opts = { sites: ["resid_post" as const], control: true, probe: "linear" as const, maxEpochs: 100, seed: 0 };
    const pg = await probe(gpt, examples, opts);
    const pb = await probe(bert, examples, opts);
    const asProperty = (name: string, r: typeof pg) => ({ name: name, accuracy: Array.from(r.accuracy), lower: Array.from(r.ciLow), upper: Array.from(r.ciHigh),
      control: Array.from(r.controlAccuracy), majority: r.majorityBaseline });
    const probeFigure = (name: string, r: typeof pg) => figure({ view: "probe", title: `${name}: POS probes by layer (linear, resid_post)`,
      layers: Array.from({ length: r.shape[1] }, (_, l) => l), properties: [asProperty("POS", r)],
      note: "Solid: task accuracy with 95% Wilson interval. Dashed: control task. Dotted: majority-class baseline. Lower panel: selectivity." });
    probeFigure("brown-gpt", pg)
    """),
    code("""
    probeFigure("brown-bert", pb)
    """),
    code("""
    for (const [name, r] of [["brown-gpt", pg], ["brown-bert", pb]] as const) {
      console.log(`${name}: majority baseline ${fmt(r.majorityBaseline)} (always answering the most frequent tag)`);
      console.table(Array.from(r.accuracy, (a, l) => ({ layer: l, accuracy: fmt(a), control: fmt(r.controlAccuracy[l]), selectivity: fmt(r.selectivity[l]) })));
    }
    """),
    md("""
    **Exercise 1.** Which layer of each model has the highest selectivity? Is it the layer with the
    highest accuracy?
    """),
    code("""
    // Exercise 1: the most selective layer and the most accurate layer, per model.
    for (const [name, r] of [["brown-gpt", pg], ["brown-bert", pb]] as const) {
      console.log(`${name}: most selective layer ${best(r.selectivity)} (${fmt(r.selectivity[best(r.selectivity)])}), most accurate layer ${best(r.accuracy)} (${fmt(r.accuracy[best(r.accuracy)])})`);
    }
    """, tags=["solution"]),
    md("""
    ## 2. A bigger probe learns the task by itself

    An MLP probe (one hidden layer of 128 units) is more expressive. Watch its **control**
    accuracy: it can memorise word types, so high accuracy says even less about the
    representation. Selectivity falls.
    """),
    code("""
    const pm = await probe(gpt, examples, { ...opts, probe: "mlp" as const, hidden: 128 });
    console.table(Array.from(pm.accuracy, (a, l) => ({ layer: l,
      "linear accuracy": fmt(pg.accuracy[l]), "linear control": fmt(pg.controlAccuracy[l]), "linear selectivity": fmt(pg.selectivity[l]),
      "MLP accuracy": fmt(a), "MLP control": fmt(pm.controlAccuracy[l]), "MLP selectivity": fmt(pm.selectivity[l]) })));
    """),
    md("""
    ## 3. How much training data?

    Probe accuracy depends on how many examples the probe sees. With few sentences, both task and
    control accuracy are low and noisy; compare layers only at the same training-set size.
    """),
    code("""
    const sizes = [40, 100, examples.length];
    const bySize = [] as { sentences: number; accuracy: number; control: number }[];
    for (const n of sizes) {
      const r = n === examples.length ? pg : await probe(gpt, examples.slice(0, n), opts); // the full set was probed above
      const l = best(r.selectivity);
      bySize.push({ sentences: n, accuracy: Math.max(...Array.from(r.accuracy)), control: Math.max(...Array.from(r.controlAccuracy)) });
      console.log(`${n} sentences (${r.counts.train} training words): best accuracy ${fmt(Math.max(...Array.from(r.accuracy)))}, best control ${fmt(Math.max(...Array.from(r.controlAccuracy)))}, most selective layer ${l}`);
    }
    """),
    md("""
    ## 4. What a probe does not show

    A selective probe shows that part of speech is *linearly decodable* from a layer. It does not
    show that the model *uses* it: the information could sit there unused. Testing use needs an
    intervention (ablate or patch the direction the probe found and see whether the model's
    behaviour changes), as in notebooks 3, 5 and 6.

    ## 5. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 4: probing", questions: [
      checklistQuestion("probing"),
      { kind: "short", id: "probing-selectivity", placeholder: "a formula or a sentence",
        prompt: "How is selectivity computed?",
        accept: [/task\\s*(accuracy)?\\s*(-|−|–|minus)\\s*control/i],
        keywords: [["difference", "gap", "subtract", "minus"], ["control"]],
        explanation: "Selectivity = task accuracy − control-task accuracy." },
      { kind: "choice", id: "probing-mlp", prompt: "An MLP probe reaches 97% POS accuracy and 90% control accuracy; a linear probe 93% and 70%. Which tells you more about the representation?",
        choices: ["The MLP probe: it is more accurate.", "The linear probe: its selectivity (23 points) is much higher than the MLP's (7 points).", "Neither: accuracies above the majority baseline are all equivalent."],
        answer: 1, why: ["its accuracy comes largely from memorising word types, as the control task shows.", undefined, "selectivity separates what the representation encodes from what the probe learns."],
        explanation: "A probe that does well on the control task is learning the task itself; prefer the probe and layer with high accuracy *and* high selectivity." },
    ] });
    q
    """),
    code("""
    // Exercise 2: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("probing", 2);
    await q.answer("probing-selectivity", "task accuracy minus control accuracy");
    await q.answer("probing-mlp", 1);
    q.progress
    """, tags=["solution"]),
    code("""
    console.log("finding: " + JSON.stringify({
      gpt: { majority: +pg.majorityBaseline.toFixed(3), accuracy: Array.from(pg.accuracy, (x) => +x.toFixed(3)), control: Array.from(pg.controlAccuracy, (x) => +x.toFixed(3)) },
      bert: { majority: +pb.majorityBaseline.toFixed(3), accuracy: Array.from(pb.accuracy, (x) => +x.toFixed(3)), control: Array.from(pb.controlAccuracy, (x) => +x.toFixed(3)) },
      mlp: { accuracy: Array.from(pm.accuracy, (x) => +x.toFixed(3)), control: Array.from(pm.controlAccuracy, (x) => +x.toFixed(3)) },
      bySize: bySize.map((b) => ({ sentences: b.sentences, accuracy: +b.accuracy.toFixed(3), control: +b.control.toFixed(3) })),
    }));
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "gpt", "<|endoftext|>The old man walked slowly to the church, and the old man sat down")
