import textwrap

from nbgen import code, md, playground

NAME = "02-attention-is-not-explanation"
REQUIRES = ["smollm2-135m"]
CLAIMS = True

# Adam steps of the adversarial search (each runs one token through the layers from the head's on).
ADV_STEPS = 10

# What the cells showed, bound to the finding (filled in from a run; the test re-checks every marker).
RESULTS = {
    "TAU": """
    Across all 270<!--=tau["gradInput"]["cases"]--> heads, attention and importance hardly agree: the
    median τ is −0.167<!--=tau["gradInput"]["median"]--> against grad × input,
    0.111<!--=tau["integratedGradients"]["median"]--> against integrated gradients and
    0.056<!--=tau["leaveOneOut"]["median"]--> against leave-one-out, and τ exceeds 0.5<!--given--> for
    only 1.1%<!--=tau["gradInput"]["above05"]-->, 1.1%<!--=tau["integratedGradients"]["above05"]--> and
    4.8%<!--=tau["leaveOneOut"]["above05"]--> of the heads. Even head 23.5<!--=studied-->, whose attention
    looks like "reading the subject", agrees only in part: τ = 0.500<!--=studiedTau["gradInput"]--> with
    grad × input, 0.056<!--=studiedTau["integratedGradients"]--> with integrated gradients and
    0.333<!--=studiedTau["leaveOneOut"]--> with leave-one-out.
    """,
    "PERM": """
    The layer's most peaked head, 23.2<!--=peaked-->, puts 0.995<!--=peakedMax--> of its attention on
    `<|endoftext|>`; a permutation moves that weight onto a word, and the output moves by a median TVD
    of 0.103<!--=peakedTvd-->. The studied head's permutations move it by
    0.078<!--=studiedPerm["medianTvd"]-->. Both are well above the ε of the next
    section<!--claim: min(peakedTvd, studiedPerm["medianTvd"]) > 0.01-->: in this model, shuffling a
    head's weights does change the output, unlike many of the paper's text classifiers, whose output
    barely moved when their attention was permuted. Random shuffles are a blunt test, though; the adversary
    searches for the attention that changes the output *least*.
    """,
    "ADV": """
    In 10<!--given--> steps the search found candidates within ε, but none far from the real attention:
    the largest JSD among them is 0.014<!--=adversarial["maxJsdWithinEpsilon"]--> of a possible
    0.693<!--given-->. For this head on this fact, a short search finds no very different attention
    that keeps the output, which is not what the paper found for its classifiers. Wiegreffe & Pinter
    (2019, "Attention is not not explanation") argue exactly this: whether such adversaries exist, and
    how hard they are to find, depends on the model and the task, so the test has to be run, not
    assumed. The search is short here to keep Run All short; raise `ADV_STEPS` in the cell
    (each step is one backward pass of the last token through the layers from the head's on) to
    search longer.
    """,
    "NORM": """
    Head 23.7<!--=sinkHead--> puts 0.761<!--=sinkAttention--> of its attention on `<|endoftext|>`, but
    only 0.216<!--=sinkNormShare--> of what it moves comes from there, while `iffel`<!--=sinkTop["token"]-->
    gets 0.153<!--=sinkTop["attention"]--> of its attention and 0.577<!--=sinkTop["normShare"]--> of what it
    moves: its heatmap says "sink", its output says "Eiffel". Over the model,
    121<!--=sinkHeads["heads"]--> heads put more than half their last-token attention on the first token
    (median 0.907<!--=sinkHeads["medianAttention"]-->), and every one of them moves less from there than
    its attention suggests<!--claim: sinkHeads["smaller"] == sinkHeads["heads"]--> (median share
    0.642<!--=sinkHeads["medianNormShare"]-->).
    """,
    "ABL": """
    Ablating head 23.5<!--=studied--> moves the output by 3.3%<!--=studiedKlFraction--> of what ablating
    the whole attention layer does (KL 0.426<!--=layerKl-->); the largest share in the layer,
    30.3%<!--=klFraction[topKl]-->, is head 23.4<!--=topKl-->'s. The head whose pattern looks most like
    "looking up the fact" does a small part of its layer's work<!--claim: studiedKlFraction < 0.5 * klFraction[topKl]-->:
    a heatmap of one head, however telling, is a hypothesis, to be tested against gradients,
    counterfactual attention, value norms and ablation, as above.
    """,
}
STUDIED = "23.5<!--=studied-->"
LAYERNUM = "23<!--=layer-->"

