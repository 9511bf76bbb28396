from nbgen import code, md, playground

NAME = "05-causal-tracing"
REQUIRES = ["facts-gpt"]

CELLS = [
    md("""
    # 5. Causal tracing

    **You will learn** the causal-tracing procedure of Meng et al. (2022) step by step (clean run,
    corrupted run, restoration), to read its three restoration maps (hidden states, MLP outputs,
    attention outputs), to average indirect effects over token classes, and what the method
    cannot tell you (weaker or different corruption, the restoration window).

    **Time:** about 30 minutes to work through; Run All takes a minute or two.

    **Model:** `facts-gpt`, brown-gpt further trained on sentences stating real-world facts
    (see its model card). We trace the facts it actually predicts.
    """),
    code("""
    import { loadModel, causalTrace, summariseTraces, actName, figure, quiz, checklistQuestion } from "attnlab";
    // The fact set the model was trained on (the training scripts' data module).
    import { factExamples } from "attnlab/dist/scripts/data/facts";
    import * as tf from "@tensorflow/tfjs";

    const model = await loadModel("facts-gpt");
    const { nLayers, dModel } = model.config;
    // The facts of the model's training set (scripts/data/facts.ts), after <|endoftext|> (BOS) as in training.
    const candidates = factExamples().filter((e) => !e.heldOut)
      .map((e) => ({ prompt: "<|endoftext|>" + e.prompt, subject: e.subjectText, answer: " " + e.fact.object }));
    const fmt = (x: number) => x.toFixed(3);
    const idOf = (s: string) => model.tokenizer!.encode(s, { addSpecialTokens: false }).ids[0];
    const probsAtEnd = (logits: tf.Tensor3D) => tf.tidy(() => tf.softmax(logits.slice([0, logits.shape[1] - 1, 0], [-1, 1, -1]).squeeze([1])).arraySync() as number[][]);
    // Causal tracing explains a prediction the model makes: keep the facts whose top prediction is
    // the answer's first token, most confident first.
    const scored = candidates.map((f) => {
      const lg = model.run(f.prompt);
      const p = probsAtEnd(lg)[0];
      lg.dispose();
      return { ...f, p: p[idOf(f.answer)], known: p.indexOf(Math.max(...p)) === idOf(f.answer) };
    });
    const facts = scored.filter((f) => f.known).sort((a, b) => b.p - a.p).slice(0, 5);
    console.log(`facts-gpt predicts ${scored.filter((f) => f.known).length} of ${scored.length} training facts correctly (top-1); tracing the 5 most confident:`);
    console.table(facts.map((f) => ({ prompt: f.prompt.replace("<|endoftext|>", ""), subject: f.subject, answer: f.answer, "p(answer)": fmt(f.p) })));
    if (facts.length < 2) throw new Error("facts-gpt knows fewer than 2 of its training facts: nothing to trace (retrain it, see its model card)");
    """),
    md("""
    ## 1. Step by step, on one fact

    **Clean run:** the prompt as it is; note p(answer).
    **Corrupted run:** add Gaussian noise ν·N(0, 1) to the token embeddings of the subject only,
    with ν = 3 × the standard deviation of those embeddings, 10 times (10 noise samples), and
    average p(answer). The model no longer knows what the subject is.
    **Restoration:** in the corrupted runs, copy back one clean hidden state (the output of block
    *L* at token *t*) and see how much of p(answer) returns. That is the *indirect effect* of
    that state: p(restored) − p(corrupted).
    """),
    code("""
    const F = facts[0];
    const ids = Array.from(model.toTokens(F.prompt).ids);
    const toks = model.toStrTokens(F.prompt);
    const at = F.prompt.indexOf(F.subject);
    const enc = model.tokenizer!.encode(F.prompt);
    const subj = enc.offsets.map(([s, e], i) => (e > s && s < at + F.subject.length && e > at ? i : -1)).filter((i) => i >= 0);
    const [s0, s1] = [subj[0], subj[subj.length - 1] + 1];
    const answer = idOf(F.answer);
    const S = 10;
    // Noise level: 3 × the standard deviation of the subject tokens' embedding values (unbiased, as torch.std).
    const emb = tf.tidy(() => tf.gather(model.weights.W_E, tf.tensor1d(ids.slice(s0, s1), "int32")).dataSync() as Float32Array);
    const mean = emb.reduce((a, b) => a + b, 0) / emb.length;
    const nu = 3 * Math.sqrt(emb.reduce((a, b) => a + (b - mean) ** 2, 0) / (emb.length - 1));
    const draws = tf.tidy(() => tf.randomNormal([S, s1 - s0, dModel], 0, 1, "float32", 1).dataSync() as Float32Array);
    const noiseHook = { name: "hook_embed" as const, fn: (e: tf.Tensor) => tf.tidy(() => {
      const noise = tf.tensor3d(draws, [S, s1 - s0, dModel]).mul(nu);
      return e.add(tf.pad(noise, [[0, 0], [s0, ids.length - s1], [0, 0]]));
    }) };
    console.log(`subject tokens ${s0}…${s1 - 1}: ${toks.slice(s0, s1).map((t) => JSON.stringify(t)).join(" ")}; noise ν = ${fmt(nu)}`);

    const clean = model.runWithCache([ids], { names: Array.from({ length: nLayers }, (_, l) => actName("resid_post", l)) });
    const pClean = probsAtEnd(clean.logits)[0][answer];
    const corrupted = model.runWithHooks(Array(S).fill(ids), [noiseHook]);
    const pCorr = probsAtEnd(corrupted.logits).reduce((a, p) => a + p[answer] / S, 0);
    corrupted.logits.dispose();
    console.log(`clean run:     p(${JSON.stringify(F.answer)}) = ${fmt(pClean)}`);
    console.log(`corrupted run: p(${JSON.stringify(F.answer)}) = ${fmt(pCorr)} (mean of ${S} noise samples)`);
    """),
    code("""
    // Restore the clean output of block L at the last subject token, in all 10 corrupted runs.
    const L = Math.floor(nLayers / 2), t = s1 - 1;
    const restoreHook = { name: actName("resid_post", L), fn: (x: tf.Tensor) => tf.tidy(() => {
      const cleanRow = clean.cache.get(actName("resid_post", L)).slice([0, t, 0], [1, 1, -1]); // [1, 1, d]
      const mask = tf.tensor(ids.map((_, j) => (j === t ? 1 : 0)), [1, ids.length, 1]);
      return x.mul(tf.scalar(1).sub(mask)).add(cleanRow.mul(mask));
    }) };
    const restored = model.runWithHooks(Array(S).fill(ids), [noiseHook, restoreHook]);
    const pRest = probsAtEnd(restored.logits).reduce((a, p) => a + p[answer] / S, 0);
    restored.logits.dispose();
    console.log(`restoring block ${L}'s output at ${JSON.stringify(toks[t])}: p = ${fmt(pRest)}; indirect effect ${fmt(pRest - pCorr)} of a total effect ${fmt(pClean - pCorr)}`);
    """),
    md("""
    `causalTrace` does this for every (token, layer) cell, and for MLP and attention outputs too.
    Given the same noise draws, its grid must contain exactly the number we just computed.
    """),
    code("""
    // ROME restores MLP/attention over a window of 10 of GPT-2 XL's 48 layers; with 4 layers, 2 is the same share.
    const WINDOW = 2;
    const trace = await causalTrace(model, F.prompt, { subject: F.subject, answer: answer, samples: S, noiseDraws: draws, seed: 0, window: WINDOW });
    const P = trace.shape[0];
    const gridValue = trace.grids.hidden!.scores[t * nLayers + L];
    console.log(`by hand: clean ${fmt(pClean)}, corrupted ${fmt(pCorr)}, restored ${fmt(pRest)}`);
    console.log(`causalTrace: clean ${fmt(trace.pClean)}, corrupted ${fmt(trace.pCorrupted)}, restored cell (${JSON.stringify(toks[t])}, layer ${L}) ${fmt(gridValue)}`);
    clean.logits.dispose(); clean.cache.dispose();
    """),
    md("""
    ## 2. Three restoration maps

    Rows are tokens (the subject is marked), columns layers; colour starts at p(corrupted).
    Hidden states (purple), MLP outputs (green) and attention outputs (red), the MLP and attention
    maps restoring a window of layers around each layer, as ROME does (10 of 48 layers there; 2 of
    4 here).
    """),
    code("""
    figure(trace)
    """),
    md("""
    ## 3. Averages over token classes

    One prompt can mislead. For each fact, classify tokens (first, middle and last subject token;
    the first token after the subject; further tokens; the last token) and average the indirect
    effect per class and layer over the facts.
    """),
    code("""
    const traces = [trace];
    for (const f of facts.slice(1)) traces.push(await causalTrace(model, f.prompt, { subject: f.subject, answer: idOf(f.answer), samples: S, seed: 0, window: WINDOW }));
    const summary = summariseTraces(traces);
    // [class, layer] → rows of a table; mean ± 95% interval (1.96·std/√n over the facts).
    const avg = (k: "hidden" | "mlp" | "attn") => summary.classes.map((_, c) => Array.from({ length: nLayers }, (_, l) => summary.effects[k]!.mean[c * nLayers + l]));
    for (const k of ["mlp", "attn"] as const) {
      const e = summary.effects[k]!;
      console.log(`average indirect effect of ${k === "mlp" ? "MLP" : "attention"} restoration over ${summary.prompts} facts (rows: token class, columns: layer)`);
      console.table(Object.fromEntries(summary.classes.map((c, ci) => [c, Object.fromEntries(Array.from({ length: nLayers }, (_, l) => {
        const m = e.mean[ci * nLayers + l], h = e.ci[ci * nLayers + l];
        return [`L${l}`, Number.isNaN(m) ? "–" : `${fmt(m)} ± ${Number.isNaN(h) ? "?" : fmt(h)}`];
      }))])));
    }
    """),
    md("""
    Compare with ROME's GPT-2 XL, where MLP outputs at the **last subject token** in middle layers
    carry much of the effect and attention matters at the **last token** in later layers. A
    4-layer model trained on a few hundred facts need not do the same: read the tables for what
    this model does (which class, which layers, MLP or attention), not for the paper's answer.

    ## 4. Limitations

    The maps depend on choices. Re-run with a **weaker corruption** (ν = 1 × std instead of 3) and
    with a **window of 1** layer instead of 2 for the MLP restoration, and compare.
    """),
    code("""
    const weak = await causalTrace(model, F.prompt, { subject: F.subject, answer: answer, samples: S, noiseScale: 1, seed: 0, kinds: ["hidden"] });
    const narrow = await causalTrace(model, F.prompt, { subject: F.subject, answer: answer, samples: S, window: 1, seed: 0, kinds: ["mlp"] });
    const maxOf = (a: Float32Array) => Math.max(...Array.from(a));
    console.table({
      "noise 3σ (default)": { "p corrupted": fmt(trace.pCorrupted), "total effect": fmt(trace.totalEffect), "largest hidden indirect effect": fmt(maxOf(trace.grids.hidden!.indirect)) },
      "noise 1σ": { "p corrupted": fmt(weak.pCorrupted), "total effect": fmt(weak.totalEffect), "largest hidden indirect effect": fmt(maxOf(weak.grids.hidden!.indirect)) },
    });
    console.log(`largest MLP indirect effect: window ${WINDOW} → ${fmt(maxOf(trace.grids.mlp!.indirect))}, window 1 → ${fmt(maxOf(narrow.grids.mlp!.indirect))}`);
    figure(narrow, { title: "MLP restoration with a window of 1 layer" })
    """),
    md("""
    With weak noise the corrupted run still half-knows the subject, so there is less to restore.
    With a window of 1, a single MLP must carry the effect alone; when the computation is spread
    over consecutive layers, the window hides or reveals it. And noise is not a natural input: the corrupted runs are off the
    distribution the model saw in training, which is why notebook 6 also uses counterfactual
    prompts (activation patching).

    ## 5. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 5: causal tracing", questions: [
      checklistQuestion("causal-tracing"),
      { kind: "short", id: "tracing-corruption", placeholder: "a few words",
        prompt: "How does causal tracing corrupt the prompt?",
        keywords: [["noise", "gaussian"], ["subject", "embedding", "embeddings"]],
        misconceptions: [{ match: /mask|delete|remove/i, message: "the tokens stay; their embeddings are blurred with noise, so the corrupted run has the same length and positions." }],
        explanation: "Gaussian noise (3 × the standard deviation of the embeddings) is added to the subject tokens' embeddings only." },
      { kind: "choice", id: "tracing-window", prompt: "In ROME's GPT-2 XL, restoring single MLP layers (window 1) shows much smaller effects than a window of 10. What does that suggest?",
        choices: ["MLPs play no part in recalling the fact.", "The effect is spread over several MLP layers, so restoring any single one recovers little.", "The window-10 map is a bug."],
        answer: 1, why: ["the window-10 map shows MLPs matter together; one alone is not enough.", undefined, "ROME uses the window on purpose, because single layers have small effects."],
        explanation: "Restoring a window lets several consecutive MLPs work together; single-layer effects are small when the computation is distributed. The map depends on that choice." },
    ] });
    q
    """),
    code("""
    // Exercise: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("causal-tracing", 1);
    await q.answer("tracing-corruption", "Gaussian noise added to the subject token embeddings");
    await q.answer("tracing-window", 1);
    q.progress
    """, tags=["solution"]),
    code("""
    {
      const mlp = avg("mlp"), attn = avg("attn");
      console.log("finding: " + JSON.stringify({
        byHand: { pClean: +pClean.toFixed(4), pCorrupted: +pCorr.toFixed(4), restored: +pRest.toFixed(4) },
        trace: { pClean: +trace.pClean.toFixed(4), pCorrupted: +trace.pCorrupted.toFixed(4), restored: +gridValue.toFixed(4) },
        facts: traces.map((tr) => ({ pClean: +tr.pClean.toFixed(3), pCorrupted: +tr.pCorrupted.toFixed(3) })),
        mlpLastSubjectMax: +Math.max(...mlp[2]).toFixed(4), mlpFurtherMax: +Math.max(...mlp[4].filter(Number.isFinite), 0).toFixed(4),
        attnLastTokenMax: +Math.max(...attn[5]).toFixed(4),
        weakNoise: { pCorrupted: +weak.pCorrupted.toFixed(3), totalEffect: +weak.totalEffect.toFixed(3) },
        window: { wide: +maxOf(trace.grids.mlp!.indirect).toFixed(4), one: +maxOf(narrow.grids.mlp!.indirect).toFixed(4) },
      }));
    }
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", "<|endoftext|>The Eiffel Tower is located in the city of")
