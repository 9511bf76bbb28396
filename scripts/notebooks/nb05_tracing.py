from nbgen import code, md, playground

NAME = "05-causal-tracing"
REQUIRES = ["smollm2-135m"]
CLAIMS = True

CELLS = [
    md("""
    # 5. Causal tracing in SmolLM2-135M

    **You will learn** the causal-tracing procedure of Meng et al. (2022, "ROME") step by step
    (clean run, corrupted run, restoration), to read its three restoration maps (hidden states,
    MLP outputs, attention outputs), to average indirect effects over token classes, what the
    method cannot tell you (the noise level, the restoration window), and how SmolLM2's picture
    compares with the one ROME found in GPT-2 XL.

    **Time:** about 30 minutes to work through; Run All takes under a minute (46 s in a fresh
    clone's test run on the 2-core development machine, kernel start and model load included; the
    traces take most of it, and on a busy machine it takes minutes).

    **Model:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, card in
    `models/smollm2-135m/README.md`), 30 layers. The facts come from the card's `facts.json`
    (ROME-style prompts with a subject and a one-word answer), each after `<|endoftext|>`, the
    first token the model recalls facts best with. Every number the text below states is
    checked against the cells' output by the notebook test.
    """),
    code("""
    import { loadModel, causalTrace, summariseTraces, actName, figure, quiz, checklistQuestion, Rng } from "attnlab";
    // The card's fact list and its noise level (3 × the std of the embedding values of all its subjects).
    import { loadFacts, subjectNoise } from "attnlab/dist/scripts/smollm2_card";
    import * as tf from "@tensorflow/tfjs";

    const model = await loadModel("smollm2-135m");
    const { nLayers, dModel } = model.config;
    const allFacts = loadFacts();
    const nu = subjectNoise(model, allFacts).noise;
    // The fact we trace in full, then two of the facts the card traced (one-token subjects: cheap to trace).
    const pick = (prompt: string) => { const f = allFacts.find((x) => x.prompt === prompt)!; return { ...f, text: "<|endoftext|>" + f.prompt }; };
    const FACTS = [pick("The mother tongue of Vladimir Putin is"), pick("The capital of Spain is"), pick("The capital of Canada is")];
    const idOf = (s: string) => model.tokenizer!.encode(s).ids[0];
    const pLast = (logits: tf.Tensor3D) => tf.tidy(() => tf.softmax(logits.slice([0, logits.shape[1] - 1, 0], [-1, 1, -1]).squeeze([1])).arraySync() as number[][]);
    const fmt = (x: number) => x.toFixed(3);
    // Causal tracing explains a prediction the model makes: each fact's answer must be its top-1 next token.
    for (const f of FACTS) {
      const lg = model.run(f.text);
      const p = pLast(lg)[0];
      lg.dispose();
      const top = p.indexOf(Math.max(...p));
      if (top !== idOf(f.answer)) throw new Error(`SmolLM2 does not predict ${JSON.stringify(f.answer)} after ${JSON.stringify(f.prompt)}`);
      console.log(`${f.prompt.padEnd(40)} → ${JSON.stringify(f.answer).padEnd(11)} p = ${fmt(p[top])} (top-1)`);
    }
    console.log(`noise ν = ${nu.toFixed(5)} (3 × the std of the token-embedding values of the ${allFacts.length} subjects of facts.json)`);
    """),
    md("""
    ## 1. Step by step, on one fact

    **Clean run:** the prompt as it is; note p(answer) at the last position.
    **Corrupted run:** add Gaussian noise ν·N(0, 1) to the token embeddings of the subject only,
    10 times (10 noise samples), and average p(answer). ν is 3 × the standard deviation of the
    embedding values of the subjects (ROME's choice). The model no longer knows who the subject is.
    **Restoration:** in the corrupted runs, copy back one clean hidden state (the output of block
    *L* at token *t*) and see how much of p(answer) returns. That is the *indirect effect* of
    that state: p(restored) − p(corrupted). The *total effect* is p(clean) − p(corrupted).
    """),
    code("""
    const F = FACTS[0];
    const ids = Array.from(model.toTokens(F.text).ids);
    const toks = model.toStrTokens(F.text);
    const at = F.text.indexOf(F.subject);
    const enc = model.tokenizer!.encode(F.text);
    const subj = enc.offsets.map(([s, e], i) => (e > s && s < at + F.subject.length && e > at ? i : -1)).filter((i) => i >= 0);
    const [s0, s1] = [subj[0], subj[subj.length - 1] + 1];
    const answer = idOf(F.answer);
    const S = 10;
    // N(0, 1) draws from a seeded generator, [S, subject tokens, d_model]; causalTrace with seed 1 draws the same.
    const draws = new Rng(1).normalArray(S * (s1 - s0) * dModel);
    const noiseHook = { name: "hook_embed" as const, fn: (e: tf.Tensor) => tf.tidy(() => {
      const noise = tf.tensor3d(draws, [S, s1 - s0, dModel]).mul(nu);
      return e.add(tf.pad(noise, [[0, 0], [s0, ids.length - s1], [0, 0]]));
    }) };
    console.log(`tokens: ${toks.map((t) => JSON.stringify(t)).join(" ")}`);
    console.log(`subject tokens ${s0}…${s1 - 1}: ${toks.slice(s0, s1).map((t) => JSON.stringify(t)).join(" ")}`);

    const L = 4, t = s1 - 1;
    const clean = model.runWithCache([ids], { names: [actName("resid_post", L)] });
    const pClean = pLast(clean.logits)[0][answer];
    const corrupted = model.runWithHooks(Array(S).fill(ids), [noiseHook]);
    const pCorr = pLast(corrupted.logits).reduce((a, p) => a + p[answer] / S, 0);
    corrupted.logits.dispose();
    console.log(`clean run:     p(${JSON.stringify(F.answer)}) = ${fmt(pClean)}`);
    console.log(`corrupted run: p(${JSON.stringify(F.answer)}) = ${fmt(pCorr)} (mean of ${S} noise samples)`);
    """),
    code("""
    // Restore the clean output of block L at the last subject token, in all 10 corrupted runs.
    const restoreHook = { name: actName("resid_post", L), fn: (x: tf.Tensor) => tf.tidy(() => {
      const cleanRow = clean.cache.get(actName("resid_post", L)).slice([0, t, 0], [1, 1, -1]); // [1, 1, d]
      const mask = tf.tensor(ids.map((_, j) => (j === t ? 1 : 0)), [1, ids.length, 1]);
      return x.mul(tf.scalar(1).sub(mask)).add(cleanRow.mul(mask));
    }) };
    const restored = model.runWithHooks(Array(S).fill(ids), [noiseHook, restoreHook]);
    const pRest = pLast(restored.logits).reduce((a, p) => a + p[answer] / S, 0);
    restored.logits.dispose();
    clean.logits.dispose(); clean.cache.dispose();
    console.log(`restoring block ${L}'s output at ${JSON.stringify(toks[t])}: p = ${fmt(pRest)}`);
    console.log(`indirect effect ${fmt(pRest - pCorr)} of a total effect ${fmt(pClean - pCorr)}`);
    """),
    md("""
    Restoring that one vector brings back 0.64<!--=byHand["indirect"]--> of the
    0.73<!--=byHand["total"]--> that the noise took away: after block 4<!--given-->, the last subject token
    already carries most of what the model needs about Putin.

    `causalTrace` does this for every (token, layer) cell, and for MLP and attention outputs
    too, reusing the corrupted run's keys and values so that each restoration recomputes only
    what it changes. Given the same noise draws (seed 1), its grid must contain exactly the
    number we just computed. 30 layers × 3 kinds × 3 tokens are 270 restorations of 10 rows
    each: the progress bar shows them (about 25 s of CPU time when we measured it).
    """),
    code("""
    // workers: 0 keeps it in the kernel's thread (a worker would need its own copy of the weights).
    const trace = await causalTrace(model, F.text, { subject: F.subject, answer: answer, noise: nu, samples: S, seed: 1, window: 10, workers: 0 });
    const P = trace.shape[0];
    const gridValue = trace.grids.hidden!.scores[t * nLayers + L];
    console.log(`by hand:     clean ${fmt(pClean)}, corrupted ${fmt(pCorr)}, restored ${fmt(pRest)}`);
    console.log(`causalTrace: clean ${fmt(trace.pClean)}, corrupted ${fmt(trace.pCorrupted)}, restored cell (${JSON.stringify(toks[t])}, layer ${L}) ${fmt(gridValue)}`);
    """),
    md("""
    ## 2. Three restoration maps

    Rows are tokens (the subject is marked), columns layers; colour starts at p(corrupted).
    Hidden states (purple), MLP outputs (green) and attention outputs (red). The MLP and
    attention maps restore a **window** of 10 layers around each layer (layers *l*−5 … *l*+4,
    cut at the ends), as ROME does: one module alone often does little.
    """),
    code("""
    figure(trace, { title: `${F.prompt} → ${F.answer}` })
    """),
    code("""
    // The rows that matter, as numbers (indirect effects): the subject's tokens and the last token.
    const row = (k: "hidden" | "mlp" | "attn", p: number) => Array.from(trace.grids[k]!.indirect.slice(p * nLayers, (p + 1) * nLayers));
    for (const k of ["hidden", "mlp", "attn"] as const) for (let p = s0; p < P; p++)
      console.log(`${k.padEnd(6)} ${JSON.stringify(toks[p]).padEnd(11)} ${row(k, p).map((x) => x.toFixed(2).replace("-0.00", "0.00").padStart(5)).join("")}`);
    console.log(`${"".padEnd(18)} ${Array.from({ length: nLayers }, (_, l) => String(l).padStart(5)).join("")}  (layer; for MLP/attention the window's centre)`);
    // The first layer at which restoring the last token's hidden state gives back more than half the total effect.
    const lateLayer = row("hidden", P - 1).findIndex((x) => x > trace.totalEffect / 2);
    console.log(`the last token's hidden state restores more than half the total effect from layer ${lateLayer} on`);
    """),
    md("""
    What the maps show on this fact:
    - **Hidden states.** At the last subject token " Putin" restoration helps from the first
      layer on and most at layer 10<!--=hiddenSubjPeak["layer"]--> (0.74<!--=hiddenSubjPeak["value"]-->), more
      than at the first subject token " Vladimir" (at most 0.43<!--=hiddenFirstSubjMax-->); from layer
      23<!--=lateLayer--> on, restoring the subject does nothing<!--claim: hiddenSubjAfterLate < 0.02-->.
      At the last token " is" it is the other way round: nothing before layer 23<!--=lateLayer-->
      (at most 0.01<!--=hiddenLastBefore-->), then 0.71<!--=hiddenLastAt--> at once. Between those
      layers the information moved from the subject to the last token.
    - **MLP outputs** at the subject tokens matter most in windows that include layer 0: up to
      0.61<!--=mlpSubj["withLayer0"]--> at " Putin", then 0.04<!--=mlpSubj["firstWithout"]--> for the first
      window without it (layers 1–10<!--given-->), and at most 0.11<!--=mlpSubj["midMax"]--> at either
      subject token for windows centred at layer 10 or later.
    - **Attention outputs** matter only at the last token, and only in windows that contain layer
      23<!--=lateLayer-->: up to 0.67<!--=attnLast["withLate"]--> (window centred at layer
      19<!--=attnLast["peakCentre"]-->), against at most 0.04<!--=attnLast["without"]--> for every window
      that does not contain it.

    ## 3. Averages over token classes

    One prompt can mislead. ROME classifies each prompt's tokens (first, middle and last subject
    token; the first token after the subject; further tokens; the last token) and averages the
    indirect effect per class and layer over many facts. We add two facts the model card traced
    ("The capital of Spain is" and "The capital of Canada is", one-token subjects) and, to keep
    the notebook fast, restore only their MLP and attention outputs (the two sites ROME compares)
    at every third layer (`kinds`, `layers`); `summariseTraces` averages what each trace restored.
    Our three prompts end right after the subject, so they have no middle subject tokens, no
    first subsequent token and no further tokens: those rows stay empty (the card's
    "... is located in the city of" facts have them).
    """),
    code("""
    const EVERY = 3, layers = Array.from({ length: nLayers / EVERY }, (_, i) => EVERY * i);
    const traces = [trace];
    for (const f of FACTS.slice(1)) {
      const r = await causalTrace(model, f.text, { subject: f.subject, answer: idOf(f.answer), noise: nu, samples: S, seed: 1, window: 10, kinds: ["mlp", "attn"], layers: layers, workers: 0 });
      console.log(`${f.prompt}: p clean ${fmt(r.pClean)}, corrupted ${fmt(r.pCorrupted)}`);
      traces.push(r);
    }
    const summary = summariseTraces(traces);
    const mean = (k: "hidden" | "mlp" | "attn", c: number, l: number) => summary.effects[k]!.mean[c * nLayers + l];
    for (const k of ["mlp", "attn"] as const) {
      console.log(`\\n${k === "mlp" ? "MLP" : "attention"}: mean indirect effect over ${summary.prompts} facts (window 10; columns: its centre, layer ${layers.join(", ")})`);
      summary.classes.forEach((c, ci) => {
        const xs = layers.map((l) => mean(k, ci, l));
        if (xs.every(Number.isNaN)) return;
        console.log(`  ${c.padEnd(22)} ${xs.map((x) => x.toFixed(2).replace("-0.00", "0.00").padStart(6)).join("")}`);
      });
    }
    """),
    md("""
    The averages tell the same story as the single fact: at the last subject token the MLP
    windows that contain layer 0 restore up to 0.49<!--=avg["mlpSubjLayer0"]--> on average, the window
    centred at layer 6 (layers 1–10) only 0.10<!--=avg["mlpSubjLayer6"]-->, and windows centred at
    layer 15 or later at most 0.02<!--=avg["mlpSubjLate"]-->; at the last token the attention windows
    restore up to 0.37<!--=avg["attnLastMax"]--> (centred at layer 21<!--=avg["attnLastArgmax"]-->), while
    those centred at layer 12 or earlier stay at or below 0.01<!--=avg["attnLastEarly"]-->. The other
    two facts have smaller total effects (p clean 0.37<!--=facts[1]["pClean"]--> for Madrid, 0.52<!--=facts[2]["pClean"]--> for Ottawa), so the
    averages are lower than on the Putin fact; the places are the same.

    ## 4. Comparison with ROME's GPT-2 XL

    Meng et al. found two sites in GPT-2 XL: an **early site**, MLP outputs at the last subject
    token in the **middle** layers, where restoring a window brings back much of the fact, and a
    **late site**, attention at the last token in the upper layers, which carries the fact to
    where it is read out. What SmolLM2 shows in the cells above:
    - **The late site is there, as in ROME**: attention into the last token, in the windows that
      contain layer 23<!--=lateLayer--> of 30.
    - **The early site is not in the middle layers.** At the last subject token the MLP effect
      comes from the windows that contain **layer 0**; from the middle layers on it is near zero.
      The section below restores single MLP layers: it is the layer-0 MLP.

    So the recipe transfers, and half of the answer does. A 30-layer, 135M-parameter model need
    not store facts where a 48-layer, 1.5B-parameter model does; read the maps for what this
    model does. (The card's own trace of five facts, 10 samples, all layers, shows the same two
    sites: `models/smollm2-135m/README.md`.)

    ## 5. Limitations

    The maps depend on choices. Re-run the fact with a **weaker corruption** (ν / 3, i.e. 1 × the
    standard deviation instead of 3), restoring just two cells (`positions`, `layers`), and restore
    the MLPs at the last subject token with a **window of 1** layer instead of 10.
    """),
    code("""
    const LATE = lateLayer;
    const weak = await causalTrace(model, F.text, { subject: F.subject, answer: answer, noise: nu / 3, samples: S, seed: 1, kinds: ["hidden"], positions: [t, P - 1], layers: [L, LATE], workers: 0 });
    const narrow = await causalTrace(model, F.text, { subject: F.subject, answer: answer, noise: nu, samples: S, seed: 1, kinds: ["mlp"], window: 1, workers: 0 });
    const cell = (r: typeof trace, k: "hidden" | "mlp", p: number, l: number) => r.grids[k]!.indirect[p * nLayers + l];
    console.table({
      "noise 3σ (ROME)": { "p corrupted": fmt(trace.pCorrupted), "total effect": fmt(trace.totalEffect), [`hidden ${JSON.stringify(toks[t])} L${L}`]: fmt(cell(trace, "hidden", t, L)), [`hidden ${JSON.stringify(toks[P - 1])} L${LATE}`]: fmt(cell(trace, "hidden", P - 1, LATE)) },
      "noise 1σ": { "p corrupted": fmt(weak.pCorrupted), "total effect": fmt(weak.totalEffect), [`hidden ${JSON.stringify(toks[t])} L${L}`]: fmt(cell(weak, "hidden", t, L)), [`hidden ${JSON.stringify(toks[P - 1])} L${LATE}`]: fmt(cell(weak, "hidden", P - 1, LATE)) },
    });
    const one = Array.from({ length: nLayers }, (_, l) => cell(narrow, "mlp", t, l));
    console.log(`MLP restored at ${JSON.stringify(toks[t])}, one layer at a time (window 1):`);
    one.forEach((x, l) => console.log(`  layer ${String(l).padStart(2)} ${x.toFixed(3).replace("-0.000", "0.000").padStart(6)} ${"█".repeat(Math.max(0, Math.round(x * 40)))}`));
    figure(narrow, { title: "MLP restoration with a window of 1 layer" })
    """),
    md("""
    - **Noise level.** With ν / 3 the corrupted run keeps p = 0.21<!--=weak["pCorrupted"]--> of the
      answer (0.005<!--=trace["pCorrupted"]--> with 3σ): the model still half-knows the subject, so the
      total effect shrinks to 0.53<!--=weak["total"]--> and every indirect effect with it (the two cells:
      0.47<!--=weak["subj"]--> and 0.54<!--=weak["last"]-->, against 0.64<!--=byHand["indirect"]--> and
      0.71<!--=hiddenLastAt--> with 3σ). How much "restores" depends on how hard you corrupt.
    - **Window.** One MLP layer at a time, layer 0 alone restores 0.50<!--=window["layer0"]-->
      and no other layer more than 0.01<!--=window["othersMax"]-->: here the window of 10 did not hide a
      spread-out effect, it smeared the layer-0 MLP over the first six<!--given--> window centres. In ROME's
      GPT-2 XL single layers restore much less than windows, because the effect is spread over
      several middle-layer MLPs. The window is a choice that shapes the map.
    - **Noise is not a natural input.** The corrupted runs are off the distribution the model saw
      in training; notebook 6 also uses counterfactual prompts (activation patching) instead.

    ## 6. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 5: causal tracing", questions: [
      checklistQuestion("causal-tracing"),
      { kind: "short", id: "tracing-corruption", placeholder: "a few words",
        prompt: "How does causal tracing corrupt the prompt?",
        keywords: [["noise", "gaussian"], ["subject", "embedding", "embeddings"]],
        misconceptions: [{ match: /mask|delete|remove/i, message: "the tokens stay; their embeddings are blurred with noise, so the corrupted run has the same length and positions." }],
        explanation: "Gaussian noise (3 × the standard deviation of the subjects' embedding values) is added to the subject tokens' embeddings only." },
      { kind: "choice", id: "tracing-early-site", prompt: "Where is the early site (MLP outputs at the last subject token) in SmolLM2-135M, according to this notebook's maps and its window-1 restoration?",
        choices: ["In the middle layers, as in ROME's GPT-2 XL.", "In the layer-0 MLP: windows that contain layer 0 restore the fact, and so does layer 0 alone.", "There is no effect at the subject at all."],
        answer: 1, why: ["look at the MLP windows centred at layer 10 or later in the map and the averages: near zero.", undefined, "restoring the subject's hidden state in early layers brings back most of the answer."],
        explanation: `Windows containing layer 0 restore most of p(answer) at the last subject token; layer 0 alone restores ${fmt(one[0])}. The late site (attention at the last token) matches ROME; the early site does not sit in the middle layers. (In ROME's GPT-2 XL single MLP layers restore much less than a window of 10: the effect is spread over several middle layers.)` },
    ] });
    q
    """),
    code("""
    // Exercise: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("causal-tracing", 1);
    await q.answer("tracing-corruption", "Gaussian noise added to the subject token embeddings");
    await q.answer("tracing-early-site", 1);
    q.progress
    """, tags=["solution"]),
    md("""
    ## What we found

    The summary below recomputes the findings from the runs above (it does not use your answers);
    the notebook test checks every marked sentence of this notebook against it, and the traced
    facts against the model card's measurements.
    """),
    code("""
    {
      const r4 = (x: number) => +x.toFixed(4);
      const maxOf = (xs: number[]) => Math.max(...xs.filter((x) => !Number.isNaN(x)));
      const h = (p: number) => row("hidden", p), m = (p: number) => row("mlp", p), a = (p: number) => row("attn", p);
      const last = P - 1;
      const win = (c: number): [number, number] => [Math.max(0, c - 5), Math.min(nLayers, c + 5)]; // window 10: layers [lo, hi)
      const centres = Array.from({ length: nLayers }, (_, c) => c);
      const withLate = centres.filter((c) => win(c)[0] <= lateLayer && lateLayer < win(c)[1]);
      const subjPeak = h(t).indexOf(Math.max(...h(t)));
      const c0 = summary.classes.indexOf("last subject token"), cl = summary.classes.indexOf("last token");
      const finding = {
        byHand: { pClean: r4(pClean), pCorrupted: r4(pCorr), restored: r4(pRest), indirect: r4(pRest - pCorr), total: r4(pClean - pCorr) },
        trace: { pClean: r4(trace.pClean), pCorrupted: r4(trace.pCorrupted), restored: r4(gridValue) },
        facts: traces.map((r, i) => ({ prompt: FACTS[i].prompt, pClean: r4(r.pClean), pCorrupted: r4(r.pCorrupted) })),
        noise: r4(nu),
        lateLayer: lateLayer,
        hiddenSubjPeak: { layer: subjPeak, value: r4(h(t)[subjPeak]) },
        hiddenFirstSubjMax: r4(Math.max(...h(s0))),
        hiddenSubjAfterLate: r4(Math.max(...h(t).slice(lateLayer), ...h(s0).slice(lateLayer))),
        hiddenLastBefore: r4(Math.max(...h(last).slice(0, lateLayer))),
        hiddenLastAt: r4(h(last)[lateLayer]),
        mlpSubj: { withLayer0: r4(Math.max(...m(t).slice(0, 6))), firstWithout: r4(m(t)[6]), midMax: r4(Math.max(...m(t).slice(10), ...m(s0).slice(10))) },
        attnLast: { withLate: r4(Math.max(...withLate.map((c) => a(last)[c]))), peakCentre: a(last).indexOf(Math.max(...a(last))),
                    without: r4(Math.max(...centres.filter((c) => !withLate.includes(c)).map((c) => a(last)[c]))),
                    subjMax: r4(Math.max(...a(s0), ...a(t))) },
        avg: { mlpSubjLayer0: r4(Math.max(mean("mlp", c0, 0), mean("mlp", c0, 3))), mlpSubjLayer6: r4(mean("mlp", c0, 6)),
               mlpSubjLate: r4(maxOf(layers.filter((l) => l >= 15).map((l) => mean("mlp", c0, l)))),
               attnLastMax: r4(maxOf(layers.map((l) => mean("attn", cl, l)))), attnLastArgmax: layers[layers.map((l) => mean("attn", cl, l)).indexOf(maxOf(layers.map((l) => mean("attn", cl, l))))],
               attnLastEarly: r4(maxOf(layers.filter((l) => l <= 12).map((l) => mean("attn", cl, l)))) },
        weak: { pCorrupted: r4(weak.pCorrupted), total: r4(weak.totalEffect), subj: r4(cell(weak, "hidden", t, L)), last: r4(cell(weak, "hidden", last, LATE)) },
        window: { layer0: r4(one[0]), othersMax: r4(Math.max(...one.slice(1))) },
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", "<|endoftext|>The mother tongue of Vladimir Putin is")
