from nbgen import code, md, playground

NAME = "02-attention-is-not-explanation"
REQUIRES = ["brown-gpt"]

CELLS = [
    md("""
    # 2. Attention is not explanation

    **You will learn** to test whether attention weights explain a prediction, with the experiments
    of Jain & Wallace (2019) run live: agreement with gradient, integrated-gradient and
    leave-one-out importance (Kendall τ); permuted attention; adversarial attention; and two
    reasons raw weights mislead: the value vectors they multiply, and how small one head is
    within its layer.

    **Time:** about 30 minutes to work through; Run All takes a minute or two.

    **Model:** `brown-gpt`, a 4-layer GPT-2 trained on the Brown corpus. The "attention" studied
    is one head's attention from the **last** token over the prompt; the output is the model's
    next-token distribution there.
    """),
    code("""
    import { loadModel, attributions, permutationTest, adversarialAttention, ablate, actName, figure, quiz, checklistQuestion } from "attnlab";
    import * as tf from "@tensorflow/tfjs";

    const model = await loadModel("brown-gpt");
    const { nLayers, nHeads } = model.config;
    const LAYER = nLayers - 1; // the last layer: closest to the output
    // The models were trained with <|endoftext|> (BOS) at the start of every row: keep it.
    const prompts = [
      "<|endoftext|>The jury said that the city would have to pay for the new school",
      "<|endoftext|>He walked into the room and looked at the old man sitting by the",
      "<|endoftext|>The committee will meet again next week to discuss the",
      "<|endoftext|>She told her mother that she would be home before the",
    ];
    const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));
    const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
    console.log(`brown-gpt: ${nLayers} layers × ${nHeads} heads; studying layer ${LAYER}`);
    """),
    md("""
    ## 1. Does attention agree with other importance measures?

    If attention explained the prediction, tokens with high attention should also be the ones
    that matter by other measures. For one prompt and one head we compute

    * **grad × input**: how much the predicted token's probability changes with each token's
      embedding, attention held fixed (as in the paper);
    * **integrated gradients** from a zero embedding;
    * **leave-one-out**: how much the output distribution changes (TVD) when the token is deleted;

    and the Kendall τ rank correlation of each with attention (first and last tokens excluded).
    """),
    code("""
    const a0 = attributions(model, prompts[0], { layer: LAYER, head: 0, steps: 16 });
    console.log(`predicted next token: "${a0.predicted.token}" (p = ${fmt(a0.predicted.prob)})`);
    figure({ view: "attribution", title: `Layer ${LAYER}, head 0: attention vs importance`, tokens: a0.tokens,
      attention: { data: a0.attention, shape: [a0.tokens.length] },
      measures: [
        { name: "grad × input", values: { data: a0.gradInput, shape: [a0.tokens.length] } },
        { name: "integrated gradients", values: { data: a0.integratedGradients, shape: [a0.tokens.length] } },
        { name: "leave-one-out", values: { data: a0.leaveOneOut, shape: [a0.tokens.length] } }],
      tau: { "grad × input": a0.kendall.gradInput, "integrated gradients": a0.kendall.integratedGradients, "leave-one-out": a0.kendall.leaveOneOut },
      tauNote: "first and last tokens excluded", target: `prediction: "${a0.predicted.token}"` })
    """),
    md("""
    One head and one prompt prove nothing. Repeat for every head of the layer and every prompt,
    and look at the distribution of τ.
    """),
    code("""
    const taus = { gradInput: [] as number[], integratedGradients: [] as number[], leaveOneOut: [] as number[] };
    for (const p of prompts) for (let h = 0; h < nHeads; h++) {
      const r = attributions(model, p, { layer: LAYER, head: h, steps: 16 });
      for (const k of Object.keys(taus) as (keyof typeof taus)[]) if (Number.isFinite(r.kendall[k])) taus[k].push(r.kendall[k]);
    }
    console.table(Object.fromEntries(Object.entries(taus).map(([k, v]) => [k, {
      "median τ": fmt(median(v)), "min τ": fmt(Math.min(...v)), "max τ": fmt(Math.max(...v)), "cases": v.length }])));
    """),
    md("""
    Jain & Wallace found such correlations weak in most cases. Weak agreement alone does not show
    attention is wrong (the other measures have their own problems), so they ran a second test:
    if attention is the explanation, a *different* attention should give a *different* output.

    ## 2. Permuting attention

    Shuffle the head's attention weights over the tokens (100 random permutations) and measure
    how far the output distribution moves (total variation distance, TVD). Compare with how
    peaked the attention was (its maximum weight).
    """),
    code("""
    const perm: { head: string; maxAttention: number; medianTvd: number }[] = [];
    for (let h = 0; h < nHeads; h++) {
      const r = await permutationTest(model, prompts[0], { layer: LAYER, head: h, permutations: 100, seed: 0 });
      perm.push({ head: `${LAYER}.${h}`, maxAttention: r.maxAttention, medianTvd: r.medianTvd });
    }
    console.table(perm.map((p) => ({ head: p.head, "max attention": fmt(p.maxAttention), "median output TVD after permutation": fmt(p.medianTvd) })));
    """),
    md("""
    Heads whose attention is peaked (max ≥ 0.5) but whose permutation barely moves the output
    are the paper's point: the particular weights did not matter for this prediction.

    ## 3. Adversarial attention

    Search (Adam, k = 5 candidates) for attention distributions as **different** as possible
    from the real one (large Jensen–Shannon divergence, at most ln 2 ≈ 0.693) whose output stays
    within TVD ε = 0.01 of the real output.
    """),
    code("""
    const peaked = perm.reduce((b, p, i) => (p.maxAttention > perm[b].maxAttention ? i : b), 0);
    const adv = await adversarialAttention(model, prompts[0], { layer: LAYER, head: peaked, k: 5, steps: 100, seed: 0 });
    console.log(`head ${LAYER}.${peaked}: largest JSD from the real attention with output TVD ≤ ${adv.settings.epsilon}: ${adv.maxJsdWithinEpsilon === null ? "none found" : fmt(adv.maxJsdWithinEpsilon)} (max possible ${fmt(Math.log(2))})`);
    console.table(Array.from(adv.jsd, (j, i) => ({ candidate: i, "JSD from real attention": fmt(j), "output TVD": fmt(adv.outputTvd[i]) })));
    """),
    md("""
    ## 4. Attention × value: what a weight actually moves

    A head's output is Σ_j α_j · v_j W_O. A large weight on a token whose value vector is tiny
    moves almost nothing. Compare each token's share of attention with its share of
    ‖α_j v_j W_O‖ (Kobayashi et al. 2020) for the head that puts most attention on the first token.
    """),
    code("""
    const { logits: lg, cache } = model.runWithCache(prompts[0], { names: [actName("pattern", LAYER), actName("v", LAYER)] });
    const n = lg.shape[1];
    const [attnRows, normRows] = tf.tidy(() => {
      const pat = cache.get(actName("pattern", LAYER)).squeeze([0]) as tf.Tensor3D; // [H, q, k]
      const last = pat.slice([0, n - 1, 0], [-1, 1, -1]).squeeze([1]); // [H, k]
      const v = cache.get(actName("v", LAYER)).squeeze([0]).transpose([1, 0, 2]) as tf.Tensor3D; // [H, k, e]
      const out = tf.matMul(v, model.weights.blocks[LAYER].W_O); // [H, k, d]: what each key would write
      const weighted = out.norm("euclidean", -1).mul(last); // ‖α_j v_j W_O‖ [H, k]
      return [last.arraySync() as number[][], weighted.div(weighted.sum(-1, true)).arraySync() as number[][]];
    });
    lg.dispose(); cache.dispose();
    const sinkHead = attnRows.reduce((b, r, h) => (r[0] > attnRows[b][0] ? h : b), 0);
    const toks = model.toStrTokens(prompts[0]);
    console.log(`head ${LAYER}.${sinkHead} puts ${fmt(attnRows[sinkHead][0])} of its attention on the first token "${toks[0]}"`);
    console.table(toks.map((t, j) => ({ token: JSON.stringify(t), attention: fmt(attnRows[sinkHead][j]), "share of ‖α·v·W_O‖": fmt(normRows[sinkHead][j]) })));
    """),
    md("""
    ## 5. One head is a small part of its layer

    Even a faithful attention map would describe one head, and a layer adds up all its heads
    (plus, in GPT-2, an MLP after it). Ablate each head of the layer, then the whole attention
    layer, and compare how far the output moves (mean KL over positions).
    """),
    code("""
    const targets = [...Array.from({ length: nHeads }, (_, h) => ({ type: "head" as const, layer: LAYER, head: h })), { type: "attn" as const, layer: LAYER }];
    const abl = await ablate(model, prompts[0], targets, { measure: "kl" });
    const layerKl = abl.effects[nHeads];
    console.table(Array.from({ length: nHeads }, (_, h) => ({ head: `${LAYER}.${h}`, "KL when ablated": fmt(abl.effects[h]), "fraction of the whole layer's KL": fmt(abl.effects[h] / layerKl) })));
    console.log(`whole attention layer ${LAYER} ablated: KL ${fmt(layerKl)}`);
    """),
    md("""
    ## 6. Check yourself
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
    code("""
    console.log("finding: " + JSON.stringify({
      kendallMedian: Object.fromEntries(Object.entries(taus).map(([k, v]) => [k, +median(v).toFixed(3)])),
      permutation: perm.map((p) => ({ head: p.head, maxAttention: +p.maxAttention.toFixed(3), medianTvd: +p.medianTvd.toFixed(4) })),
      adversarial: { head: `${LAYER}.${peaked}`, maxJsdWithinEpsilon: adv.maxJsdWithinEpsilon },
      sink: { head: `${LAYER}.${sinkHead}`, attention: +attnRows[sinkHead][0].toFixed(3), normShare: +normRows[sinkHead][0].toFixed(3) },
      headKlFractions: Array.from({ length: nHeads }, (_, h) => +(abl.effects[h] / layerKl).toFixed(3)),
    }));
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", "<|endoftext|>The old man walked slowly to the church, and the old man sat down")
