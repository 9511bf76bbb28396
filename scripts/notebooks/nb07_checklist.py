from nbgen import code, md

NAME = "07-checklist"
REQUIRES = []

TOPICS = [
    ("sink", "01-attention-patterns.ipynb", "Why does a first-token sink appear, even when position 0 is irrelevant?",
     """{ kind: "short", id: "sink-measure", placeholder: "a quantity",
        prompt: "Which quantity, measured at the sink token, shows that the attention parked there adds little to the head's output?",
        keywords: [["value", "values", "v"], ["norm", "norms", "size", "magnitude", "length"]],
        misconceptions: [{ match: /^(the )?attention( weight)?s?$/i, message: "the attention weight on the sink is large; what is small is what it multiplies." }],
        explanation: "The norm of the value vector at the sink: attention × a small value vector contributes little to the head's output (notebook 1 measures it on SmolLM2, and tests by ablation what the sink still does)." }""",
     '"value-vector norm"'),
    ("jain-wallace", "02-attention-is-not-explanation.ipynb", "What is Jain & Wallace's core argument?",
     """{ kind: "short", id: "jw-correlation", placeholder: "a statistic",
        prompt: "Which rank correlation do Jain & Wallace use to compare attention with gradient and leave-one-out importance?",
        accept: [/kendall/i, /^tau$/i, /^τ$/],
        misconceptions: [{ match: /pearson/i, message: "they compare rankings of tokens, so a rank correlation is used." }],
        explanation: "Kendall's τ between the attention weights and each importance measure, excluding the first and last tokens." }""",
     '"Kendall tau"'),
    ("induction", "03-induction-heads.ipynb", "How does the induction circuit work, and what is K-composition?",
     """{ kind: "short", id: "induction-composition", placeholder: "one term",
        prompt: "The induction head's keys are built from the previous-token head's output. What is this kind of composition called?",
        accept: [/^k[- ]?composition$/i, /^key[- ]composition$/i],
        misconceptions: [{ match: /q[- ]?composition|query/i, message: "the previous-token information enters the induction head's keys, not its query." },
                         { match: /v[- ]?composition|value/i, message: "the values copy the attended token; the previous-token head's information decides where to attend." }],
        explanation: "K-composition: the induction head's W_K reads the subspace the earlier previous-token head's W_OV writes into." }""",
     '"K-composition"'),
    ("probing", "04-probing.ipynb", "What does a probe test, and why is its accuracy not evidence of use?",
     """{ kind: "short", id: "probing-selectivity", placeholder: "a formula or a sentence",
        prompt: "Hewitt & Liang's selectivity: how is it computed?",
        accept: [/task\\s*(accuracy)?\\s*(-|−|–|minus)\\s*control/i],
        keywords: [["difference", "gap", "subtract", "minus"], ["control"]],
        explanation: "Selectivity = task accuracy − control-task accuracy, where the control task gives each word type a fixed random label." }""",
     '"task accuracy - control accuracy"'),
    ("causal-tracing", "05-causal-tracing.ipynb", "What is the causal-tracing procedure, and what does it find?",
     """{ kind: "short", id: "tracing-corruption", placeholder: "a few words",
        prompt: "How does causal tracing corrupt the prompt?",
        keywords: [["noise", "gaussian"], ["subject", "embedding", "embeddings"]],
        misconceptions: [{ match: /mask|delete|remove/i, message: "the tokens stay; their embeddings are blurred with noise, so the corrupted run has the same length and positions." }],
        explanation: "Gaussian noise (3 × the standard deviation of the embeddings) is added to the embeddings of the subject tokens only." }""",
     '"Gaussian noise on the subject token embeddings"'),
    ("causal-method", "06-choosing-a-method.ipynb", "Which method tests whether a token causally influenced the output?",
     """{ kind: "short", id: "method-name", placeholder: "a method",
        prompt: "Name a method that can show a token causally influenced the output.",
        keywords: [["patching", "patch", "ablation", "ablate", "ablating", "intervention", "intervene", "intervening"]],
        misconceptions: [{ match: /attention|probe|probing|saliency/i, message: "that method makes a hypothesis; only an intervention tests a causal claim." }],
        explanation: "Activation patching or ablation: intervene on the token's activations and measure how the output changes." }""",
     '"activation patching"'),
]

CELLS = [
    md("""
    # 7. Checklist: the six questions

    **You will learn** whether you can answer the six questions the tutorials are built around. Each
    question links to the notebook that answers it; answers are checked at once, wrong ones say why,
    and you may try again. Your progress is kept in the widgets and saved with the notebook.

    **Time:** about 15 minutes (Run All takes a few seconds; no model is loaded).
    """),
    code("""
    import { quiz, checklistQuestion, type Quiz } from "attnlab";
    const quizzes: Quiz[] = [];
    """),
]

for i, (qid, source, title, short, answer) in enumerate(TOPICS, 1):
    CELLS.append(md(f"""
    ## {i}. {title}

    Answered in [{source}]({source}).
    """))
    CELLS.append(code(f"""
    const q{i} = quiz({{ title: "{i}. {title}", questions: [
      checklistQuestion("{qid}"),
      {short},
    ] }});
    quizzes.push(q{i});
    q{i}
    """))
    CELLS.append(code(f"""
    // Answer the two questions in the widget above, or from code with `await q{i}.answer(id, answer)`.
    await q{i}.answer("{qid}", checklistQuestion("{qid}").answer);
    await q{i}.answer(q{i}.get("data").questions[1].id, {answer});
    q{i}.progress
    """, tags=["solution"]))

CELLS += [
    md("""
    ## Your progress

    Run this cell to total your answers across the six quizzes.
    """),
    code("""
    {
      const total = quizzes.reduce((s, q) => s + q.progress.total, 0);
      const correct = quizzes.reduce((s, q) => s + q.progress.correct, 0);
      const answered = quizzes.reduce((s, q) => s + q.progress.answered, 0);
      console.log(`${correct} of ${total} correct (${answered} answered)`);
      quizzes.forEach((q) => console.log(`  ${q.get("data").title}: ${q.progress.correct}/${q.progress.total}`));
    }
    """),
    code("""
    console.log("finding: " + JSON.stringify({ progress: quizzes.map((q) => q.progress) }));
    """, tags=["finding"]),
]
