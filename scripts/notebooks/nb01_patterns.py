from nbgen import code, md

NAME = "01-attention-patterns"
REQUIRES = ["smollm2-135m", "all-MiniLM-L6-v2"]
CLAIMS = True

CELLS = [
    md("""
    # 1. What attention patterns look like

    **You will learn** to read attention heatmaps and the head-score grid, to recognise the common
    head types (previous-token/diagonal, first-token sink, induction, syntactic, copy) in two real
    pretrained models, and why a **sink** forms on the first token even when that token is
    irrelevant, tested by measuring the value vectors there, by moving it and by ablating it.

    **Time:** about 30 minutes to work through; Run All takes under a minute.

    **Models:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, a 30-layer causal Llama model;
    card in `models/smollm2-135m/README.md`) and all-MiniLM-L6-v2 (a 6-layer BERT encoder from
    sentence-transformers, which puts `[CLS]` first and `[SEP]` last).
    Every number the text states is checked against the cells' output by the notebook test.
    """),
    code("""
    import { loadModel, loadPretrained, attentionPattern, headScores, actName, meanLoss, explore, figure, quiz, checklistQuestion } from "attnlab";
    import * as tf from "@tensorflow/tfjs";

    const sm = await loadModel("smollm2-135m");
    const mini = await loadPretrained("sentence-transformers/all-MiniLM-L6-v2");
    const f2 = (x: number) => x.toFixed(2);
    const name = (i: number, H: number) => `${Math.floor(i / H)}.${i % H}`;
    const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    // Word-level sentence; pairs are [dependent word, head word] for the syntactic score.
    const words = ["The", "old", "man", "walked", "slowly", "to", "the", "church", "and", "the", "old", "man", "sat", "down"];
    const text = words.join(" ");
    // SmolLM2 reads documents that start with <|endoftext|>; MiniLM adds [CLS] and [SEP] itself.
    const smText = "<|endoftext|>" + text;
    const causalPairs: [number, number][] = [[4, 3], [5, 3], [7, 5], [12, 8], [13, 12]];
    const allPairs: [number, number][] = [...causalPairs, [1, 2], [2, 3], [6, 7], [10, 11], [11, 12]];
    console.log("SmolLM2 tokens:", sm.toStrTokens(smText).join(" | "));
    console.log("MiniLM tokens: ", mini.toStrTokens(text).join(" | "));
    """),
    md("""
    **Playground.** Type your own prompt and pick a layer and head: the heatmap, the model's top
    next tokens and the head-score grid follow as you type (here SmolLM2, layer 16, head 0).
    """),
    code("""
    explore(sm, { prompt: smText, layer: 16, head: 0 })
    """),
    md("""
    ## 1. Heatmaps

    Rows are query tokens (attending *from*), columns key tokens (attending *to*). In a causal
    model the upper triangle is empty: a token cannot look ahead. Flip through the heads of each
    layer with the head selector: some hug the **sub-diagonal** (previous token; in layer 16 try
    head 0), many pile almost everything into the **first column** (a sink), and in layer 18 some
    look from the second "old man" back to what followed the first one (induction).
    """),
    code("""
    figure(attentionPattern(sm, smText, { layer: 16 }), { title: "SmolLM2, layer 16" })
    """),
    code("""
    figure(attentionPattern(sm, smText, { layer: 18 }), { title: "SmolLM2, layer 18" })
    """),
    md("""
    MiniLM attends in both directions, so the whole square is used. Its first token is `[CLS]` and
    its last `[SEP]` (both shown as labels): watch where the attention of layer 4's heads goes.
    """),
    code("""
    figure(attentionPattern(mini, text, { layer: 4 }), { title: "all-MiniLM-L6-v2, layer 4" })
    """),
    md("""
    ## 2. The head-score grid

    Scores turn "this looks like a previous-token head" into a number per head:
    `previous_token`, `duplicate_token` and `induction` (TransformerLens `detect_head`, `mul`
    measure), `sink` (mean attention on the first token), `self` (the diagonal, i.e. copy), and
    `syntactic` (mean attention from a dependent word to its head word, for the tagged pairs).
    Use the menu to switch score; click a head to select it.
    """),
    code("""
    const ss = headScores(sm, smText, { syntactic: { words: ["<|endoftext|>" + words[0], ...words.slice(1)], pairs: causalPairs } });
    figure(ss, { title: "SmolLM2-135M head scores" })
    """),
    code("""
    const ms = headScores(mini, text, { syntactic: { words: words, pairs: allPairs } });
    figure(ms, { title: "all-MiniLM-L6-v2 head scores" })
    """),
    md("""
    **Exercise 1.** For each model, find the head with the strongest score of each type and print
    them as "layer.head" with the score.
    """),
    code("""
    // Exercise 1: the strongest head of each score type, in each model.
    for (const [label, s, H] of [["SmolLM2", ss, sm.config.nHeads], ["MiniLM", ms, mini.config.nHeads]] as const) {
      console.log(label);
      console.table(Object.fromEntries(Object.entries(s.scores).map(([k, v]) => { const i = argmax(v); return [k, { head: name(i, H), score: f2(v[i]) }]; })));
    }
    """, tags=["solution"]),
    code("""
    // What the two models' strongest heads are, and where [CLS] and [SEP] draw attention in MiniLM.
    const best = (s: typeof ss, H: number) => Object.fromEntries(Object.entries(s.scores).map(([k, v]) => { const i = argmax(v); return [k, { head: name(i, H), score: +v[i].toFixed(3) }]; }));
    const smBest = best(ss, sm.config.nHeads), miniBest = best(ms, mini.config.nHeads);
    console.log("SmolLM2 strongest heads:", JSON.stringify(smBest));
    console.log("MiniLM strongest heads: ", JSON.stringify(miniBest));
    const miniIds = Array.from(mini.toTokens(text).ids), nm = miniIds.length, MH = mini.config.nHeads;
    const toSep = new Float32Array(mini.config.nLayers * MH);
    for (let l = 0; l < mini.config.nLayers; l++) {
      const p = attentionPattern(mini, text, { layer: l }).data; // [head, query, key]
      for (let h = 0; h < MH; h++) { let s = 0; for (let i = 0; i < nm; i++) s += p[(h * nm + i) * nm + nm - 1] / nm; toSep[l * MH + h] = s; }
    }
    const sepBest = { head: name(argmax(toSep), MH), score: +Math.max(...toSep).toFixed(3) };
    console.log(`MiniLM: most attention on [CLS] ${miniBest.sink.head} (${f2(miniBest.sink.score)}); on [SEP] ${sepBest.head} (${f2(sepBest.score)})`);
    """),
    md("""
    In SmolLM2 the strongest previous-token head on this sentence is 16.0<!--=smBest["previous_token"]["head"]-->
    (0.77<!--=smBest["previous_token"]["score"]-->), the same head notebook 3 finds on random tokens.
    Induction scores are low on this sentence (at most 0.12<!--=smBest["induction"]["score"]-->):
    its repeat, "the old man", is only three tokens long.
    In MiniLM the strongest previous-token head is 0.2<!--=miniBest["previous_token"]["head"]-->
    (0.94<!--=miniBest["previous_token"]["score"]-->), and the heads of layer 4 put almost
    everything on `[CLS]` (4.5<!--=miniBest["sink"]["head"]--> at 0.95<!--=miniBest["sink"]["score"]-->),
    while no head gives `[SEP]` more than 0.22<!--=sepBest["score"]--> on average here.

    ## 3. Sinks, layer by layer

    How much of SmolLM2's attention goes to the first token, layer by layer (mean over the 9
    heads; the bar counts the heads above one half)?
    """),
    code("""
    const L = sm.config.nLayers, H = sm.config.nHeads;
    const sinkByLayer: number[] = [], sinkHeadsByLayer: number[] = [];
    for (let l = 0; l < L; l++) {
      const v = Array.from(ss.scores.sink.slice(l * H, (l + 1) * H));
      sinkByLayer.push(+(v.reduce((a, b) => a + b, 0) / H).toFixed(3));
      sinkHeadsByLayer.push(v.filter((x) => x > 0.5).length);
      console.log(`layer ${String(l).padStart(2)}: mean ${f2(sinkByLayer[l])} ${"█".repeat(sinkHeadsByLayer[l])}${"·".repeat(H - sinkHeadsByLayer[l])} ${sinkHeadsByLayer[l]} heads > 0.5`);
    }
    const sinkHeads = sinkHeadsByLayer.reduce((a, b) => a + b, 0), sinkHeadsFrom12 = sinkHeadsByLayer.slice(12).reduce((a, b) => a + b, 0);
    console.log(`${sinkHeads} of ${L * H} heads put more than half their attention on the first token; ${sinkHeadsFrom12} of them in layers 12–29`);
    """),
    md("""
    On this sentence 182<!--=sinkHeads--> of the 270 heads put more than half of their attention on
    the first token, 137<!--=sinkHeadsFrom12--> of them in layers 12 to 29; layers 10 and 11 have
    none<!--claim: sinkHeadsByLayer[10] == 0 and sinkHeadsByLayer[11] == 0-->.

    ## 4. Why a sink?

    Softmax forces every query to spend exactly 1 unit of attention. A head that has nothing
    useful to read still has to put it somewhere; if the place it puts it contributes little,
    attending there is close to a **no-op**. Three tests on SmolLM2, where sinks are strong:

    1. **Value norms.** What a head moves from position *j* is its value vector times W_O,
       ‖v_j W_O‖. At the sink it should be small.
    2. **Moving it.** Put a different first token (none, or an ordinary word): does the sink follow
       the token `<|endoftext|>`, or stay on position 0?
    3. **Ablating it.** From layer 12 on, (a) forbid attention to position 0 and renormalise each
       row, so the attention must go elsewhere; (b) keep the attention but drop what position 0
       writes (the first column's share is removed, not redistributed).
    """),
    code("""
    // A longer text for the loss; value norms ‖v_j W_O‖ of every head with its sink, at the first token and elsewhere.
    const long = "<|endoftext|>The old man walked slowly to the church, and the old man sat down on the bench by the door. He had come every Sunday for forty years, and he knew every stone of the floor.";
    const ids = Array.from(sm.toTokens(long).ids);
    const nKV = sm.config.nKVHeads ?? H;
    const { logits: lg0, cache: c0 } = sm.runWithCache([ids], { names: Array.from({ length: L }, (_, l) => actName("v", l)) });
    const ratios: number[] = []; // per sink head (sink score > 0.5, layers 12+): ‖v_0 W_O‖ / mean_j>0 ‖v_j W_O‖
    const sinkIdx = argmax(ss.scores.sink), SL = Math.floor(sinkIdx / H), SH = sinkIdx % H;
    let sinkHeadNorms = [0, 0];
    for (let l = 12; l < L; l++) {
      const norms = tf.tidy(() => {
        const v = c0.get(actName("v", l)).squeeze([0]).transpose([1, 0, 2]) as tf.Tensor3D; // [kv head, pos, e]
        const vq = tf.gather(v, Array.from({ length: H }, (_, h) => Math.floor((h * nKV) / H))); // [head, pos, e]
        return tf.matMul(vq, sm.weights.blocks[l].W_O).norm("euclidean", -1).arraySync() as number[][]; // [head, pos]
      });
      for (let h = 0; h < H; h++) {
        const other = norms[h].slice(1).reduce((a, b) => a + b, 0) / (norms[h].length - 1);
        if (ss.scores.sink[l * H + h] > 0.5) ratios.push(norms[h][0] / other);
        if (l === SL && h === SH) sinkHeadNorms = [norms[h][0], other];
      }
    }
    lg0.dispose(); c0.dispose();
    const smallerAtSink = ratios.filter((r) => r < 1).length;
    const medianRatio = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    console.log(`strongest sink head ${SL}.${SH} (attention on the first token ${f2(ss.scores.sink[sinkIdx])}): ‖v W_O‖ ${f2(sinkHeadNorms[0])} at the first token, ${f2(sinkHeadNorms[1])} on average elsewhere`);
    console.log(`sink heads of layers 12–29: ${smallerAtSink} of ${ratios.length} write less from the first token than from the others; median ratio ${f2(medianRatio)}`);
    """),
    md("""
    The strongest sink head, 18.8<!--=sinkHead-->, moves a vector of norm 5.37<!--=sinkHeadNorms[0]-->
    from the first token against 74.00<!--=sinkHeadNorms[1]--> on average from the others; for
    all 137<!--=nSinkHeads12--> sink heads of layers 12 to 29 the first token's is the smaller<!--claim: smallerAtSink == nSinkHeads12-->
    (median ratio 0.20<!--=medianRatio-->).
    """),
    code("""
    // Move the sink: the same sentence after different first tokens.
    const starts = ["<|endoftext|>", "", "Yesterday ", "Blue "];
    const moved: Record<string, number> = {};
    console.table(starts.map((s) => {
      const sc = headScores(sm, s + text, { detectors: [] });
      const late = Array.from(sc.scores.sink.slice(12 * H));
      moved[s.trim() || "(none)"] = +(late.reduce((a, b) => a + b, 0) / late.length).toFixed(3);
      return { "first token": JSON.stringify(sc.tokens[0][0]), "mean attention on position 0, layers 12–29": f2(moved[s.trim() || "(none)"]) };
    }));
    """),
    md("""
    Whatever comes first, layers 12 to 29 put about the same share on position 0 (between 0.69 and
    0.72<!--claim: all(0.69 <= moved[k] <= 0.72 for k in moved)-->): the sink belongs to
    the first position, not to the `<|endoftext|>` token.
    """),
    code("""
    // Ablate the sink from layer 12 on: (a) forbid attention to position 0 and renormalise; (b) drop what position 0 writes.
    const firstColumn = (renormalise: boolean) => Array.from({ length: L - 12 }, (_, k) => ({ name: actName("pattern", 12 + k), fn: (p: tf.Tensor) => tf.tidy(() => {
      const n = p.shape[3]!;
      const keep = tf.tensor2d(Array.from({ length: n * n }, (_, j) => (j % n === 0 && j >= n ? 0 : 1)), [n, n]); // row 0 keeps its only key
      const q = p.mul(keep);
      return renormalise ? q.div(q.sum(-1, true)) : q;
    }) }));
    const lossWith = (hooks: ReturnType<typeof firstColumn>) => {
      const { logits } = sm.runWithHooks([ids], hooks);
      const l = meanLoss(logits, ids)[0];
      logits.dispose();
      return +l.toFixed(3);
    };
    const sinkAblation = { normal: lossWith([]), forbidden: lossWith(firstColumn(true)), dropped: lossWith(firstColumn(false)) };
    console.table({ "nothing changed": { "loss (nats/token)": sinkAblation.normal },
                    "(a) no attention to position 0, rows renormalised": { "loss (nats/token)": sinkAblation.forbidden },
                    "(b) position 0's share dropped, not redistributed": { "loss (nats/token)": sinkAblation.dropped } });
    """),
    md("""
    Both interventions hurt: forbidding the sink raises the loss from 2.77<!--=sinkAblation["normal"]-->
    to 3.66<!--=sinkAblation["forbidden"]--> nats per token (the heads must now attend to real
    tokens, and what they read there is not a no-op), and dropping what the sink writes raises it
    to 3.62<!--=sinkAblation["dropped"]-->. So the sink is a place to park attention, as Xiao et
    al. (2023) argue, but not a free one here: what it writes is small per head, yet summed over the
    many sink heads later layers depend on it. Keeping the first tokens' keys and values when old
    context is dropped (StreamingLLM) keeps both.

    ## 5. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 1: attention patterns", questions: [
      checklistQuestion("sink"),
      { kind: "short", id: "sink-measure", placeholder: "a quantity",
        prompt: "Which quantity, measured at the sink token, shows that the attention parked there adds little to the head's output?",
        keywords: [["value", "values", "v"], ["norm", "norms", "size", "magnitude", "length"]],
        misconceptions: [{ match: /^(the )?attention( weight)?s?$/i, message: "the attention weight on the sink is large; what is small is what it multiplies." }],
        explanation: "The norm of the value vector (times W_O) at the sink: attention × a small vector contributes little." },
      { kind: "choice", id: "causal-mask", prompt: "Why is the upper triangle of SmolLM2's heatmaps empty, while MiniLM's are full squares?",
        choices: ["Those heads are dead.", "The causal mask: a token may attend only to itself and earlier tokens.", "Softmax sets small weights to zero."],
        answer: 1, why: ["the same heads attend fine below the diagonal.", undefined, "softmax never gives exactly zero; the mask adds −∞ before it."],
        explanation: "SmolLM2 predicts the next token, so position i may only read positions ≤ i; MiniLM, an encoder, has no such mask." },
    ] });
    q
    """),
    code("""
    // Exercise 2: answer the questions in the widget above, or from code with `await q.answer(id, answer)`.
    await q.answer("sink", 1);
    await q.answer("sink-measure", "the norm of the value vector");
    await q.answer("causal-mask", 1);
    q.progress
    """, tags=["solution"]),
    code("""
    console.log("finding: " + JSON.stringify({
      smBest: smBest, miniBest: miniBest, sepBest: sepBest, sinkHeads: sinkHeads, sinkHeadsFrom12: sinkHeadsFrom12, sinkHeadsByLayer: sinkHeadsByLayer,
      sinkHead: `${SL}.${SH}`, sinkScore: +ss.scores.sink[sinkIdx].toFixed(3),
      sinkHeadNorms: sinkHeadNorms.map((x) => +x.toFixed(3)), smallerAtSink: smallerAtSink, nSinkHeads12: ratios.length, medianRatio: +medianRatio.toFixed(3),
      moved: moved, sinkAblation: sinkAblation,
      miniTokens: [mini.toStrTokens(text)[0], mini.toStrTokens(text).slice(-1)[0]],
    }));
    """, tags=["finding"]),
]
