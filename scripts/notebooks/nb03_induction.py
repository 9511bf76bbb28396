from nbgen import code, md

NAME = "03-induction-heads"
REQUIRES = ["smollm2-135m"]
CLAIMS = True

# One setting for every measurement: <|endoftext|> + 24 random tokens (ids 100-49151) twice, one row
# (a forward pass of SmolLM2 costs about a second per 100 tokens on 2 cores; Run All must stay under a minute).
SETTING = "{ seqLen: 24, batch: 1, seed: 0, bos: BOS, range: [100, dVocab] as [number, number] }"

CELLS = [
    md("""
    # 3. Induction heads in SmolLM2-135M

    **You will learn** how a pretrained language model copies what came after an earlier occurrence
    of the current token: *induction heads* that attend to that earlier continuation, a
    *previous-token head* in an earlier layer that they need, heads that share their keys and values
    (grouped-query attention), and how to tell a pattern (a hypothesis) from an ablation (evidence).

    **Time:** about 25 minutes to work through; Run All takes well under a minute.

    **Model:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, card in
    `models/smollm2-135m/README.md`): 30 layers of 9 query heads; each layer has only 3 key/value
    heads, and query head *h* reads key/value head ⌊*h*/3⌋.

    Plan: (1) watch the model learn in context, (2) score every head, (3) look at the patterns,
    (4) see which heads share keys and values, (5) ablate heads and groups of heads, (6) check yourself.
    Every number the text below states is checked against the cells' output by the notebook test.
    """),
    code("""
    import { loadModel, attentionPattern, headAblationLosses, explore, figure, progressBar, quiz, checklistQuestion, headRoleCheck } from "attnlab";

    const model = await loadModel("smollm2-135m");
    const { nLayers, nHeads, dVocab } = model.config;
    const nKV = model.config.nKVHeads ?? nHeads;
    const BOS = 0; // <|endoftext|>, put first as in training documents
    // Heads are named "layer.head", e.g. "18.6" is query head 6 of layer 18.
    const headName = (i: number) => `${Math.floor(i / nHeads)}.${i % nHeads}`;
    const top = (a: ArrayLike<number>, k: number) => Array.from(a, (x, i) => [x, i]).sort((p, q) => q[0] - p[0]).slice(0, k);
    const f2 = (x: number) => x.toFixed(2);
    console.log(`SmolLM2-135M: ${nLayers} layers × ${nHeads} query heads, ${nKV} key/value heads per layer, vocabulary ${dVocab}`);
    """),
    md("""
    **Playground.** Type your own prompt and pick a layer and head: the heatmap, the model's top
    next tokens and the head-score grid follow as you type. It opens on head 18.6<!--=bestInduction-->,
    the strongest induction head this notebook finds, on a sentence with a repeat.
    """),
    code("""
    explore(model, { prompt: "<|endoftext|>Mr and Mrs Dursley, of number four, Privet Drive, were proud to say. Mr and Mrs Dursley", layer: 18, head: 6 })
    """),
    md("""
    ## 1. In-context learning on repeated random tokens

    Random tokens cannot be predicted from language statistics. But if a random block is
    **repeated**, a model with induction heads can predict the second copy by looking back at the
    first. The row below is `<|endoftext|>` followed by 24 random tokens, twice.
    `headAblationLosses` runs it once, keeps every head's attention pattern, and measures the
    loss on each half (later we will also ask it to ablate heads).
    """),
    code(f"""
    const SETTING = {SETTING};
    const run = headAblationLosses(model, {{ ...SETTING, groups: [] }});
    console.log(`chance (uniform over the vocabulary): ${{Math.log(dVocab).toFixed(2)}} nats`);
    console.log(`loss on the first, random block:     ${{f2(run.lossFirstBlock)}} nats`);
    console.log(`loss on the repeated block:          ${{f2(run.base)}} nats`);
    // Loss by position in 6-token windows: it falls as soon as the repeat starts (token 25).
    for (let s = 0; s + 6 <= run.lossByPosition.length; s += 6) {{
      const m = run.lossByPosition.slice(s, s + 6).reduce((a, b) => a + b, 0) / 6;
      console.log(`predicting tokens ${{String(s + 1).padStart(2)}}–${{String(s + 6).padStart(2)}}: ${{m.toFixed(2).padStart(5)}} ${{"█".repeat(Math.round(m * 2))}}`);
    }}
    """),
    md("""
    On the first block the model is near chance or above it (random tokens are surprising);
    on the repeat the loss falls by more than 8 nats<!--claim: lossFirstBlock - lossRepeats > 8-->:
    from 14.25<!--=lossFirstBlock--> to 1.85<!--=lossRepeats--> nats. Something in the model looks back.

    ## 2. Scoring every head

    *Prefix matching* is the mean attention from each repeated token to the token **after** its
    earlier occurrence (the induction stripe). The *previous-token* score is the mean attention from
    each token to the one just before it. Both come from the run above.
    """),
    code("""
    figure({ view: "headscores", title: "SmolLM2-135M on repeated random tokens", scores: {
      "prefix matching (induction)": { data: run.prefixMatching, shape: run.shape },
      "previous-token": { data: run.previousToken, shape: run.shape } } })
    """),
    code("""
    console.log("strongest prefix matching (induction):");
    for (const [x, i] of top(run.prefixMatching, 8)) console.log(`  ${headName(i).padEnd(5)} ${x.toFixed(3)}   reads key/value head ${Math.floor((i % nHeads) * nKV / nHeads)} of layer ${Math.floor(i / nHeads)}`);
    console.log("strongest previous-token attention:");
    for (const [x, i] of top(run.previousToken, 5)) console.log(`  ${headName(i).padEnd(5)} ${x.toFixed(3)}`);
    """),
    md("""
    **Exercise 1.** Which head is the strongest induction head, and which is the strongest
    previous-token head? Write code that finds them from the scores (don't just read the picture).
    """),
    code("""
    // Exercise 1: find the strongest induction head and previous-token head from run's scores.
    const inductionHead = headName(top(run.prefixMatching, 1)[0][1]);
    const prevHead = headName(top(run.previousToken, 1)[0][1]);
    console.log(`induction head: ${inductionHead}; previous-token head: ${prevHead}`);
    """, tags=["solution"]),
    md("""
    The strongest induction head is 18.6<!--=bestInduction--> (prefix matching
    0.933<!--=prefix["18.6"]-->), then three heads of layer 17: 17.4<!--=topInduction[1]-->,
    17.3<!--=topInduction[2]--> and 17.5<!--=topInduction[3]-->, all above 0.7<!--claim: all(prefix[h] > 0.7 for h in ["17.3", "17.4", "17.5"])-->.
    The strongest previous-token head is 16.0<!--=bestPrev--> (0.908<!--=prevScore["16.0"]-->),
    one layer **before** the induction heads, as the circuit needs: a head must first write
    "the token before me was A" into each position before a later head can search for it.
    Other previous-token heads sit even earlier (11.1<!--=topPrev[1]-->, 0.860<!--=prevScore["11.1"]-->).

    ## 3. What the heads look at

    One short row: `<|endoftext|>` and 10 random tokens, twice. Layer 16: pick head 0 in the
    figure's head selector and look for the sub-diagonal. Layer 18: head 6 has a stripe 9 tokens
    below the diagonal in the second half (10 tokens back, plus one).
    """),
    code("""
    const short = [BOS, ...Array.from({ length: 10 }, (_, i) => 1000 + 3917 * i % 40000)];
    const shortRep = [...short, ...short.slice(1)];
    figure(attentionPattern(model, shortRep, { layer: 16 }), { title: "Layer 16 on a repeated row" })
    """),
    code("""
    figure(attentionPattern(model, shortRep, { layer: 18 }), { title: "Layer 18 on a repeated row" })
    """),
    md("""
    Most heads of these layers put much of their attention on the first token, the
    `<|endoftext|>` sink (notebook 1 is about it); the previous-token and induction heads are the
    ones that do not.

    How does the previous-token head feed the induction head? Through the induction head's
    **keys** (K-composition): its W_K reads the subspace the previous-token head's W_OV writes
    into, so a key carries "the token before me". For head A writing into head B, Elhage et al.
    (2021) measure it from the weights alone as

    $$\\frac{\\lVert W_{QK}^B \\, W_{OV}^A \\rVert_F}{\\lVert W_{QK}^B \\rVert_F \\; \\lVert W_{OV}^A \\rVert_F}$$

    against a baseline of random matrices. Over every pair of heads of a 30-layer model that is a
    large grid; this notebook tests the circuit by ablation instead (section 5).

    ## 4. Heads that share keys and values

    SmolLM2 uses **grouped-query attention**: layer 17 has 9 query heads but only 3 key/value
    heads, and query heads 3, 4 and 5 all read key/value head 1. So 17.3<!--given-->, 17.4<!--given--> and 17.5<!--given--> see the
    *same* keys and copy the *same* values; only their queries differ. Below: the shapes the
    hooks see, and how alike the three heads' patterns are on the repeated rows.
    """),
    code("""
    const gqa: Record<string, number> = {};
    {
      const { cache } = model.runWithCache(shortRep, { names: ["blocks.17.attn.hook_q", "blocks.17.attn.hook_k", "blocks.17.attn.hook_pattern"] });
      console.log(`hook_q: [${cache.get("blocks.17.attn.hook_q").shape}]   (batch, position, query head, d_head)`);
      console.log(`hook_k: [${cache.get("blocks.17.attn.hook_k").shape}]   (batch, position, key/value head, d_head)`);
      const p = cache.get("blocks.17.attn.hook_pattern").dataSync() as Float32Array; // [1, head, query, key]
      const n = shortRep.length;
      const row = (h: number) => p.slice(h * n * n, (h + 1) * n * n);
      const cos = (a: Float32Array, b: Float32Array) => { let s = 0, x = 0, y = 0; for (let i = 0; i < a.length; i++) { s += a[i] * b[i]; x += a[i] * a[i]; y += b[i] * b[i]; } return s / Math.sqrt(x * y); };
      for (const [a, b] of [[3, 4], [3, 5], [4, 5], [3, 0], [4, 7]]) {
        gqa[`17.${a}~17.${b}`] = +cos(row(a), row(b)).toFixed(2);
        console.log(`pattern similarity (cosine) 17.${a} vs 17.${b}: ${gqa[`17.${a}~17.${b}`]}  ${Math.floor(a / 3) === Math.floor(b / 3) ? "same key/value head" : "different key/value heads"}`);
      }
      cache.dispose();
    }
    """),
    md("""
    Sharing keys does not force the same pattern (the queries differ), but here the three heads
    of key/value head 1 attend almost alike<!--claim: min(gqa["17.3~17.4"], gqa["17.3~17.5"], gqa["17.4~17.5"]) > max(gqa["17.3~17.0"], gqa["17.4~17.7"])-->:
    their patterns are more similar to each other than to heads of the other key/value groups.
    Three heads with one job: does the model need all three?

    ## 5. Ablation: the evidence

    Patterns are **hypotheses** about what the model uses. To test them, remove heads (set their
    output `hook_z` to zero) and measure the loss on the repeat. `groups` lists the heads removed
    together in each variant; three variants and the clean row run as one batch.
    """),
    code("""
    const GROUPS = [["18.6"], ["17.3"], ["17.4"], ["17.5"], ["17.3", "17.4", "17.5"], ["17.3", "17.4", "17.5", "18.6"],
                    ["16.0"], ["11.1"], ["17.0", "17.1", "17.2"]];
    // Three groups per forward pass (each pass also reruns the clean row), with a progress bar.
    const bar = progressBar("ablating groups of heads");
    const abl = { base: 0, ablated: [] as number[] };
    bar({ done: 0, total: GROUPS.length, etaSeconds: null });
    for (let k = 0; k < GROUPS.length; k += 3) {
      await new Promise((r) => setImmediate(r)); // lets the bar's last update reach the page
      const r = headAblationLosses(model, { ...SETTING, groups: GROUPS.slice(k, k + 3) });
      abl.base = r.base;
      abl.ablated.push(...r.ablated);
      bar({ done: Math.min(k + 3, GROUPS.length), total: GROUPS.length, etaSeconds: null });
    }
    const rise: Record<string, number> = {};
    GROUPS.forEach((g, k) => (rise[g.join("+")] = +(abl.ablated[k] - abl.base).toFixed(2)));
    console.log(`loss on the repeats, nothing ablated: ${f2(abl.base)} nats`);
    console.table(Object.fromEntries(GROUPS.map((g, k) => [g.join(" + "), { "loss (nats)": f2(abl.ablated[k]), "rise (nats)": f2(rise[g.join("+")]) }])));
    """),
    md("""
    What the ablations say:
    - 18.6 alone costs 2.01<!--=rise["18.6"]--> nats: pattern and evidence agree.
    - Of the three heads sharing key/value head 1 of layer 17, only 17.3 costs something alone
      (0.88<!--=rise["17.3"]-->); 17.4 and 17.5 have the induction pattern, yet removing either
      changes the loss by less than removing three heads that do no induction (the control below)<!--claim: max(abs(rise["17.4"]), abs(rise["17.5"])) < rise["17.0+17.1+17.2"]-->
      All three together cost 0.76<!--=rise["17.3+17.4+17.5"]--> nats, about what 17.3 costs alone<!--claim: abs(rise["17.3+17.4+17.5"] - rise["17.3"]) < 0.2-->.
      A striking pattern is a hypothesis; this one the evidence does not support, for these heads alone.
    - The four induction heads removed together cost more than the sum of their single
      ablations<!--claim: rise["17.3+17.4+17.5+18.6"] > rise["18.6"] + rise["17.3"] + rise["17.4"] + rise["17.5"]-->:
      they back each other up, so ablating one at a time underestimates what they do together.
    - The previous-token head 16.0 costs 3.78<!--=rise["16.0"]--> nats, more than any single induction
      head<!--claim: rise["16.0"] > max(rise["18.6"], rise["17.3"], rise["17.4"], rise["17.5"])-->:
      the induction heads cannot find the earlier occurrence without it. The previous-token head
      11.1 (pattern 0.860<!--=prevScore["11.1"]-->) costs only 0.29<!--=rise["11.1"]--> nats.
    - A control: the other three heads of layer 17 that share key/value head 0 cost
      0.59<!--=rise["17.0+17.1+17.2"]--> nats together; an ablation's cost is read against such controls, not against zero.

    ## 6. Check yourself

    The show-me questions are checked by the kernel on the model itself, not against an answer
    key: it reads the named head's pattern on repeated random tokens and ablates that head alone.
    Any head whose pattern scores at least 0.3<!--given--> and whose ablation raises the loss on the
    repeat by at least 0.5<!--given--> nats is accepted. Try 17.4 too.
    """),
    code("""
    const CHECK = { ...SETTING, compare: "alone" as const, minPattern: 0.3, minIncrease: 0.5 };
    const bestInd = headName(top(run.prefixMatching, 1)[0][1]), bestPrv = headName(top(run.previousToken, 1)[0][1]);
    const q = quiz({ title: "Notebook 3: induction heads", questions: [
      { kind: "showme", id: "previous-token-head", placeholder: "layer.head",
        prompt: "Name a previous-token head that the induction circuit needs. The kernel checks its pattern and ablates it.",
        explanation: `A previous-token head moves each token's identity one position forward, so a later induction head's keys can ask "was the token before you the same as me?". Here ${bestPrv} has the strongest previous-token pattern and costs ${rise[bestPrv] ?? "(not ablated above)"} nats when ablated alone.`,
        check: headRoleCheck(model, { ...CHECK, role: "previous-token" }) },
      { kind: "showme", id: "induction-head", placeholder: "layer.head",
        prompt: "Name an induction head. The kernel checks its pattern and ablates it.",
        explanation: `An induction head attends from a repeated token to the token after its earlier occurrence and copies it. Here ${bestInd} has the strongest pattern and costs ${rise[bestInd] ?? "(not ablated above)"} nats when ablated alone; other heads with the pattern may pass too.`,
        check: headRoleCheck(model, { ...CHECK, role: "induction" }) },
      { kind: "short", id: "composition", placeholder: "one term",
        prompt: "The induction head's keys are built from the previous-token head's output. What is this kind of composition called?",
        accept: [/^k[- ]?composition$/i, /^key[- ]composition$/i],
        misconceptions: [
          { match: /q[- ]?composition|query/i, message: "the previous-token information enters where the head looks from its keys, not its query." },
          { match: /v[- ]?composition|value/i, message: "the values copy the attended token; the earlier head's information decides where to attend (keys)." }],
        explanation: "K-composition: W_K of the induction head reads the subspace the previous-token head's W_OV writes into." },
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

    The summary below recomputes the findings from the runs above (it does not use your answers);
    the notebook test checks every marked sentence of this notebook against it.
    """),
    code("""
    {
      const named = (a: Float32Array) => Object.fromEntries(Array.from(a, (x, i) => [headName(i), +x.toFixed(3)]));
      const prefix = named(run.prefixMatching);
      const prevScore = named(run.previousToken);
      const finding = {
        lossFirstBlock: +run.lossFirstBlock.toFixed(3), lossRepeats: +run.base.toFixed(3),
        bestInduction: headName(top(run.prefixMatching, 1)[0][1]), topInduction: top(run.prefixMatching, 4).map(([, i]) => headName(i)),
        bestPrev: headName(top(run.previousToken, 1)[0][1]), topPrev: top(run.previousToken, 4).map(([, i]) => headName(i)),
        prefix: Object.fromEntries(["18.6", "17.3", "17.4", "17.5"].map((h) => [h, prefix[h]])),
        prevScore: Object.fromEntries(["16.0", "11.1"].map((h) => [h, prevScore[h]])),
        gqa: gqa, rise: rise, baseRepeat: +abl.base.toFixed(3),
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]
