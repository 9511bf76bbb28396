from nbgen import code, md, playground

NAME = "06-choosing-a-method"
REQUIRES = ["brown-gpt"]

CELLS = [
    md("""
    # 6. Choosing a method

    **You will learn** which interpretability method answers which question, by running four of
    them on the **same prompt**, and why "did this token causally influence the output?" needs an
    intervention (activation patching or ablation) rather than a picture of attention.

    **Time:** about 25 minutes to work through; Run All takes a minute or two.

    | Method | Causal? | What it reveals | Main limitation |
    |---|---|---|---|
    | Attention visualisation | No | Where each head reads from, per token | Weights are not importance: values, other heads and MLPs decide what is used (notebook 2) |
    | Probing classifier | No | Whether a property can be decoded from a layer | Decodable is not used; a strong probe learns the task itself (notebook 4) |
    | Activation patching / ablation | Yes | Whether (and where) an activation changes the output | Depends on the corrupted input or ablation value; answers a question about one input pair |
    | Causal tracing | Yes | Which states carry the information, token × layer | Noise corruption is off-distribution; results depend on noise level and window (notebook 5) |
    | Direct logit attribution | No (direct effect only) | Which heads and MLPs write the answer's logit, through the final norm | Misses effects through later layers; the final norm's scale is held fixed |
    | Attribution patching | Approximates patching | Every patch at once from one forward and one backward pass | First-order estimate: wrong where the metric is far from linear in the activation |

    **Model:** `brown-gpt`. The prompt is "The people of the United": the model predicts " States".
    The corrupted prompt, "The people of the Soviet", changes one token; the metric is
    logit(" States") − logit(" Union").
    """),
    code("""
    import { loadModel, attentionPattern, probe, patchResidByPos, patchHeadOut, tokenAblation, causalTrace, logitDiff,
             logitAttribution, attributionPatching, pearson, figure, quiz, checklistQuestion, tokenInfluenceCheck } from "attnlab";

    const model = await loadModel("brown-gpt");
    const { nLayers, nHeads } = model.config;
    // The models were trained with <|endoftext|> (BOS) at the start of every row: keep it.
    const CLEAN = "<|endoftext|>The people of the United";
    const CORRUPT = "<|endoftext|>The people of the Soviet";
    const tokOf = (s: string) => model.tokenizer!.encode(s, { addSpecialTokens: false }).ids;
    const answer = tokOf(" States")[0];
    const wrong = tokOf(" Union")[0];
    const tokens = model.toStrTokens(CLEAN);
    const NAME_POS = tokens.indexOf(" United");
    const fmt = (x: number) => x.toFixed(3);
    const diffOf = (text: string) => { const lg = model.run(text); const d = logitDiff(lg, answer, wrong)[0]; lg.dispose(); return d; };
    console.log(`tokens: ${tokens.map((t) => JSON.stringify(t)).join(" ")}`);
    console.log(`" United" is one token: ${tokOf(" United").length === 1}; it sits at position ${NAME_POS}`);
    console.log(`logit(" States") − logit(" Union"): clean ${fmt(diffOf(CLEAN))}, corrupted ${fmt(diffOf(CORRUPT))}`);
    """),
    md("""
    ## 1. Attention visualisation: a hypothesis

    How much does each head, at the last position, attend to " United" (which is the last token
    itself)? A head that does is a *candidate* for carrying the word's identity to the prediction.
    Nothing here says the output depends on it.
    """),
    code("""
    const toName = Array.from({ length: nLayers }, (_, l) => {
      const p = attentionPattern(model, CLEAN, { layer: l });
      const n = p.tokens.length;
      return Array.from({ length: nHeads }, (_, h) => p.data[(h * n + (n - 1)) * n + NAME_POS]);
    });
    console.table(Object.fromEntries(toName.map((row, l) => [`layer ${l}`, Object.fromEntries(row.map((v, h) => [`head ${h}`, fmt(v)]))])));
    figure(attentionPattern(model, CLEAN, { layer: nLayers - 1 }))
    """),
    md("""
    ## 2. Probing: is "this word is a name" decodable?

    A linear probe per layer on a small set of template sentences (names vs other words), with
    Hewitt & Liang's control task. It shows the information is *present*; not that the
    prediction above *uses* it.
    """),
    code("""
    const first = ["John", "Mary", "Henry", "Alice", "George", "Ruth", "Frank", "Helen"];
    const last = ["Jones", "Brown", "Clark", "Davis", "Evans", "Foster", "Grant", "Hughes"];
    const verbs = ["saw", "met", "called", "helped", "told", "visited"];
    const nouns = ["the doctor", "the farmer", "his brother", "her sister", "the teacher", "a friend"];
    const examples = [] as { words: string[]; labels: string[] }[];
    for (let i = 0; i < 48; i++) {
      const f = first[i % first.length], s = last[(i * 3) % last.length], v = verbs[(i * 5) % verbs.length], o = nouns[(i * 7) % nouns.length];
      const words = i % 2 ? [f, s, v, ...o.split(" "), "."] : [...o.split(" "), v, f, s, "yesterday", "."];
      examples.push({ words, labels: words.map((w) => (first.includes(w) || last.includes(w) ? "NAME" : "OTHER")) });
    }
    const pr = await probe(model, examples, { sites: ["resid_post"], control: true, maxEpochs: 60, seed: 0 });
    const L = pr.shape[1];
    figure({ view: "probe", title: "Is this word a name? (linear probe on resid_post)", layers: Array.from({ length: L }, (_, l) => l),
      properties: [{ name: "name vs other", accuracy: Array.from(pr.accuracy), lower: Array.from(pr.ciLow), upper: Array.from(pr.ciHigh),
                     control: Array.from(pr.controlAccuracy), majority: pr.majorityBaseline }] })
    """),
    md("""
    ## 3. Activation patching: does the output depend on it?

    Run the **corrupted** prompt, and copy in one activation from the **clean** run: the residual
    stream entering layer *L* at position *p*. The map shows how much of the clean logit
    difference comes back (1 = all of it). Restoring " United" at layer 0 is the direct test of
    "did this token influence the output?": everything else in the two runs is the same.
    """),
    code("""
    const patch = await patchResidByPos(model, CLEAN, CORRUPT, { metric: { answer: answer, wrong: wrong } });
    const P = tokens.length;
    console.log(`patching the name position at layer 0 restores ${fmt(patch.data[0 * P + NAME_POS])} of the logit difference`);
    console.log(`patching the last position at layer ${nLayers - 1} restores ${fmt(patch.data[(nLayers - 1) * P + P - 1])}`);
    figure(patch, { title: "Residual stream patching, clean → corrupted" })
    """),
    md("""
    Patching each head's output instead: if no head restores much, the word reaches the
    prediction mostly through its own residual stream (the embedding and the MLPs at that
    position), whatever the attention maps suggested.
    """),
    code("""
    const heads = await patchHeadOut(model, CLEAN, CORRUPT, { metric: { answer: answer, wrong: wrong } });
    figure(heads, { title: "Which heads carry it? (each head's output patched)" })
    """),
    md("""
    ## 4. Ablation: remove each token

    Patching needs a corrupted prompt. Ablation needs none: remove one token (its embedding) and
    measure the probability of the answer. A large drop is evidence that the token mattered.
    """),
    code("""
    const abl = tokenAblation(model, CLEAN, { answer: answer });
    console.log(`p(" States") with every token: ${fmt(abl.answer.prob)}`);
    console.table(abl.tokens.map((t, i) => ({ position: i, token: JSON.stringify(t), "p without it": fmt(abl.ablatedProb[i]), drop: fmt(abl.answer.prob - abl.ablatedProb[i]) })));
    """),
    md("""
    ## 5. Causal tracing: where does the information flow?

    Blur " United" with noise, then restore one clean hidden state (token × layer) at a time.
    Notebook 5 does this in depth on a facts model; here, hidden states only, few samples.
    """),
    code("""
    const trace = await causalTrace(model, CLEAN, { subject: " United", answer: answer, samples: 5, kinds: ["hidden"], seed: 0 });
    console.log(`p(" States"): clean ${fmt(trace.pClean)}, corrupted ${fmt(trace.pCorrupted)}`);
    figure(trace)
    """),
    md("""
    ## 6. The same table, filled in on this prompt
    """),
    code("""
    const drops = Array.from(abl.ablatedProb, (p) => abl.answer.prob - p);
    const best = (a: ArrayLike<number>) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    console.table([
      { method: "attention", causal: "no", "on this prompt": `largest last-token attention to " United": ${fmt(Math.max(...toName.flat()))}` },
      { method: "probing", causal: "no", "on this prompt": `best selectivity ${fmt(Math.max(...Array.from(pr.selectivity)))} at layer ${best(pr.selectivity)}` },
      { method: "activation patching", causal: "yes", "on this prompt": `restoring " United" at layer 0 restores ${fmt(patch.data[NAME_POS])} of the logit difference` },
      { method: "ablation", causal: "yes", "on this prompt": `largest drop from removing ${JSON.stringify(abl.tokens[best(drops)])} (${fmt(Math.max(...drops))})` },
      { method: "causal tracing", causal: "yes", "on this prompt": `total effect ${fmt(trace.totalEffect)}` },
    ]);
    """),
    md("""
    ## 7. Which heads write the answer? Direct logit attribution

    The last residual stream is a sum: token and position embeddings, every head's output, every
    MLP's output (and some biases). The final LayerNorm is not linear, but with its scale held at
    the value this run computed, each part can be read through the unembedding on its own: its
    **direct** contribution to logit(" States") − logit(" Union"). The parts plus the bias terms
    add up to the model's logit difference; the first line below checks that on this prompt.
    Direct means direct: a head whose output is used by a later MLP gets no credit here.
    """),
    code("""
    const dla = logitAttribution(model, CLEAN, { answer: answer, against: wrong });
    const sumOf = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    console.log(`logit difference ${fmt(dla.value)}; components + frozen bias terms ${fmt(dla.total)} (|gap| ${Math.abs(dla.total - dla.value).toExponential(1)})`);
    const part = (re: RegExp) => sumOf(dla.components.values.filter((_, i) => re.test(dla.components.labels[i])));
    console.log(`all heads together ${fmt(part(/H/))}, all MLPs ${fmt(part(/mlp/))}, embeddings ${fmt(part(/embed/))}, bias terms ${fmt(sumOf(dla.bias.values))}`);
    const byHead = Array.from(dla.heads.keys()).sort((x, y) => Math.abs(dla.heads[y]) - Math.abs(dla.heads[x]));
    console.log("heads with the largest direct effect: " + byHead.slice(0, 3).map((i) => `L${Math.floor(i / nHeads)}H${i % nHeads} ${fmt(dla.heads[i])}`).join(", "));
    console.log(`per-head DLA against the head-patching map of section 3: Pearson r = ${fmt(pearson(dla.heads, heads.data))}`);
    console.table(dla.accumulated.labels.map((l, i) => ({ "read after": l, "logit diff (logit lens)": fmt(dla.accumulated.lens[i]) })));
    figure(dla)
    """),
    md("""
    ## 8. Does attribution patching find what activation patching finds, at what cost?

    Activation patching needs one forward pass per patched activation (batched, but still one row
    each). Attribution patching (Nanda, 2023) estimates them all at once: the change a patch makes
    is approximately (clean activation − corrupted activation) · ∂metric/∂activation, with the
    gradient taken on the corrupted run. One forward pass of each prompt and one backward pass give
    every cell of every map. Below, the estimate and the exact maps side by side, their
    correlation, and the time each took on this machine.
    """),
    code("""
    const ap = await attributionPatching(model, CLEAN, CORRUPT, { metric: { answer: answer, wrong: wrong }, grids: ["resid", "attn_out", "mlp_out", "heads"], compare: true });
    const grids = Object.values(ap.grids).map((g) => g!);
    const worst = (g: (typeof grids)[number]) => g.data.reduce((bi, v, i) => (Math.abs(v - g.exact![i]) > Math.abs(g.data[bi] - g.exact![bi]) ? i : bi), 0);
    console.table(grids.map((g) => {
      const i = worst(g);
      const cell = g.dims[1] === "head" ? `L${Math.floor(i / g.shape[1])}H${i % g.shape[1]}` : `layer ${Math.floor(i / g.shape[1])}, ${JSON.stringify(tokens[i % g.shape[1]])}`;
      return { grid: g.grid, cells: g.data.length, "Pearson r": fmt(g.correlation!), "exact patching (ms)": g.exactMs!.toFixed(0),
               "largest gap at": cell, estimate: fmt(g.data[i]), exact: fmt(g.exact![i]) };
    }));
    console.log(`attribution patching, all ${grids.length} maps: ${ap.timing.attributionMs.toFixed(0)} ms (2 forward + 1 backward pass); ` +
                `exact activation patching of the same maps: ${ap.timing.exactMs!.toFixed(0)} ms (${(ap.timing.exactMs! / ap.timing.attributionMs).toFixed(1)}× the time)`);
    figure(ap.grids.resid!)
    """),
    md("""
    The estimate is a straight line through the corrupted run. Where a patch moves the model far
    (a whole token's residual stream, a saturated softmax), the line misses; the "largest gap"
    column shows where it missed most on this prompt. Compare the two times printed above: exact
    patching's cost grows with the number of cells (layers × positions, × heads), the estimate's
    stays at two forward passes and one backward pass (`docs/benchmarks.md` measures both on a
    GPT-2-small-sized model).
    """),
    md("""
    ## 9. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 6: choosing a method", questions: [
      checklistQuestion("causal-method"),
      { kind: "showme", id: "which-token", placeholder: "a token or its position",
        prompt: `Which token of the prompt makes the model predict " States"? The kernel removes it and measures p(" States").`,
        explanation: "Removing a token and measuring the output is an intervention: a large drop is evidence the token causally influenced the prediction. Attention to it alone would not be.",
        check: tokenInfluenceCheck(model, CLEAN, { answer: answer }) },
      { kind: "choice", id: "which-causal", prompt: "Which pair of methods can, by themselves, show that an activation causally affects the output?",
        choices: ["Attention visualisation and probing", "Activation patching and causal tracing", "Probing and causal tracing", "Attention visualisation and activation patching"],
        answer: 1, why: ["neither intervenes on the model: both only observe it.", undefined, "a probe observes; only causal tracing intervenes.", "looking at attention does not change anything in the run."],
        explanation: "Patching and causal tracing change activations during the run and measure the output; attention maps and probes only read activations." },
    ] });
    q
    """),
    code("""
    // Exercise: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("causal-method", 2);
    await q.answer("which-token", String(NAME_POS));
    await q.answer("which-causal", 1);
    q.progress
    """, tags=["solution"]),
    code("""
    console.log("finding: " + JSON.stringify({
      namePos: NAME_POS, cleanDiff: +diffOf(CLEAN).toFixed(3), corruptDiff: +diffOf(CORRUPT).toFixed(3),
      patchNameLayer0: +patch.data[NAME_POS].toFixed(3), pAnswer: +abl.answer.prob.toFixed(3),
      biggestAblationDrop: { pos: best(drops), token: abl.tokens[best(drops)], drop: +Math.max(...drops).toFixed(3) },
      nameDrop: +drops[NAME_POS].toFixed(3), traceTotalEffect: +trace.totalEffect.toFixed(3),
      probeBestSelectivity: +Math.max(...Array.from(pr.selectivity)).toFixed(3),
      dlaValue: dla.value, dlaTotal: dla.total, dlaVsHeadPatching: +pearson(dla.heads, heads.data).toFixed(3),
      attributionPatching: Object.fromEntries(grids.map((g) => [g.grid, { r: g.correlation, exactMs: Math.round(g.exactMs!) }])),
      attributionMs: Math.round(ap.timing.attributionMs), exactMs: Math.round(ap.timing.exactMs!),
    }));
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", "<|endoftext|>The people of the United")
