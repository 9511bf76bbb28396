from nbgen import code, md

NAME = "01-attention-patterns"
REQUIRES = ["brown-gpt", "brown-bert"]

CELLS = [
    md("""
    # 1. What attention patterns look like

    **You will learn** to read attention heatmaps and the head-score grid, to recognise the common
    head types (previous-token/diagonal, first-token sink, induction, syntactic, copy), and why a
    **sink** forms on the first token even when that token is irrelevant, tested by measuring the
    value vectors there and by ablating and moving the sink.

    **Time:** about 30 minutes to work through; Run All takes under a minute.

    **Models:** `brown-gpt` (4-layer GPT-2, causal), `brown-bert` (4-layer BERT, bidirectional),
    and `all-MiniLM-L6-v2` (a real pretrained BERT) when its package is installed.
    """),
    code("""
    import { loadModel, loadPretrained, attentionPattern, headScores, actName, meanLoss, figure, quiz, checklistQuestion } from "attnlab";
    import * as tf from "@tensorflow/tfjs";

    const gpt = await loadModel("brown-gpt");
    const bert = await loadModel("brown-bert");
    const fmt = (x: number) => x.toFixed(3);
    const argmax = (a: ArrayLike<number>) => Array.from(a).reduce((bi, x, i, arr) => (x > arr[bi] ? i : bi), 0);
    // Word-level sentence; pairs are [dependent word, head word] for the syntactic score.
    const words = ["The", "old", "man", "walked", "slowly", "to", "the", "church", "and", "the", "old", "man", "sat", "down"];
    const text = words.join(" ");
    // brown-gpt was trained with <|endoftext|> (BOS) at the start of every row; BERT adds [CLS] itself.
    const gptText = "<|endoftext|>" + text;
    const causalPairs: [number, number][] = [[4, 3], [5, 3], [7, 5], [12, 8], [13, 12]];
    const allPairs: [number, number][] = [...causalPairs, [1, 2], [2, 3], [6, 7], [10, 11], [11, 12]];
    console.log(text);
    """),
    md("""
    ## 1. Heatmaps

    Rows are query tokens (attending *from*), columns key tokens (attending *to*). In a causal
    model like GPT-2 the upper triangle is empty: a token cannot look ahead. Flip through the heads
    of each layer: some hug the **diagonal** or the **sub-diagonal** (previous token), some pile
    everything into the **first column** (a sink), some look from the second "old man" back to
    what followed the first one (induction).
    """),
    code("""
    figure(attentionPattern(gpt, gptText, { layer: 0 }))
    """),
    code("""
    figure(attentionPattern(gpt, gptText, { layer: gpt.config.nLayers - 1 }))
    """),
    md("""
    BERT attends in both directions, so the whole square is used. Its first token is `[CLS]` and
    its last `[SEP]`: watch where the attention of "idle" heads goes.
    """),
    code("""
    figure(attentionPattern(bert, text, { layer: 1 }))
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
    const gs = headScores(gpt, gptText, { syntactic: { words: words, pairs: causalPairs } });
    figure(gs, { title: "brown-gpt head scores" })
    """),
    code("""
    const bs = headScores(bert, text, { syntactic: { words: words, pairs: allPairs } });
    figure(bs, { title: "brown-bert head scores" })
    """),
    code("""
    let minilm: Awaited<ReturnType<typeof loadPretrained>> | null = null;
    try {
      minilm = await loadPretrained("sentence-transformers/all-MiniLM-L6-v2");
    } catch (e) {
      console.log(`all-MiniLM-L6-v2 is not installed here (${(e as Error).message.split("\\n")[0]}); skipping it.`);
    }
    minilm ? figure(headScores(minilm, text, { syntactic: { words: words, pairs: allPairs } }), { title: "all-MiniLM-L6-v2 head scores" }) : "no MiniLM"
    """),
    md("""
    **Exercise 1.** For brown-gpt, find the head with the strongest score of each type (previous
    token, sink, induction, syntactic, self) and print them as "layer.head".
    """),
    code("""
    // Exercise 1: the strongest head of each score type in brown-gpt.
    const H = gpt.config.nHeads;
    console.table(Object.fromEntries(Object.entries(gs.scores).map(([k, v]) => { const i = argmax(v); return [k, { head: `${Math.floor(i / H)}.${i % H}`, score: fmt(v[i]) }]; })));
    """, tags=["solution"]),
    md("""
    ## 3. Why a sink?

    Softmax forces every query to spend exactly 1 unit of attention. A head that has nothing
    useful to read still has to put it somewhere; if the place it puts it contributes (almost)
    nothing, attending there is a **no-op**. Three tests on brown-gpt's strongest sink head:

    1. **Value norms.** What the sink would write, ‖v_j W_O‖, should be small at position 0.
    2. **Moving it.** Put a different, irrelevant word first: the sink stays on position 0.
    3. **Ablating it.** Forbid attention to position 0 (in every head) and renormalise: the model
       gets worse, because heads lose their no-op. Zeroing only what position 0 *writes* (its
       value vectors) changes much less.
    """),
    code("""
    const sinkIdx = argmax(gs.scores.sink);
    const SL = Math.floor(sinkIdx / gpt.config.nHeads), SH = sinkIdx % gpt.config.nHeads;
    const { logits: lg0, cache: c0 } = gpt.runWithCache(gptText, { names: [actName("v", SL)] });
    const vnorm = tf.tidy(() => {
      const v = c0.get(actName("v", SL)).squeeze([0]).transpose([1, 0, 2]) as tf.Tensor3D; // [H, pos, e]
      return (tf.matMul(v, gpt.weights.blocks[SL].W_O).norm("euclidean", -1).arraySync() as number[][])[SH]; // ‖v_j W_O‖ [pos]
    });
    lg0.dispose(); c0.dispose();
    const toks = gpt.toStrTokens(gptText);
    const otherMean = vnorm.slice(1).reduce((a, b) => a + b, 0) / (vnorm.length - 1);
    console.log(`sink head ${SL}.${SH}: mean attention on the first token ${fmt(gs.scores.sink[sinkIdx])}`);
    console.log(`‖v W_O‖ at the first token ${JSON.stringify(toks[0])}: ${fmt(vnorm[0])}; mean over the other tokens: ${fmt(otherMean)}`);
    """),
    code("""
    // Move the sink: the same sentence after different first tokens (BOS as in training, none, an irrelevant word).
    const starts = ["<|endoftext|>", "", "Yesterday ", "Blue "];
    console.table(starts.map((s) => {
      const p = attentionPattern(gpt, s + text, { layer: SL, head: SH });
      const n = p.tokens.length;
      let first = 0, theSame = 0;
      for (let i = 0; i < n; i++) first += p.data[i * n] / n;
      // Attention from the tokens of the original sentence to its own first word ("The"), shifted when a word is prepended.
      const k = s ? gpt.toStrTokens(s.trimEnd()).length : 0; // tokens before "The"
      for (let i = k; i < n; i++) theSame += p.data[i * n + k] / (n - k);
      return { "first word": JSON.stringify(p.tokens[0]), "attention on position 0": fmt(first), "attention on \\"The\\"": s ? fmt(theSame) : "(is position 0)" };
    }));
    """),
    code("""
    // Ablate the sink: (a) no attention to position 0 anywhere (rows renormalised); (b) position 0's values zeroed.
    const ids = Array.from(gpt.toTokens(gptText).ids);
    const L = gpt.config.nLayers;
    const noSink = Array.from({ length: L }, (_, l) => ({ name: actName("pattern", l), fn: (p: tf.Tensor) => tf.tidy(() => {
      const n = p.shape[3]!;
      const keep = tf.tensor2d(Array.from({ length: n * n }, (_, k) => (k % n === 0 && k >= n ? 0 : 1)), [n, n]); // row 0 keeps its only key
      const q = p.mul(keep);
      return q.div(q.sum(-1, true));
    }) }));
    const noValue = Array.from({ length: L }, (_, l) => ({ name: actName("v", l), fn: (v: tf.Tensor) => tf.tidy(() => {
      const n = v.shape[1]!;
      const keep = tf.tensor(Array.from({ length: n }, (_, j) => (j === 0 ? 0 : 1)), [1, n, 1, 1]);
      return v.mul(keep);
    }) }));
    const lossWith = (hooks: { name: any; fn: (t: tf.Tensor) => tf.Tensor }[]) => {
      const { logits } = gpt.runWithHooks([ids], hooks);
      const l = meanLoss(logits, ids)[0];
      logits.dispose();
      return l;
    };
    const sinkAblation = { normal: lossWith([]), noAttentionToFirst: lossWith(noSink), firstValuesZeroed: lossWith(noValue) };
    console.table(Object.fromEntries(Object.entries(sinkAblation).map(([k, v]) => [k, { "loss (nats/token)": fmt(v) }])));
    """),
    md("""
    Forbidding the sink hurts more than emptying it: the heads needed a place to put attention
    that changes nothing. That is the StreamingLLM observation (Xiao et al. 2023): keep the first
    tokens' keys and values when you drop old context, or quality collapses.

    ## 4. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 1: attention patterns", questions: [
      checklistQuestion("sink"),
      { kind: "short", id: "sink-measure", placeholder: "a quantity",
        prompt: "Which quantity, measured at the sink token, shows that the attention parked there adds little to the head's output?",
        keywords: [["value", "values", "v"], ["norm", "norms", "size", "magnitude", "length"]],
        misconceptions: [{ match: /^(the )?attention( weight)?s?$/i, message: "the attention weight on the sink is large; what is small is what it multiplies." }],
        explanation: "The norm of the value vector (times W_O) at the sink: attention × a small vector contributes little." },
      { kind: "choice", id: "causal-mask", prompt: "Why is the upper triangle of a GPT-2 heatmap empty?",
        choices: ["Those heads are dead.", "The causal mask: a token may attend only to itself and earlier tokens.", "Softmax sets small weights to zero."],
        answer: 1, why: ["the same heads attend fine below the diagonal.", undefined, "softmax never gives exactly zero; the mask adds −∞ before it."],
        explanation: "GPT-2 predicts the next token, so position i may only read positions ≤ i; BERT has no such mask." },
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
      sinkHead: `${SL}.${SH}`, sinkScore: +gs.scores.sink[sinkIdx].toFixed(3),
      valueNormFirst: +vnorm[0].toFixed(3), valueNormOthers: +otherMean.toFixed(3),
      loss: Object.fromEntries(Object.entries(sinkAblation).map(([k, v]) => [k, +v.toFixed(3)])),
      gptBest: Object.fromEntries(Object.entries(gs.scores).map(([k, v]) => [k, +Math.max(...Array.from(v)).toFixed(3)])),
      bertBest: Object.fromEntries(Object.entries(bs.scores).map(([k, v]) => [k, +Math.max(...Array.from(v)).toFixed(3)])),
      minilm: minilm !== null,
    }));
    """, tags=["finding"]),
]
