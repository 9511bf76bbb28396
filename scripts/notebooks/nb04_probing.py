from nbgen import code, md, playground

NAME = "04-probing"
REQUIRES = ["smollm2-135m", "all-MiniLM-L6-v2"]
CLAIMS = True

# Run All must stay under a minute: SmolLM2's forward pass costs ~12 ms of CPU per token on this
# 2-core machine, so the sentences are few (N_SENTENCES, ~1,300 words) and read in batched forward
# passes that stop at the last probed block; SmolLM2 is probed at every 3rd layer, MiniLM at all.
# Half the sentences train, 35% test, so the test set (~450 words) separates layers. The
# training-size section uses MiniLM (cheap forward) on up to POOL sentences.
N_SENTENCES = 80
POOL = 240

CELLS = [
    md(f"""
    # 4. Probing classifiers

    **You will learn** what a probe tests (whether a property can be *decoded* from a layer), why
    its accuracy alone is not evidence that the model *uses* the property, and how Hewitt & Liang's
    **control task**, **selectivity** and the **majority baseline** keep a probe honest; then that
    a bigger (MLP) probe reaches high control accuracy too, and how training-set size matters.

    **Time:** about 30 minutes to work through; Run All takes under a minute.

    **Models:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, a 30-layer decoder, card in
    `models/smollm2-135m/README.md`) and all-MiniLM-L6-v2 (a 6-layer BERT encoder, which reads
    the words on both sides). **Data:** the first {N_SENTENCES} sentences of 5 to 25 words of the
    Brown corpus' held-out documents (every 10th file), with its part-of-speech tags mapped to the
    12 universal tags of Petrov, Das & McDonald (NOUN, VERB, DET, ADP, `.` for punctuation, ...).
    Every result the text states is checked against the cells' output by the notebook test.
    """),
    code(f"""
    import {{ loadModel, loadPretrained, probe, figure, quiz, checklistQuestion }} from "attnlab";
    // The Brown corpus reader (POS tags mapped to the universal tag set).
    import {{ readBrown }} from "attnlab/dist/scripts/data/brown";

    const sm = await loadModel("smollm2-135m");
    const mini = await loadPretrained("sentence-transformers/all-MiniLM-L6-v2");
    const pool = readBrown(undefined, {{ split: "valid" }}).filter((s) => s.words.length >= 5 && s.words.length <= 25).slice(0, {POOL})
      // Brown writes quotes as `` and ''; the models read plain " marks.
      .map((s) => ({{ words: s.words.map((w) => (w === "``" || w === "''" ? '"' : w)), labels: s.tags as string[] }}));
    const examples = pool.slice(0, {N_SENTENCES});
    const fmt = (x: number) => x.toFixed(3);
    const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    console.log(`${{examples.length}} sentences, ${{examples.reduce((a, e) => a + e.words.length, 0)}} words; e.g.`);
    console.log(examples[1].words.map((w, i) => `${{w}}/${{examples[1].labels[i]}}`).join(" "));
    """),
    md("""
    ## 1. A linear probe per layer, with a control task

    For each layer, a logistic-regression probe predicts each word's tag from the residual
    stream at the word's first sub-word token. The sentences are split 50/15/35 into train,
    validation (early stopping) and test; a test accuracy comes with its 95% interval.
    "Layer *l*" is the residual stream after *l* blocks (`resid_pre`): 0 is the embeddings,
    the last is the stream the unembedding reads. SmolLM2 is probed every 3rd layer, MiniLM at all 7.

    The **control task** (Hewitt & Liang 2019) gives every word *type* a fixed random tag drawn
    from the tag distribution: a probe can only do well on it by memorising words.
    **Selectivity** = task accuracy − control accuracy. The **majority baseline** always answers
    the most frequent tag. SmolLM2 reads each sentence after `<|endoftext|>`, as its documents
    start in training (`prependBos`); MiniLM puts `[CLS]` and `[SEP]` around it itself.
    """),
    code("""
    const opts = { sites: ["resid_pre" as const], split: [0.5, 0.15] as [number, number], control: true, probe: "linear" as const, maxEpochs: 100, seed: 0, batchSize: 16 };
    // One batched forward pass per 16 sentences, caching only the probed layers; a progress bar follows it.
    const ps = await probe(sm, examples, { ...opts, prependBos: true, layers: Array.from({ length: 11 }, (_, i) => 3 * i) });
    const pm = await probe(mini, examples, { ...opts, layers: [0, 1, 2, 3, 4, 5, 6] });
    console.log(`${ps.counts.train} training, ${ps.counts.val} validation and ${ps.counts.test} test words`);
    figure(ps, { title: "SmolLM2-135M: POS probes by layer (linear, residual stream)" })
    """),
    code("""
    figure(pm, { title: "all-MiniLM-L6-v2: POS probes by layer (linear, residual stream)" })
    """),
    code("""
    for (const [name, r] of [["SmolLM2-135M", ps], ["all-MiniLM-L6-v2", pm]] as const) {
      console.log(`${name}: majority baseline ${fmt(r.majorityBaseline)} (always answering the most frequent training tag)`);
      console.table(r.layers.map((l, i) => ({ layer: l === 0 ? "0 (embeddings)" : l, accuracy: fmt(r.accuracy[i]), "95% interval": `${fmt(r.ciLow[i])}–${fmt(r.ciHigh[i])}`,
        control: fmt(r.controlAccuracy[i]), selectivity: fmt(r.selectivity[i]) })));
    }
    """),
    md("""
    What the tables show:
    - Part of speech is decodable far above the majority baseline
      (0.34<!--=majority-->) at every probed layer of both models<!--claim: min(sm["accuracy"] + mini["accuracy"]) > majority + 0.3-->;
      the best SmolLM2 layer reaches 0.90<!--=max(sm["accuracy"])-->, the best MiniLM layer 0.92<!--=max(mini["accuracy"])-->.
    - Already the **embeddings** (layer 0) decode it well: 0.86<!--=sm["accuracy"][0]--> in SmolLM2,
      0.87<!--=mini["accuracy"][0]--> in MiniLM. A word's tag is mostly a property of the word type,
      and the embedding is a table of word types.
    - So the control task is easy there too. In SmolLM2, control accuracy is highest at the
      embeddings<!--claim: sm["control"][0] == max(sm["control"])--> (0.56<!--=sm["control"][0]-->)
      and selectivity lowest<!--claim: sm["selectivity"][0] == min(sm["selectivity"])-->; in MiniLM the
      first two layers are easier to memorise from than the last two<!--claim: min(mini["control"][:2]) > max(mini["control"][-2:])-->.
      Layers that mix in context leave the probe less word identity to memorise.
    - The last layers decode the tag less well than the middle ones in both models<!--claim: sm["accuracy"][-1] < max(sm["accuracy"]) - 0.05 and mini["accuracy"][-1] < max(mini["accuracy"]) - 0.05-->
      (SmolLM2's final stream 0.79<!--=sm["accuracy"][-1]-->, MiniLM's 0.73<!--=mini["accuracy"][-1]-->): they
      serve the model's output (the next token; MiniLM's pooled sentence embedding), and the
      best layer for a probe is not the last.

    **Exercise 1.** Which layer of each model has the highest selectivity? Is it the layer with the
    highest accuracy?
    """),
    code("""
    // Exercise 1: the most selective layer and the most accurate layer, per model.
    for (const [name, r] of [["SmolLM2-135M", ps], ["all-MiniLM-L6-v2", pm]] as const) {
      const s = argmax(r.selectivity), a = argmax(r.accuracy);
      console.log(`${name}: most selective layer ${r.layers[s]} (${fmt(r.selectivity[s])}), most accurate layer ${r.layers[a]} (${fmt(r.accuracy[a])})`);
    }
    """, tags=["solution"]),
    md("""
    ## 2. A bigger probe learns the task by itself

    An MLP probe (one hidden layer of 128 units) is more expressive. Watch its **control**
    accuracy: it can memorise word types, so its high accuracy says even less about the
    representation. Here on MiniLM (whose forward pass is cheap), at layers 2 and 4.
    """),
    code("""
    const mlpLayers = [2, 4];
    const pmm = await probe(mini, examples, { ...opts, layers: mlpLayers, probe: "mlp" as const, hidden: 128 });
    console.table(mlpLayers.map((l, i) => ({ layer: l,
      "linear accuracy": fmt(pm.accuracy[l]), "linear control": fmt(pm.controlAccuracy[l]), "linear selectivity": fmt(pm.selectivity[l]),
      "MLP accuracy": fmt(pmm.accuracy[i]), "MLP control": fmt(pmm.controlAccuracy[i]), "MLP selectivity": fmt(pmm.selectivity[i]) })));
    """),
    md("""
    At both layers the MLP probe scores higher than the linear one on the control task<!--claim: min(mlpMinusLinear["control"]) > 0.05-->
    and is less selective<!--claim: max(mlpMinusLinear["selectivity"]) < -0.05-->:
    its control accuracy reaches 0.62<!--=max(mlp["control"])--> where the linear probe's, at the
    same layers, stays at or below 0.45<!--=max(mini["control"][l] for l in mlp["layers"])-->. Its task accuracy gains much less than its control accuracy<!--claim: max(mlpMinusLinear["accuracy"]) < min(mlpMinusLinear["control"]) - 0.05-->:
    what it adds is mostly memorisation. Prefer the simpler probe, and read any probe's accuracy
    beside its control.

    ## 3. How much training data?

    Probe accuracy depends on how many examples the probe sees. Below, the linear probe at
    MiniLM's layer 3, on the first 20, 80 and 240 sentences (each run splits its own sentences
    50/15/35, so the test sets differ too: read the intervals).
    """),
    code(f"""
    const sizeLayer = 3;
    const bySize = [] as {{ sentences: number; trainWords: number; accuracy: number; low: number; high: number; control: number }}[];
    for (const n of [20, 80, pool.length]) {{
      const r = await probe(mini, pool.slice(0, n), {{ ...opts, layers: [sizeLayer], progressBar: false }});
      bySize.push({{ sentences: n, trainWords: r.counts.train, accuracy: r.accuracy[0], low: r.ciLow[0], high: r.ciHigh[0], control: r.controlAccuracy[0] }});
    }}
    console.log(`MiniLM, layer ${{sizeLayer}}:`);
    console.table(bySize.map((b) => ({{ sentences: b.sentences, "training words": b.trainWords, accuracy: fmt(b.accuracy), "95% interval": `${{fmt(b.low)}}–${{fmt(b.high)}}`, control: fmt(b.control) }})));
    """),
    md("""
    With 20 sentences the probe trains on 195<!--=bySize[0]["trainWords"]--> words and
    reaches 0.80<!--=bySize[0]["accuracy"]-->; with 240, on 1952<!--=bySize[-1]["trainWords"]--> words, 0.91<!--=bySize[-1]["accuracy"]--><!--claim: bySize[-1]["accuracy"] > bySize[1]["accuracy"] > bySize[0]["accuracy"]-->,
    and its interval narrows<!--claim: bySize[-1]["high"] - bySize[-1]["low"] < bySize[0]["high"] - bySize[0]["low"]-->.
    Compare layers (or models) only at the same training-set size and on the same test words.

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
    md("""
    ## What we found

    The summary below recomputes the findings from the runs above (it does not use your answers);
    the notebook test checks every marked sentence of this notebook against it.
    """),
    code("""
    {
      const r3 = (a: ArrayLike<number>) => Array.from(a, (x) => +x.toFixed(3));
      const grid = (r: typeof ps) => ({ layers: r.layers, accuracy: r3(r.accuracy), control: r3(r.controlAccuracy), selectivity: r3(r.selectivity),
        majority: +r.majorityBaseline.toFixed(3), testWords: r.counts.test });
      const finding = {
        sm: grid(ps), mini: grid(pm), majority: +ps.majorityBaseline.toFixed(3), mlp: grid(pmm), sizeLayer: sizeLayer,
        // MLP minus linear probe at the same layers (positive: the MLP probe scores higher).
        mlpMinusLinear: Object.fromEntries((["accuracy", "controlAccuracy", "selectivity"] as const).map((k) =>
          [k === "controlAccuracy" ? "control" : k, pmm.layers.map((l, i) => +(pmm[k][i] - pm[k][pm.layers.indexOf(l)]).toFixed(3))])),
        bySize: bySize.map((b) => ({ sentences: b.sentences, trainWords: b.trainWords, accuracy: +b.accuracy.toFixed(3), low: +b.low.toFixed(3), high: +b.high.toFixed(3), control: +b.control.toFixed(3) })),
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]

# The playground on SmolLM2, right after the cell that loads the models.
playground(CELLS, "sm", "<|endoftext|>The old man walked slowly to the church, and the old man sat down")