CELLS = [
    md("""
    # 2. Attention is not explanation

    **You will learn** to test whether attention weights explain a prediction, with the experiments
    of Jain & Wallace (2019) run live on a pretrained model: agreement with gradient,
    integrated-gradient and leave-one-out importance (Kendall τ); permuted attention; adversarial
    attention; and two reasons raw weights mislead: the value vectors they multiply, and how small
    one head is within its layer.

    **Time:** about 30 minutes to work through; Run All takes under a minute (32 s in a fresh
    clone's test run on the 2-core development machine, kernel start and model load included, more
    on a busy machine); the slow cells show a progress bar.

    **Model:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, card in
    `models/smollm2-135m/README.md`): 30 layers of 9 query heads. The prompts are facts it knows
    (from the card's `facts.json`), with `<|endoftext|>` first as in its training documents. The
    "attention" studied is one head's attention from the **last** token over the prompt; the output
    is the model's next-token distribution there. Every number the text below states is checked
    against the cells' output by the notebook test.
    """),
    code("""
    import { loadModel, attributions, kendallTauB, permutationTest, adversarialAttention, ablate, actName, figure, progressBar, quiz, checklistQuestion } from "attnlab";
    import * as tf from "@tensorflow/tfjs";

    const model = await loadModel("smollm2-135m");
    const { nLayers, nHeads } = model.config;
    const nKV = model.config.nKVHeads ?? nHeads;
    // Two facts of models/smollm2-135m/facts.json; each prompt starts with its subject.
    const FACTS = [
      { prompt: "<|endoftext|>The Eiffel Tower is located in the city of", subject: "The Eiffel Tower", answer: " Paris" },
      { prompt: "<|endoftext|>The Colosseum is located in the city of", subject: "The Colosseum", answer: " Rome" },
    ];
    const IG_STEPS = 16; // integrated-gradient steps (midpoint rule)
    const headName = (l: number, h: number) => `${l}.${h}`;
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
    const median = (a: number[]) => { const s = a.filter(Number.isFinite).sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    const tick = () => new Promise((r) => setImmediate(r)); // lets a progress bar's update reach the page
    console.log(`SmolLM2-135M: ${nLayers} layers × ${nHeads} query heads (${nKV} key/value heads per layer)`);
    """),
    md("""
    ## 1. Where does the model look when it recalls a fact?

    For each fact, one forward pass keeps every head's attention from the last token. The head
    that puts the most attention on the **subject** (the tokens of "The Eiffel Tower") is the one a
    heatmap reader would call "the head that looks up the fact". We study it below.
    """),
    code("""
    // rows[f][l][h]: head l.h's attention from the last token of fact f, [pos].
    const names = Array.from({ length: nLayers }, (_, l) => actName("pattern", l));
    const rows: number[][][][] = [];
    const toks: string[][] = [];
    for (const f of FACTS) {
      const { logits, cache } = model.runWithCache(f.prompt, { names });
      const P = logits.shape[1];
      rows.push(names.map((n) => cache.get(n).slice([0, 0, P - 1, 0], [1, nHeads, 1, P]).reshape([nHeads, P]).arraySync() as number[][]));
      toks.push(model.toStrTokens(f.prompt));
      logits.dispose(); cache.dispose();
    }
    // Subject tokens: the prompt starts with <|endoftext|> and then the subject.
    const subjectEnd = FACTS.map((f) => model.toStrTokens("<|endoftext|>" + f.subject).length); // one past the last subject token
    const onSubject = (f: number, l: number, h: number) => rows[f][l][h].slice(1, subjectEnd[f]).reduce((a, b) => a + b, 0);
    let best = [0, 0];
    for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++) if (onSubject(0, l, h) > onSubject(0, best[0], best[1])) best = [l, h];
    const [LAYER, HEAD] = best;
    const studied = headName(LAYER, HEAD);
    console.log(`subject tokens of fact 0: ${JSON.stringify(toks[0].slice(1, subjectEnd[0]))}`);
    console.log(`head ${studied} puts ${fmt(onSubject(0, LAYER, HEAD))} of its last-token attention on them (fact 1: ${fmt(onSubject(1, LAYER, HEAD))})`);
    """),
    md("""
    Head 23.5<!--=studied--> puts 0.933<!--=onSubject[0]--> of its last-token attention on the subject
    (0.972<!--=onSubject[1]--> on the Colosseum fact). It sits in layer 23<!--=layer-->, where the model
    card's causal tracing finds attention carrying the fact to the last token.

    ## 2. Does attention agree with other importance measures?

    If attention explained the prediction, tokens with high attention should also be the ones that
    matter by other measures of importance for the predicted token:

    * **grad × input**: how much its probability changes with each token's embedding, every
      attention pattern held fixed (as in the paper);
    * **integrated gradients** from a zero embedding;
    * **leave-one-out**: how much the output distribution changes (TVD) when the token is deleted;

    and the Kendall τ rank correlation of each with attention (first and last tokens excluded).
    These measures are about the whole model's output, so they do not depend on the head: one
    set of backward passes on the first fact serves all 270 heads. This is the slow cell.
    """),
    code("""
    const bar = progressBar("gradients, integrated gradients and leave-one-out");
    bar({ done: 0, total: 1, etaSeconds: null });
    await tick();
    const a0 = attributions(model, FACTS[0].prompt, { layer: LAYER, head: HEAD, steps: IG_STEPS });
    bar({ done: 1, total: 1, etaSeconds: null });
    const igSum = a0.raw.integratedGradients.reduce((x, y) => x + y, 0);
    console.log(`predicts "${a0.predicted.token}" (p = ${fmt(a0.predicted.prob)}); Σ IG = ${fmt(igSum)} (it approaches p minus p at the zero baseline as IG_STEPS grows)`);
    figure({ view: "attribution", title: `Head ${studied}: attention vs importance`, tokens: a0.tokens,
      attention: { data: a0.attention, shape: [a0.tokens.length] },
      measures: [
        { name: "grad × input", values: { data: a0.gradInput, shape: [a0.tokens.length] } },
        { name: "integrated gradients", values: { data: a0.integratedGradients, shape: [a0.tokens.length] } },
        { name: "leave-one-out", values: { data: a0.leaveOneOut, shape: [a0.tokens.length] } }],
      tau: { "grad × input": a0.kendall.gradInput, "integrated gradients": a0.kendall.integratedGradients, "leave-one-out": a0.kendall.leaveOneOut },
      tauNote: "first and last tokens excluded", target: `prediction: "${a0.predicted.token}"` })
    """),
    md("""
    One head proves nothing either way. The same τ for every head of the model:
    """),
    code("""
    type Measure = "gradInput" | "integratedGradients" | "leaveOneOut";
    const MEASURES: Measure[] = ["gradInput", "integratedGradients", "leaveOneOut"];
    const inner = (v: ArrayLike<number>) => Array.from(v).slice(1, -1);
    const taus: Record<Measure, number[]> = { gradInput: [], integratedGradients: [], leaveOneOut: [] };
    for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++)
      for (const m of MEASURES) taus[m].push(kendallTauB(inner(rows[0][l][h]), inner(a0[m])));
    const tauSummary = Object.fromEntries(MEASURES.map((m) => {
      const v = taus[m].filter(Number.isFinite);
      return [m, { median: +median(v).toFixed(3), above05: +(v.filter((x) => x > 0.5).length / v.length).toFixed(3), cases: v.length }];
    })) as Record<Measure, { median: number; above05: number; cases: number }>;
    console.table(Object.fromEntries(MEASURES.map((m) => [m, { "median τ": fmt(tauSummary[m].median), "share of cases with τ > 0.5": fmt(tauSummary[m].above05), "heads": tauSummary[m].cases }])));
    const studiedTau = Object.fromEntries(MEASURES.map((m) => [m, +a0.kendall[m].toFixed(3)])) as Record<Measure, number>;
    console.log(`head ${studied}: τ ` + MEASURES.map((m) => `${m} ${fmt(studiedTau[m])}`).join(", "));
    """),
    md("""
    @RESULTS_TAU@

    Weak agreement alone does not show attention is wrong (the other measures have their own
    problems), so Jain & Wallace ran a second test: if attention is the explanation, a *different*
    attention should give a *different* output.

    ## 3. Permuting attention

    Shuffle a head's attention weights over the tokens (50 random permutations) and measure how
    far the output distribution moves (total variation distance, TVD). Two heads of the studied
    layer: the studied head, and the layer's most peaked head (the largest single weight).
    """),
    code("""
    const PERMUTATIONS = 50;
    const perm: { head: string; maxAttention: number; argmax: string; medianTvd: number }[] = [];
    const peakedHead = rows[0][LAYER].reduce((b, r, h) => (Math.max(...r) > Math.max(...rows[0][LAYER][b]) ? h : b), 0);
    const PERM_HEADS = peakedHead === HEAD ? [HEAD] : [HEAD, peakedHead];
    const pbar = progressBar(`permuting attention in layer ${LAYER}`);
    for (const [i, h] of PERM_HEADS.entries()) {
      pbar({ done: i, total: PERM_HEADS.length, etaSeconds: null });
      await tick();
      const r = await permutationTest(model, FACTS[0].prompt, { layer: LAYER, head: h, permutations: PERMUTATIONS, seed: 0 });
      const j = r.attention.indexOf(r.maxAttention);
      perm.push({ head: headName(LAYER, h), maxAttention: +r.maxAttention.toFixed(3), argmax: r.tokens[j], medianTvd: +r.medianTvd.toFixed(3) });
    }
    pbar({ done: PERM_HEADS.length, total: PERM_HEADS.length, etaSeconds: null });
    console.table(perm.map((p) => ({ head: p.head, "largest weight": fmt(p.maxAttention), "on token": JSON.stringify(p.argmax), "median output TVD after permutation": fmt(p.medianTvd) })));
    """),
    md("""
    @RESULTS_PERM@

    ## 4. Adversarial attention

    Search (Adam, k = 3<!--given--> candidates) for attention distributions of head @STUDIED@ as
    **different** as possible from the real one (large Jensen–Shannon divergence, at most
    ln 2 ≈ 0.693<!--given-->) whose output stays within TVD ε = 0.01<!--given--> of the real output.
    """),
    code("""
    const ADV_STEPS = @ADV_STEPS@; // the progress bar below moves once per step
    const adv = await adversarialAttention(model, FACTS[0].prompt, { layer: LAYER, head: HEAD, k: 3, steps: ADV_STEPS, learningRate: 0.2, seed: 0 });
    console.log(`head ${studied}: largest JSD from the real attention with output TVD ≤ ${adv.settings.epsilon}: ${adv.maxJsdWithinEpsilon === null ? "none found" : fmt(adv.maxJsdWithinEpsilon)} (max possible ${fmt(Math.log(2))})`);
    const P0 = adv.tokens.length;
    console.table(Object.fromEntries([["real", Array.from(adv.attention)], ...Array.from({ length: 3 }, (_, i) => [`candidate ${i} (JSD ${fmt(adv.jsd[i])}, TVD ${fmt(adv.outputTvd[i])})`, Array.from(adv.candidates.subarray(i * P0, (i + 1) * P0))])]
      .map(([k, v]) => [k as string, Object.fromEntries(adv.tokens.map((t, j) => [JSON.stringify(t), (v as number[])[j].toFixed(2)]))])));
    """),
    md("""
    @RESULTS_ADV@

    ## 5. Attention × value: what a weight actually moves

    A head's output is Σ_j α_j · v_j W_O. A large weight on a token whose value vector is tiny
    moves almost nothing. Compare each token's share of attention with its share of
    ‖α_j v_j W_O‖ (Kobayashi et al. 2020) for every head on the first fact, and look closely at the
    head where attention on the first token (`<|endoftext|>`, the sink of notebook 1) most
    overstates what the head moves from there.
    With grouped-query attention, query head *h* reads value head ⌊*h*·3/9⌋.
    """),
    code("""
    const vNames = Array.from({ length: nLayers }, (_, l) => actName("v", l));
    const { logits: lg, cache: vc } = model.runWithCache(FACTS[0].prompt, { names: vNames });
    const n0 = lg.shape[1];
    // normShare[l][h][j]: token j's share of ‖α_j v_j W_O‖ for head l.h at the last token.
    const normShare: number[][][] = [];
    for (let l = 0; l < nLayers; l++) normShare.push(tf.tidy(() => {
      const v = vc.get(vNames[l]).squeeze([0]).transpose([1, 0, 2]); // [kvHead, key, e]
      const vq = tf.gather(v, Array.from({ length: nHeads }, (_, h) => Math.floor(h * nKV / nHeads))) as tf.Tensor3D; // [H, key, e]
      const out = tf.matMul(vq, model.weights.blocks[l].W_O); // [H, key, d]: what each key would write
      const w = out.norm("euclidean", -1).mul(tf.tensor2d(rows[0][l])); // ‖α_j v_j W_O‖ [H, key]
      return w.div(w.sum(-1, true)).arraySync() as number[][];
    }));
    lg.dispose(); vc.dispose();
    // The head whose attention on the first token most overstates what it moves from there (among heads with more than half their attention there).
    const gap = (l: number, h: number) => (rows[0][l][h][0] > 0.5 ? rows[0][l][h][0] - normShare[l][h][0] : -1);
    let sink = [0, 0];
    for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++) if (gap(l, h) > gap(sink[0], sink[1])) sink = [l, h];
    const sinkHead = headName(sink[0], sink[1]);
    console.log(`head ${sinkHead} puts ${fmt(rows[0][sink[0]][sink[1]][0])} of its attention on the first token "${toks[0][0]}"`);
    console.table(toks[0].map((t, j) => ({ token: JSON.stringify(t), attention: fmt(rows[0][sink[0]][sink[1]][j]), "share of ‖α·v·W_O‖": fmt(normShare[sink[0]][sink[1]][j]) })));
    // Every head that puts more than half its attention on the first token:
    const sinkHeads: { head: string; attention: number; normShare: number }[] = [];
    for (let l = 0; l < nLayers; l++) for (let h = 0; h < nHeads; h++)
      if (rows[0][l][h][0] > 0.5) sinkHeads.push({ head: headName(l, h), attention: rows[0][l][h][0], normShare: normShare[l][h][0] });
    const sinkSummary = { heads: sinkHeads.length, medianAttention: +median(sinkHeads.map((s) => s.attention)).toFixed(3),
      medianNormShare: +median(sinkHeads.map((s) => s.normShare)).toFixed(3), smaller: sinkHeads.filter((s) => s.normShare < s.attention).length };
    console.log(`${sinkSummary.heads} heads put more than half their attention on the first token; median attention there ${fmt(sinkSummary.medianAttention)}, median share of what they move ${fmt(sinkSummary.medianNormShare)}; ${sinkSummary.smaller} of them move less than their attention share suggests`);
    """),
    md("""
    @RESULTS_NORM@

    ## 6. One head is a small part of its layer

    Even a faithful attention map would describe one head, and a layer adds up all its heads (and
    an MLP after them). Ablate (zero) each head of layer @LAYERNUM@, then the whole attention layer, and
    compare how far the output moves (mean KL over positions).
    """),
    code("""
    const targets = [...Array.from({ length: nHeads }, (_, h) => ({ type: "head" as const, layer: LAYER, head: h })), { type: "attn" as const, layer: LAYER }];
    const abl = await ablate(model, FACTS[0].prompt, targets, { measure: "kl" });
    const layerKl = abl.effects[nHeads];
    const klFraction: Record<string, number> = {};
    for (let h = 0; h < nHeads; h++) klFraction[headName(LAYER, h)] = +(abl.effects[h] / layerKl).toFixed(3);
    console.table(Array.from({ length: nHeads }, (_, h) => ({ head: headName(LAYER, h), "KL when ablated": fmt(abl.effects[h]), "fraction of the whole layer's KL": fmt(klFraction[headName(LAYER, h)]) })));
    console.log(`whole attention layer ${LAYER} ablated: KL ${fmt(layerKl)}`);
    """),
    md("""
    @RESULTS_ABL@

    ## 7. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 2: attention is not explanation", questions: [
      checklistQuestion("jain-wallace"),
      { kind: "short", id: "jw-correlation", placeholder: "a statistic",
        prompt: "Which rank correlation compares attention with the other importance measures?",
        accept: [/kendall/i, /^tau$/i, /^τ$/],
        misconceptions: [{ match: /pearson/i, message: "the comparison is between rankings of tokens, so a rank correlation is used." }],
        explanation: "Kendall's τ, computed without the first and last tokens." },
      { kind: "choice", id: "jw-value", prompt: "A head puts 0.8 of its attention on the first token, but that token's share of ‖α·v·W_O‖ is 0.05. What follows?",
        choices: ["The first token is the most important input for this head's output.",
                  "The head's output barely depends on the first token: the weight multiplies a small vector, so the attention map overstates it.",
                  "The computation is wrong: shares of attention and of output must be equal."],
        answer: 1, why: ["the weight is large, but what it multiplies is small: little of the output comes from there.", undefined, "they differ whenever value vectors differ in size; that is the point of the comparison."],
        explanation: "Attention weights multiply value vectors; a large weight on a small value vector (a typical sink) contributes little. Reading weights alone overstates such tokens." },
    ] });
    q
    """),
    code("""
    // Exercise: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("jain-wallace", 1);
    await q.answer("jw-correlation", "Kendall's tau");
    await q.answer("jw-value", 1);
    q.progress
    """, tags=["solution"]),
    md("""
    ## What we found

    The summary below recomputes the findings from the runs above (it does not use your answers);
    the notebook test checks every marked sentence of this notebook against it.
    """),
    code("""
    {
      const byHead = Object.fromEntries(perm.map((p) => [p.head, p]));
      const peaked = perm.reduce((b, p) => (p.maxAttention > b.maxAttention ? p : b), perm[0]);
      const finding = {
        studied, layer: LAYER,
        predicted: a0.predicted.token, pPredicted: +a0.predicted.prob.toFixed(3), answer: FACTS[0].answer,
        igSum: +igSum.toFixed(3),
        onSubject: FACTS.map((_, f) => +onSubject(f, LAYER, HEAD).toFixed(3)),
        tau: tauSummary, studiedTau,
        permutation: byHead, peaked: peaked.head, peakedMax: peaked.maxAttention, peakedTvd: peaked.medianTvd,
        studiedPerm: byHead[studied],
        adversarial: { maxJsdWithinEpsilon: adv.maxJsdWithinEpsilon === null ? null : +adv.maxJsdWithinEpsilon.toFixed(3),
          jsd: Array.from(adv.jsd, (x) => +x.toFixed(3)), outputTvd: Array.from(adv.outputTvd, (x) => +x.toFixed(4)) },
        sinkHead, sinkAttention: +rows[0][sink[0]][sink[1]][0].toFixed(3), sinkNormShare: +normShare[sink[0]][sink[1]][0].toFixed(3),
        // the token that gets the largest share of what the sink head moves
        sinkTop: (() => { const r = normShare[sink[0]][sink[1]]; const j = r.indexOf(Math.max(...r)); return { token: toks[0][j], attention: +rows[0][sink[0]][sink[1]][j].toFixed(3), normShare: +r[j].toFixed(3) }; })(),
        sinkHeads: sinkSummary,
        klFraction, layerKl: +layerKl.toFixed(3), studiedKlFraction: klFraction[studied],
        topKl: Object.keys(klFraction).reduce((b, h) => (klFraction[h] > klFraction[b] ? h : b)),
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]

# The measured results and settings go into the cells' text (see RESULTS above).
for _c in CELLS:
    _c["source"] = _c["source"].replace("@ADV_STEPS@", str(ADV_STEPS)).replace("@STUDIED@", STUDIED).replace("@LAYERNUM@", LAYERNUM)
    for _k, _v in RESULTS.items():
        _c["source"] = _c["source"].replace(f"@RESULTS_{_k}@", textwrap.dedent(_v).strip("\n"))

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", "<|endoftext|>The Eiffel Tower is located in the city of")
