from nbgen import code, md

NAME = "03-induction-heads"
REQUIRES = ["attn-only-2l"]

CELLS = [
    md("""
    # 3. Induction heads in a two-layer attention-only model

    **You will learn** how a two-layer circuit copies what came after an earlier occurrence of the
    current token: a *previous-token head* in layer 0, an *induction head* in layer 1 that reads it
    through **K-composition**, and how to tell a pattern (a hypothesis) from an ablation (evidence).

    **Time:** about 25 minutes to work through; Run All takes well under a minute.

    **Model:** `attn-only-2l`, two layers of attention and no MLPs, trained on Brown-corpus text and
    on random token segments followed by their repeat (see `models/attn-only-2l/README.md`).

    Plan: (1) watch the model learn in context, (2) look at attention patterns, (3) score every
    head, (4) measure K-composition, (5) ablate each head, (6) check yourself.
    """),
    code("""
    import { loadModel, inductionScores, attentionPattern, headScores, kComposition, repeatedRandomTokens,
             createModel, figure, quiz, checklistQuestion, headRoleCheck, headAblationLosses } from "attnlab";

    const model = await loadModel("attn-only-2l");
    const { nLayers, nHeads, dVocab } = model.config;
    const BOS = model.tokenizer?.specialIds.bos ?? 0;
    // Heads are named "layer.head", e.g. "1.2" is head 2 of layer 1.
    const headName = (i: number) => `${Math.floor(i / nHeads)}.${i % nHeads}`;
    const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    console.log(`attn-only-2l: ${nLayers} layers × ${nHeads} heads, d_model ${model.config.dModel}, vocabulary ${dVocab}, attention only: ${model.config.attnOnly}`);
    """),
    md("""
    ## 1. In-context learning on repeated random tokens

    Random tokens cannot be predicted from language statistics: the loss on them should be near
    chance, ln(vocabulary). But if a random block is **repeated**, a model with induction heads can
    predict the second copy by looking back at the first. `inductionScores` builds rows of
    `[BOS] + block + block` and measures the loss on each half.
    """),
    code("""
    const ind = inductionScores(model, { seqLen: 40, batch: 8, seed: 0, bos: BOS });
    console.log(`chance (uniform over the vocabulary): ${Math.log(dVocab).toFixed(2)} nats`);
    console.log(`loss on the first, random block:     ${ind.lossFirstBlock.toFixed(2)} nats`);
    console.log(`loss on the repeated block:          ${ind.lossRepeats.toFixed(2)} nats`);
    // Loss by position, averaged over 10-token windows: it falls as soon as the repeat starts (position 41).
    const win = 10;
    for (let s = 0; s + win <= ind.lossByPosition.length; s += win) {
      const m = ind.lossByPosition.slice(s, s + win).reduce((a, b) => a + b, 0) / win;
      console.log(`positions ${String(s + 1).padStart(2)}–${String(s + win).padStart(2)}: ${m.toFixed(2)} ${"█".repeat(Math.round(m * 3))}`);
    }
    """),
    md("""
    ## 2. What the heads look at

    One short repeated sequence (12 random tokens, twice). In layer 0, look for a head whose
    attention sits on the **sub-diagonal** (each token looks at the one before it). In layer 1,
    look for a **stripe 11 tokens below the diagonal** in the second half: each repeated token
    looks at the token *after* its earlier occurrence. Use the head selector in the figure.
    """),
    code("""
    const short = repeatedRandomTokens(dVocab, { seqLen: 12, seed: 1, bos: BOS }).ids[0];
    figure(attentionPattern(model, short, { layer: 0 }))
    """),
    code("""
    figure(attentionPattern(model, short, { layer: 1 }))
    """),
    md("""
    ## 3. Scoring every head

    Looking is a start; scores make it systematic. *Prefix matching* is the mean attention from each
    repeated token to the token after its earlier occurrence; *copying* asks whether the head's OV
    circuit raises the logit of the token it attends to. `headScores` adds TransformerLens's
    `detect_head` scores (previous-token, induction) and the first-token sink.
    """),
    code("""
    figure(ind, { title: "Induction scores on repeated random tokens" })
    """),
    code("""
    const det = headScores(model, ind.ids.slice(0, 4), { detectors: ["previous_token", "induction"] });
    figure(det, { title: "detect_head scores (4 repeated sequences)" })
    """),
    md("""
    **Exercise 1.** From the two grids, which head is the previous-token head and which is the
    induction head? Write code that finds them (don't just read the picture).
    """),
    code("""
    // Exercise 1: find the previous-token head (layer 0) and the induction head (layer 1) from the scores.
    const prevHead = headName(argmax(det.scores.previous_token.slice(0, nHeads)));
    const inductionHead = headName(nHeads + argmax(ind.prefixMatching.slice(nHeads, 2 * nHeads)));
    console.log(`previous-token head: ${prevHead}; induction head: ${inductionHead}`);
    """, tags=["solution"]),
    md("""
    ## 4. K-composition: does the induction head read the previous-token head?

    A layer-1 head can use a layer-0 head's output in its queries (Q-composition), keys
    (K-composition) or values (V-composition). For K-composition of head A (layer 0) into head B
    (layer 1) Elhage et al. (2021) measure

    $$\\frac{\\lVert W_{QK}^B \\, W_{OV}^A \\rVert_F}{\\lVert W_{QK}^B \\rVert_F \\; \\lVert W_{OV}^A \\rVert_F}$$

    It is close to a small baseline for unrelated matrices. Below: rows are layer-1 heads, columns
    layer-0 heads, for the trained model and for the same architecture with random weights.
    """),
    code("""
    const kc = kComposition(model);
    const kTable = (scores: Float32Array) => {
      const t: Record<string, Record<string, string>> = {};
      for (let hb = 0; hb < nHeads; hb++) {
        const row: Record<string, string> = {};
        for (let ha = 0; ha < nHeads; ha++) row[`from 0.${ha}`] = scores[((0 * nHeads + ha) * nLayers + 1) * nHeads + hb].toFixed(3);
        t[`head 1.${hb}`] = row;
      }
      return t;
    };
    console.log("K-composition, trained model:");
    console.table(kTable(kc.scores));
    const untrained = createModel({ ...model.config }, { seed: 0 });
    console.log("K-composition, same architecture with random weights (baseline):");
    console.table(kTable(kComposition(untrained).scores));
    untrained.dispose();
    """),
    md("""
    Read the row of the induction head: its largest entry should be in the column of the
    previous-token head, well above the random baseline. That is the circuit in the weights.

    ## 5. Ablation: the evidence

    Patterns and weight scores are **hypotheses** about what the model uses. To test them, remove a
    head (set its output `hook_z` to zero) and measure what breaks. `headAblationLosses` ablates
    each head in turn and measures the loss on the repeated half.
    """),
    code("""
    const abl = headAblationLosses(model, { seqLen: 40, batch: 4, seed: 2, bos: BOS });
    const rise = abl.ablated.map((x) => x - abl.base);
    console.log(`loss on the repeats with nothing ablated: ${abl.base.toFixed(3)} nats`);
    console.table(Object.fromEntries(Array.from(rise, (r, i) => [headName(i), {
      "loss rise (nats)": r.toFixed(3), "prefix matching": abl.prefixMatching[i].toFixed(3), "previous-token attention": abl.previousToken[i].toFixed(3) }])));
    figure({ view: "headscores", title: "What ablating each head costs", scores: {
      "loss rise when ablated (nats)": { data: rise, shape: abl.shape },
      "prefix matching": { data: abl.prefixMatching, shape: abl.shape },
      "previous-token": { data: abl.previousToken, shape: abl.shape } } })
    """),
    md("""
    In layer 1, one head stands out: the induction head. In layer 0, the previous-token head costs
    the most, although its own pattern says nothing about repeats: the circuit needs both layers.
    Other layer-0 heads cost something too, because everything layer 1 reads comes through them
    (ablation measures all the ways a head is used, not only the one we have a story for). A head
    with a striking pattern that costs nothing when ablated would be a hypothesis the evidence
    rejects.

    ## 6. Check yourself

    The two show-me questions are checked by the kernel: it reads the named head's pattern and
    ablates it, and tells you what happened.
    """),
    code("""
    const q = quiz({ title: "Notebook 3: induction heads", questions: [
      { kind: "showme", id: "previous-token-head", placeholder: "layer.head",
        prompt: "Which head is the previous-token head? The kernel checks its pattern and ablates it.",
        explanation: "The previous-token head moves each token's identity one position forward, so the induction head's keys can ask 'was the token before you the same as me?'.",
        check: headRoleCheck(model, { role: "previous-token", bos: BOS, seqLen: 40, batch: 4 }) },
      { kind: "showme", id: "induction-head", placeholder: "layer.head",
        prompt: "Which head is the induction head? The kernel checks its pattern and ablates it.",
        explanation: "The induction head attends from a repeated token to the token after its earlier occurrence and copies it; ablating it removes most of the in-context advantage.",
        check: headRoleCheck(model, { role: "induction", bos: BOS, seqLen: 40, batch: 4 }) },
      { kind: "short", id: "composition", placeholder: "one term",
        prompt: "The induction head's keys are built from the previous-token head's output. What is this kind of composition called?",
        accept: [/^k[- ]?composition$/i, /^key[- ]composition$/i],
        misconceptions: [
          { match: /q[- ]?composition|query/i, message: "the previous-token information enters where the head looks from its keys, not its query." },
          { match: /v[- ]?composition|value/i, message: "the values copy the attended token; the layer-0 information decides where to attend (keys)." }],
        explanation: "K-composition: W_K of the layer-1 head reads the subspace W_OV of the layer-0 head writes into." },
      checklistQuestion("induction"),
    ] });
    q
    """),
    code("""
    // Exercise 2: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("previous-token-head", prevHead);
    await q.answer("induction-head", inductionHead);
    await q.answer("composition", "K-composition");
    await q.answer("induction", 1);
    q.progress
    """, tags=["solution"]),
    md("""
    ## What we found

    The summary below recomputes the circuit from the scores and the ablation grid (it does not
    use your answers).
    """),
    code("""
    {
      const prev = argmax(abl.previousToken.slice(0, nHeads));
      const indIdx = nHeads + argmax(abl.prefixMatching.slice(nHeads));
      const kFromPrev = kc.scores[((0 * nHeads + prev) * nLayers + 1) * nHeads + (indIdx - nHeads)];
      const finding = {
        previousTokenHead: headName(prev), inductionHead: headName(indIdx),
        lossFirstBlock: +ind.lossFirstBlock.toFixed(3), lossRepeats: +ind.lossRepeats.toFixed(3),
        ablationRise: { previousTokenHead: +rise[prev].toFixed(3), inductionHead: +rise[indIdx].toFixed(3),
                        largestOtherLayer0: +Math.max(...Array.from(rise.slice(0, nHeads)).filter((_, i) => i !== prev)).toFixed(3),
                        largestOtherLayer1: +Math.max(...Array.from(rise.slice(nHeads)).filter((_, i) => nHeads + i !== indIdx)).toFixed(3) },
        kCompositionFromPreviousTokenHead: +kFromPrev.toFixed(3),
        kCompositionFromOtherLayer0Heads: Array.from({ length: nHeads }, (_, ha) => ha).filter((ha) => ha !== prev)
          .map((ha) => +kc.scores[((0 * nHeads + ha) * nLayers + 1) * nHeads + (indIdx - nHeads)].toFixed(3)),
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]
