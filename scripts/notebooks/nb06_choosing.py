from nbgen import code, md, playground

NAME = "06-choosing-a-method"
REQUIRES = ["smollm2-135m"]
CLAIMS = True

PROMPT = "<|endoftext|>When Mary and John went to the store, John gave a drink to"

CELLS = [
    md("""
    # 6. Choosing a method

    **You will learn** which interpretability method answers which question, by running them
    **side by side on one prompt the model solves**, and why "did this token causally influence
    the output?" needs an intervention (activation patching, ablation, causal tracing) rather than
    a picture of attention or a probe.

    **Time:** about 25 minutes to work through; Run All takes under a minute (38 s in a fresh
    clone's test run on the 2-core development machine, kernel start and model load included, more
    on a busy machine); the causal tracing and patching cells take longest.

    **Model:** SmolLM2-135M-Instruct (`loadModel("smollm2-135m")`, card in
    `models/smollm2-135m/README.md`): 30 layers of 9 query heads. Heads are named "layer.head".

    **The prompt** (indirect object identification, Wang et al. 2022): "When Mary and John went to
    the store, John gave a drink to" → the model should say " Mary", the name that is *not*
    repeated. The **corrupted** prompt changes one token, the second " John" into " Mary"
    ("…, Mary gave a drink to"), which should turn the answer into " John". The metric of the
    causal methods is the logit difference logit(" Mary") − logit(" John") at the last position.

    The questions, and the method that answers each (section 7 fills this table in with what
    each method found on this prompt, and what it cost):

    | Method | The question it answers | Causal? |
    |---|---|---|
    | Attention visualisation | Where does each head read from? | No |
    | Probing classifier | Can a property be decoded from a layer? | No |
    | Activation patching / ablation | Does the output depend on this activation (for this input pair)? | Yes |
    | Causal tracing | Which hidden states carry the information, token × layer? | Yes |
    | Direct logit attribution | Which heads and MLPs write the answer's logit directly? | No (direct effect only) |
    | Attribution patching | Roughly what would every patch do, from one backward pass? | Approximates patching |
    """),
    code(f"""
    import {{ loadModel, actName, wilsonInterval, Rng, patchResidByPos, patchHeadOut, causalTrace, logitDiff,
             logitAttribution, attributionPatching, pearson, figure, progressBar, DISPLAY, quiz, checklistQuestion, tokenInfluenceCheck }} from "attnlab";

    const model = await loadModel("smollm2-135m");
    const {{ nLayers, nHeads }} = model.config;
    // <|endoftext|> first, as the card measures (documents start with it in training).
    const CLEAN = {PROMPT!r};
    const CORRUPT = CLEAN.replace(", John gave", ", Mary gave");
    const tokens = model.toStrTokens(CLEAN);
    const IO = tokens.indexOf(" Mary"), S1 = tokens.indexOf(" John"), S2 = tokens.lastIndexOf(" John"), LAST = tokens.length - 1;
    const tokOf = (s: string) => model.tokenizer!.encode(s, {{ addSpecialTokens: false }}).ids;
    const MARY = tokOf(" Mary")[0], JOHN = tokOf(" John")[0];
    const headName = (i: number) => `${{Math.floor(i / nHeads)}}.${{i % nHeads}}`;
    const fmt = (x: number) => x.toFixed(3);
    // What each method cost in this run: wall-clock time on this machine and what it ran.
    const cost: Record<string, {{ ms: number; runs: string }}> = {{}};
    async function timed<T>(name: string, runs: string, f: () => T | Promise<T>): Promise<T> {{
      const t0 = performance.now();
      const out = await f();
      cost[name] = {{ ms: Math.round(performance.now() - t0), runs }};
      return out;
    }}
    const first = (() => {{
      const lg = model.run([Array.from(model.toTokens(CLEAN).ids), Array.from(model.toTokens(CORRUPT).ids)]); // [2, pos, vocab]
      const diff = logitDiff(lg, MARY, JOHN);
      const top = Array.from(lg.slice([0, LAST, 0], [2, 1, -1]).argMax(-1).dataSync() as Int32Array, (id) => model.toStrTokens([id])[0]);
      lg.dispose();
      return {{ cleanDiff: diff[0], corruptDiff: diff[1], topClean: top[0], topCorrupt: top[1] }};
    }})();
    console.log(`tokens: ${{tokens.map((t, i) => `${{i}}:${{JSON.stringify(t)}}`).join(" ")}}`);
    console.log(`clean:     top next token ${{JSON.stringify(first.topClean)}}, logit(" Mary") − logit(" John") = ${{fmt(first.cleanDiff)}}`);
    console.log(`corrupted: top next token ${{JSON.stringify(first.topCorrupt)}}, logit(" Mary") − logit(" John") = ${{fmt(first.corruptDiff)}}`);
    """),
    md("""
    The model solves the prompt: " Mary" on the clean prompt, " John" on the corrupted
    one<!--claim: topClean == " Mary" and topCorrupt == " John"-->, with logit differences 3.72<!--=cleanDiff--> and −7.83<!--=corruptDiff-->.

    ## 1. Attention visualisation: a hypothesis

    At the last position (" to", where " Mary" is predicted), how much does each head attend to
    " Mary" (position 2), and how much to the two " John"s? A head that reads " Mary" is a
    *candidate* for copying the answer. Nothing here says the output depends on it.
    """),
    code("""
    let attnFigure: unknown;
    const attn = await timed("attention", "1 forward pass, every layer's pattern cached", () => {
      const { logits, cache } = model.runWithCache(CLEAN, { names: Array.from({ length: nLayers }, (_, l) => actName("pattern", l)) });
      logits.dispose();
      const P = tokens.length, toIO = new Float32Array(nLayers * nHeads), toS = new Float32Array(nLayers * nHeads);
      for (let l = 0; l < nLayers; l++) {
        const p = cache.get(actName("pattern", l)).dataSync() as Float32Array; // [1, head, query, key]
        for (let h = 0; h < nHeads; h++) {
          const row = (h * P + LAST) * P;
          toIO[l * nHeads + h] = p[row + IO];
          toS[l * nHeads + h] = p[row + S1] + p[row + S2];
        }
      }
      const best = Array.from(toIO.keys()).reduce((bi, i) => (toIO[i] > toIO[bi] ? i : bi), 0);
      attnFigure = figure(cache, tokens, { layer: Math.floor(best / nHeads), head: best % nHeads, title: "Attention on the clean prompt (every layer and head)" });
      cache.dispose();
      return { toIO, toS };
    });
    const byAttn = Array.from(attn.toIO.keys()).sort((a, b) => attn.toIO[b] - attn.toIO[a]);
    console.table(byAttn.slice(0, 6).map((i) => ({ head: headName(i), 'attention to " Mary"': fmt(attn.toIO[i]), 'to the " John"s': fmt(attn.toS[i]) })));
    attnFigure
    """),
    md("""
    Head 23.0<!--=attnTop[0]--> attends most to " Mary" from the last position
    (0.38<!--=attnToIO[attnTop[0]]-->), and it puts even more on the two " John"s
    (0.45<!--=attnToS[attnTop[0]]-->). Attention alone cannot say which of these reads matter.

    ## 2. A probe: is the answer decodable?

    A linear probe on the residual stream at the last position, for 32 other prompts of the same
    template (other names, places and objects; Mary and John never appear): 16 pairs of names,
    each once with the first and once with the second name repeated. The label: is the answer the
    **first** or the **second** name? The probe is the simplest linear one, the difference of the
    two classes' mean activations (features standardised), tested by leaving out one pair of
    names at a time (each prompt is predicted by a probe that never saw its names). The control
    is the same probe on shuffled labels: what it finds where there is nothing to find. Then each
    layer's probe, trained on all 32, reads our prompt (the answer, " Mary", is the first name).
    """),
    code("""
    const NAMES = ["Alice", "Bob", "Tom", "Anna", "James", "Sarah", "David", "Emma", "Paul", "Lisa", "Mark", "Kate", "Peter", "Laura", "Mike", "Jane"];
    const PLACES = ["store", "park", "school", "beach", "office", "garden"], THINGS = ["drink", "book", "ball", "gift", "letter", "key"];
    const PAIRS = NAMES.map((a, k) => [a, NAMES[(k * 5 + 3) % NAMES.length]]);
    const prompts: string[] = [], labels: number[] = [], pairOf: number[] = [];
    PAIRS.forEach(([a, b], k) => {
      for (const repeated of [b, a]) { // b repeated: the answer is a, the first name (label 1)
        prompts.push(`<|endoftext|>When ${a} and ${b} went to the ${PLACES[k % 6]}, ${repeated} gave a ${THINGS[(k * 5) % 6]} to`);
        labels.push(repeated === b ? 1 : 0);
        pairOf.push(k);
      }
    });
    const shuffled = new Rng(1).permutation(labels.length).map((i) => labels[i]);
    // Difference-of-means probe on standardised features; predicts 1 on the class-1 side of the midpoint.
    function meanProbe(X: Float32Array[], y: number[], train: number[]) {
      const d = X[0].length, mu = new Float64Array(d), sd = new Float64Array(d), m1 = new Float64Array(d), m0 = new Float64Array(d);
      for (const i of train) for (let j = 0; j < d; j++) mu[j] += X[i][j] / train.length;
      for (const i of train) for (let j = 0; j < d; j++) sd[j] += (X[i][j] - mu[j]) ** 2 / train.length;
      for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) + 1e-6;
      const n1 = train.filter((i) => y[i] === 1).length, n0 = train.length - n1;
      for (const i of train) for (let j = 0; j < d; j++) { const z = (X[i][j] - mu[j]) / sd[j]; if (y[i] === 1) m1[j] += z / n1; else m0[j] += z / n0; }
      return (x: Float32Array) => { let s = 0; for (let j = 0; j < d; j++) s += ((x[j] - mu[j]) / sd[j] - (m0[j] + m1[j]) / 2) * (m1[j] - m0[j]); return s > 0 ? 1 : 0; };
    }
    const probeBar = progressBar("probing the last position, layer by layer");
    const pr = await timed("probe", `1 forward pass of ${prompts.length + 1} prompts; ${nLayers} layers × ${PAIRS.length} folds, task and control`, async () => {
      const rows = [...prompts, CLEAN].map((s) => Array.from(model.toTokens(s).ids));
      if (new Set(rows.map((r) => r.length)).size !== 1) throw new Error("every probe prompt must have as many tokens as the clean one (one-token names, places and things)");
      const T = rows[0].length, d = model.config.dModel, N = prompts.length;
      const { logits, cache } = model.runWithCache(rows, { names: Array.from({ length: nLayers }, (_, l) => actName("resid_post", l)) });
      logits.dispose();
      const out = { acc: [] as number[], low: [] as number[], high: [] as number[], control: [] as number[], onPrompt: [] as string[] };
      const all = Array.from({ length: N }, (_, i) => i);
      for (let l = 0; l < nLayers; l++) {
        if (l % 5 === 0) { probeBar({ done: l, total: nLayers, etaSeconds: null }); await new Promise((r) => setImmediate(r)); }
        const act = cache.get(actName("resid_post", l)).dataSync() as Float32Array; // [N + 1, T, d]
        const X = Array.from({ length: N + 1 }, (_, i) => act.slice((i * T + T - 1) * d, (i * T + T) * d));
        const crossValidated = (y: number[]) => all.filter((i) => meanProbe(X, y, all.filter((j) => pairOf[j] !== pairOf[i]))(X[i]) === y[i]).length;
        const correct = crossValidated(labels);
        const [lo, hi] = wilsonInterval(correct, N);
        out.acc.push(correct / N); out.low.push(lo); out.high.push(hi);
        out.control.push(crossValidated(shuffled) / N);
        out.onPrompt.push(meanProbe(X, labels, all)(X[N]) === 1 ? "first" : "second");
      }
      probeBar({ done: nLayers, total: nLayers, etaSeconds: null });
      cache.dispose();
      return out;
    });
    // The first run of layers that decode the held-out prompts at 0.9 or better.
    const probeFrom = pr.acc.findIndex((a) => a >= 0.9);
    let probeTo = probeFrom;
    while (probeFrom >= 0 && probeTo + 1 < nLayers && pr.acc[probeTo + 1] >= 0.9) probeTo++;
    console.log(`decodable (cross-validated accuracy ≥ 0.9) in layers ${probeFrom}–${probeTo}`);
    console.table(Array.from({ length: nLayers }, (_, l) => l).filter((l) => l % 3 === 0 || l === nLayers - 1).map((l) => ({ layer: l, "accuracy (held-out pairs)": fmt(pr.acc[l]),
      "shuffled-label control": fmt(pr.control[l]), "on our prompt the answer is the": `${pr.onPrompt[l]} name` })));
    figure({ view: "probe", title: "Is the answer the first or the second name? (linear probe at the last position, resid_post)", layers: Array.from({ length: nLayers }, (_, l) => l),
      properties: [{ name: "answer = first name", accuracy: pr.acc, lower: pr.low, upper: pr.high, control: pr.control, majority: 0.5 }] })
    """),
    md("""
    The probe decodes the answer's position on held-out names in layers
    18<!--=probeFrom-->–22<!--=probeTo--> (accuracy at least 0.9<!--given--> in each<!--claim: min(probeAcc[probeFrom:probeTo + 1]) >= 0.9-->,
    at best 1.00<!--=max(probeAcc)-->); before them no layer reaches 0.75<!--claim: max(probeAcc[:probeFrom]) < 0.75-->,
    and after them it falls back below 0.9<!--claim: max(probeAcc[probeTo + 1:]) < 0.9-->. The shuffled-label control
    stays at or below 0.69<!--=max(probeControl)-->. (Values below one half, in the early layers, mean there
    is nothing to find: leaving a pair out then tilts the class means against it.) On our prompt
    the probes of layers 18–22<!--claim: probeFrom == 18 and probeTo == 22--> say "first name", i.e. " Mary"<!--claim: all(x == "first" for x in probeOnPrompt[probeFrom:probeTo + 1])-->.

    So the information is *present* at the last position in those layers. Whether the
    prediction *uses* it there, a probe cannot say: it only observes. The next section asks.

    ## 3. Activation patching: does the output depend on it?

    Run the **corrupted** prompt, and copy in one activation from the **clean** run: the residual
    stream entering layer *L* at position *p*. The map shows how much of the clean logit
    difference comes back (1 = all of it, 0 = none). Restoring the second " John" at layer 0 is
    the direct test of "did this token influence the output?": everything else in the two runs is
    the same. The patching engine reuses the corrupted run's cache, so only the positions from the
    patched one on are recomputed.
    """),
    code("""
    const METRIC = { answer: " Mary", wrong: " John" };
    const patch = await timed("patching (residual stream)", "", () => patchResidByPos(model, CLEAN, CORRUPT, { metric: METRIC }));
    cost["patching (residual stream)"].runs = `${patch.data.length} patched runs in ${patch.settings.forwardPasses} batched passes (cached engine)`;
    const P = tokens.length;
    const at = (l: number, p: number) => patch.data[l * P + p];
    const cross = Array.from({ length: nLayers }, (_, l) => l).find((l) => at(l, LAST) > at(l, S2)) ?? -1;
    console.log(`patching the second " John" (position ${S2}) at layer 0 restores ${fmt(at(0, S2))} of the logit difference`);
    console.log(`the last position takes over at layer ${cross}: ${fmt(at(cross, LAST))} there, ${fmt(at(cross, S2))} at the second " John"`);
    console.log(`patching the last position at layer ${nLayers - 1} restores ${fmt(at(nLayers - 1, LAST))}`);
    figure(patch, { title: "Residual stream patching, clean → corrupted" })
    """),
    md("""
    Patching the second " John" at layer 0 restores 1.00<!--=patchS2L0--> of the logit difference:
    that token causally decides the answer. The information stays at that position until the
    middle of the network and reaches the last position late: layer 24<!--=patchCross--> is the
    first where patching the last position restores more than patching the second " John".
    Positions before the second " John" restore nothing<!--claim: patchBeforeMax < 0.001-->: they are the
    same in both prompts and cannot see it. The three words between it and the last position
    restore at most 0.056<!--=patchBetweenMax-->: the answer does not travel through them.

    Back to the probe: it read the answer's position at the last position from layer
    18<!--=probeFrom--> on (the output of layer 18 is the input of layer 19). Yet patching the last
    position at the input of layer 19<!--=probeFrom + 1--> restores −0.016<!--=patchLast[probeFrom + 1]-->
    of the logit difference, i.e. nothing, while patching the second " John" there still restores
    1.005<!--=patchS2[probeFrom + 1]-->: at that layer the output depends on the name's own position,
    not on what the probe reads at the last one. Decodable is not the same as used.

    Which heads move it? Patch each head's output (all positions) instead. The colour range is
    fixed at ±1 (the whole clean effect), so that small effects look small: most heads are noise
    of a few thousandths.
    """),
    code("""
    const heads = await timed("patching (heads)", "", () => patchHeadOut(model, CLEAN, CORRUPT, { metric: METRIC }));
    cost["patching (heads)"].runs = `${heads.data.length} patched runs in ${heads.settings.forwardPasses} batched passes (cached engine)`;
    const absSorted = Array.from(heads.data, Math.abs).sort((a, b) => a - b);
    const headNoise = absSorted[Math.floor(absSorted.length / 2)];
    const byPatch = Array.from(heads.data.keys()).sort((a, b) => Math.abs(heads.data[b]) - Math.abs(heads.data[a]));
    const bigHeads = byPatch.filter((i) => Math.abs(heads.data[i]) > 0.05);
    console.log(`median |effect| over the ${heads.data.length} heads: ${fmt(headNoise)}; heads above 0.05: ${bigHeads.length}`);
    console.table(byPatch.slice(0, 8).map((i) => ({ head: headName(i), "patching effect": fmt(heads.data[i]), 'its attention to " Mary"': fmt(attn.toIO[i]) })));
    figure({ view: "patching", values: { data: heads.data, shape: heads.shape }, kind: "head", metric: 'normalised logit diff " Mary" − " John" (0 corrupted, 1 clean)',
      activation: "z", title: "Which heads carry it? (each head's output patched)", noise: headNoise, options: { range: 1 } })
    """),
    md("""
    Head 23.3<!--=patchTop[0]--> restores the most, 0.50<!--=headEffect[patchTop[0]]--> alone; only
    9<!--=headsOver--> of the 270 heads move the metric by more than 0.05<!--given--> (the median
    head: 0.001<!--=headNoise-->). The head that attended most to " Mary",
    23.0<!--=attnTop[0]-->, restores only 0.10<!--=headEffect[attnTop[0]]-->, and the top patching
    head puts less attention on " Mary" than it does<!--claim: attnToIO[patchTop[0]] < attnToIO[attnTop[0]]-->:
    the attention map ranked the heads differently from the intervention.

    ## 4. Causal tracing: where does the information flow?

    Tracing needs no corrupted prompt: it blurs the second " John" of the clean prompt with
    Gaussian noise (2 samples), then restores one clean hidden state (token × layer, the output of
    layer *L*) at a time and measures p(" Mary"). Notebook 5 does this in depth on facts.
    """),
    code("""
    const trace = await timed("causal tracing", "", () => causalTrace(model, CLEAN, { subject: [S2, S2 + 1], answer: MARY, samples: 2, kinds: ["hidden"], seed: 0, workers: 0 }));
    cost["causal tracing"].runs = `${trace.settings.samples} noised runs × ${(P - S2) * nLayers} restorations (cached)`;
    const hid = trace.grids.hidden!.scores; // [pos, layer]
    const tr = (p: number, l: number) => hid[p * nLayers + l];
    const traceCross = Array.from({ length: nLayers }, (_, l) => l).find((l) => tr(LAST, l) > tr(S2, l)) ?? -1;
    console.log(`p(" Mary"): clean ${fmt(trace.pClean)}, second " John" noised ${fmt(trace.pCorrupted)}`);
    console.log(`restoring the second " John" after layer 0: ${fmt(tr(S2, 0))}; the last position takes over after layer ${traceCross} (${fmt(tr(LAST, traceCross))})`);
    figure(trace)
    """),
    md("""
    Noising one token drops p(" Mary") from 0.80<!--=pClean--> to 0.15<!--=pCorrupted-->. Restoring
    the second " John" right after layer 0 brings back 0.80<!--=traceS2L0-->; the last position
    takes over after layer 20<!--=traceCross--> (the output of layer 20 is the input of layer 21).
    Patching put the hand-over a few layers later, at layer 24<!--=patchCross--><!--claim: traceCross + 1 <= patchCross <= traceCross + 4-->:
    the two corruptions differ (another name in the slot, or noise), and the maps differ in
    detail, but both say where the deciding token is read and that the last position reads it in
    the twenties<!--claim: 20 <= traceCross and patchCross <= 29-->.

    ## 5. Which heads write the answer? Direct logit attribution

    The last residual stream is a sum: the token embedding, every head's output and every MLP's
    output. The final RMSNorm is not linear, but with its scale held at the value this run
    computed, each part can be read through the unembedding on its own: its **direct**
    contribution to logit(" Mary") − logit(" John"). The parts add up to the model's logit
    difference; the first line below checks that on this prompt. Direct means direct: a head
    whose output is used by a later head or MLP gets no credit here.
    """),
    code("""
    const dla = await timed("direct logit attribution", "1 forward pass with cache", () => logitAttribution(model, CLEAN, { answer: " Mary", against: " John" }));
    const sumOf = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0);
    console.log(`logit difference ${fmt(dla.value)}; components + frozen bias terms ${fmt(dla.total)} (|gap| ${Math.abs(dla.total - dla.value).toExponential(1)})`);
    const part = (re: RegExp) => sumOf(dla.components.values.filter((_, i) => re.test(dla.components.labels[i])));
    console.log(`all heads together ${fmt(part(/H/))}, all MLPs ${fmt(part(/mlp/))}, embeddings ${fmt(part(/embed/))}`);
    const byDla = Array.from(dla.heads.keys()).sort((x, y) => Math.abs(dla.heads[y]) - Math.abs(dla.heads[x]));
    console.log("heads with the largest direct effect: " + byDla.slice(0, 4).map((i) => `${headName(i)} ${fmt(dla.heads[i])}`).join(", "));
    console.log(`per-head DLA against the head-patching map of section 3: Pearson r = ${fmt(pearson(dla.heads, heads.data))}`);
    figure(dla)
    """),
    md("""
    The parts add up<!--claim: abs(dlaTotal - dlaValue) < 1e-3-->. The head with the largest direct
    effect is 23.3<!--=dlaTop[0]-->, also the top of the patching map<!--claim: dlaTop[0] == patchTop[0]-->;
    across all heads DLA and patching correlate at r = 0.80<!--=dlaVsPatch-->. Where they differ, a head acts through later
    layers (patching sees that, DLA does not) or its direct write is undone downstream.

    ## 6. Does attribution patching find what activation patching finds, at what cost?

    Activation patching needs one patched run per cell. Attribution patching (Nanda, 2023)
    estimates them all at once: the change a patch makes is approximately
    (clean activation − corrupted activation) · ∂metric/∂activation, with the gradient taken on the
    corrupted run. One forward pass of each prompt and one backward pass give every cell of every
    map. Below: its correlation with the exact maps of section 3, and the time each took in this run.
    """),
    code("""
    const ap = await timed("attribution patching", "2 forward passes + 1 backward pass, both maps", () => attributionPatching(model, CLEAN, CORRUPT, { metric: METRIC, grids: ["resid", "heads"] }));
    const exactMs = cost["patching (residual stream)"].ms + cost["patching (heads)"].ms;
    const cmp = { resid: { est: ap.grids.resid!, exact: patch }, heads: { est: ap.grids.heads!, exact: heads } };
    console.table(Object.entries(cmp).map(([name, { est, exact }]) => {
      const i = est.data.reduce((bi, v, k) => (Math.abs(v - exact.data[k]) > Math.abs(est.data[bi] - exact.data[bi]) ? k : bi), 0);
      const cell = name === "heads" ? headName(i) : `layer ${Math.floor(i / P)}, ${JSON.stringify(tokens[i % P])}`;
      return { map: name, cells: est.data.length, "Pearson r": fmt(pearson(est.data, exact.data)), "largest gap at": cell, estimate: fmt(est.data[i]), exact: fmt(exact.data[i]) };
    }));
    console.log(`attribution patching, both maps: ${cost["attribution patching"].ms} ms; exact patching of the same maps: ${exactMs} ms`);
    figure({ view: "patching", values: { data: ap.grids.resid!.data, shape: ap.grids.resid!.shape }, exact: { data: patch.data, shape: patch.shape }, panels: ["attribution patching (estimate)", "activation patching (exact)"],
      kind: "position", tokens, metric: 'normalised logit diff " Mary" − " John"', activation: "resid_pre", title: "Residual stream: estimate and exact" })
    """),
    md("""
    The estimate follows the exact maps closely on the heads (r = 0.98<!--=rHeads-->) and less well on
    the residual stream (r = 0.89<!--=rResid-->): it is a straight line through the corrupted run,
    and replacing a whole token's residual stream moves the model far from it. It took less time
    than exact patching of the same two maps in this run<!--claim: apMs < exactMs-->; exact
    patching's cost grows with the number of cells, the estimate's stays at two forward passes
    and one backward pass (`docs/benchmarks.md` measures both on a GPT-2-small-sized model).

    ## 7. The table, filled in on this prompt

    The table of the introduction again, with what each method cost and answered here. Only the
    causal rows answer "did the second ' John' influence the output?".
    """),
    code("""
    const ms = (k: string) => `${cost[k].ms} ms: ${cost[k].runs}`;
    const TABLE = [
      { method: "attention", question: "where does each head read from?", "cost in this run": ms("attention"),
        "its answer here": `head ${headName(byAttn[0])} reads " Mary" most (${fmt(attn.toIO[byAttn[0]])})`, "can't show": "whether that read changes the output" },
      { method: "probe", question: "is the answer decodable from a layer?", "cost in this run": ms("probe"),
        "its answer here": `yes in layers ${probeFrom}–${probeTo} (≥ 0.9 on held-out names), less after; shuffled-label control ${fmt(Math.max(...pr.control))} at most`, "can't show": "that the model uses what the probe reads" },
      { method: "activation patching", question: "does the output depend on this activation?", "cost in this run": `${ms("patching (residual stream)")}; heads: ${ms("patching (heads)")}`,
        "its answer here": `yes: the second " John" restores ${fmt(at(0, S2))}; heads: ${headName(byPatch[0])} ${fmt(heads.data[byPatch[0]])}`, "can't show": "anything beyond this prompt pair and this corruption" },
      { method: "causal tracing", question: "which hidden states carry it, token × layer?", "cost in this run": ms("causal tracing"),
        "its answer here": `the second " John" until layer ${traceCross}, then the last position`, "can't show": "effects of on-distribution changes (the noise is off-distribution)" },
      { method: "direct logit attribution", question: "which components write the answer's logit directly?", "cost in this run": ms("direct logit attribution"),
        "its answer here": `head ${headName(byDla[0])} (${fmt(dla.heads[byDla[0]])}); r = ${fmt(pearson(dla.heads, heads.data))} with head patching`, "can't show": "indirect effects through later layers" },
      { method: "attribution patching", question: "roughly, what would every patch do?", "cost in this run": ms("attribution patching"),
        "its answer here": `r = ${fmt(pearson(ap.grids.heads!.data, heads.data))} (heads), ${fmt(pearson(ap.grids.resid!.data, patch.data))} (residual) with exact patching`, "can't show": "large, non-linear effects exactly" },
    ];
    // Shown as a rendered Markdown table (any object with a [DISPLAY]() method shows its mime bundle).
    const cellText = (x: string) => x.replace(/\\|/g, "\\\\|");
    const cols = Object.keys(TABLE[0]) as (keyof (typeof TABLE)[number])[];
    const mdTable = [`| ${cols.join(" | ")} |`, `|${cols.map(() => "---").join("|")}|`, ...TABLE.map((r) => `| ${cols.map((c) => cellText(r[c])).join(" | ")} |`)].join("\\n");
    ({ [DISPLAY]: () => ({ "text/markdown": mdTable, "text/plain": mdTable }) })
    """),
    md("""
    ## 8. Check yourself
    """),
    code("""
    const q = quiz({ title: "Notebook 6: choosing a method", questions: [
      checklistQuestion("causal-method"),
      { kind: "showme", id: "which-token", placeholder: "a token or its position",
        prompt: `Name a token of the prompt that makes the model predict " Mary". The kernel removes it (zeroes its token embedding) and measures p(" Mary").`,
        explanation: "Removing a token and measuring the output is an intervention: a large drop is evidence the token causally influenced the prediction. Attention to it alone would not be.",
        check: tokenInfluenceCheck(model, CLEAN, { answer: MARY }) },
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
    await q.answer("which-token", String(IO));
    await q.answer("which-causal", 1);
    q.progress
    """, tags=["solution"]),
    md("""
    ## What we found

    The summary below recomputes the findings from the runs above (it does not use your answers);
    the notebook test checks every marked sentence of this notebook against it.
    """),
    code("""
    {
      const r3 = (x: number) => +x.toFixed(3);
      const named = (a: ArrayLike<number>, idx: number[]) => Object.fromEntries(idx.map((i) => [headName(i), r3(a[i])]));
      const interesting = [...new Set([...byAttn.slice(0, 3), ...byPatch.slice(0, 8), ...byDla.slice(0, 4)])];
      const finding = {
        topClean: first.topClean, topCorrupt: first.topCorrupt, cleanDiff: r3(first.cleanDiff), corruptDiff: r3(first.corruptDiff),
        attnTop: byAttn.slice(0, 3).map(headName), attnToIO: named(attn.toIO, interesting), attnToS: named(attn.toS, interesting),
        probeAcc: pr.acc.map(r3), probeControl: pr.control.map(r3), probeOnPrompt: pr.onPrompt, probeFrom: probeFrom, probeTo: probeTo,
        patchS2L0: r3(at(0, S2)), patchLastL29: r3(at(nLayers - 1, LAST)),
        patchLast: Array.from({ length: nLayers }, (_, l) => r3(at(l, LAST))), patchS2: Array.from({ length: nLayers }, (_, l) => r3(at(l, S2))), patchCross: cross,
        patchBeforeMax: r3(Math.max(...Array.from({ length: nLayers * P }, (_, i) => (i % P < S2 ? Math.abs(patch.data[i]) : 0)))),
        patchBetweenMax: r3(Math.max(...Array.from({ length: nLayers * P }, (_, i) => (i % P > S2 && i % P < LAST ? Math.abs(patch.data[i]) : 0)))),
        patchTop: byPatch.slice(0, 8).map(headName), headEffect: named(heads.data, interesting), headsOver: bigHeads.length, headNoise: r3(headNoise),
        pClean: r3(trace.pClean), pCorrupted: r3(trace.pCorrupted), traceS2L0: r3(tr(S2, 0)), traceCross: traceCross,
        dlaValue: dla.value, dlaTotal: dla.total, dlaTop: byDla.slice(0, 4).map(headName), dlaVsPatch: r3(pearson(dla.heads, heads.data)),
        rResid: r3(pearson(ap.grids.resid!.data, patch.data)), rHeads: r3(pearson(ap.grids.heads!.data, heads.data)),
        apMs: cost["attribution patching"].ms, exactMs: exactMs, costMs: Object.fromEntries(Object.entries(cost).map(([k, v]) => [k, v.ms])),
      };
      console.log("finding: " + JSON.stringify(finding));
    }
    """, tags=["finding"]),
]

# The playground on this notebook's model, right after the cell that loads it.
playground(CELLS, "model", PROMPT)
