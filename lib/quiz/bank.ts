/**
 * The checklist: the six questions the tutorials answer, one per notebook, as quiz
 * questions. Notebooks ask the one they answer; 07-checklist gathers all six.
 */
import type { ChoiceQuestion, Question } from "./check";
import { Quiz, type QuizOptions } from "./quiz";

export const CHECKLIST: ChoiceQuestion[] = [
  {
    kind: "choice",
    id: "sink",
    source: "01-attention-patterns.ipynb",
    prompt: "Many heads put most of their attention on the first token, even when that token is irrelevant to the sentence. Why?",
    choices: [
      "The first token carries the most information about the sentence, so the heads read it.",
      "Softmax makes every query spend a total attention of 1. A head with nothing useful to read parks that attention on a token whose value vector is small, and the first token, visible to every query, becomes that sink.",
      "The positional embedding of position 0 is the largest, so its key always wins.",
      "It is an artefact of the causal mask: position 0 is the only key every query can see, so attention has to go there.",
    ],
    answer: 1,
    why: [
      "the sink appears even when position 0 holds a meaningless token; what it contributes (attention × value) is tiny.",
      undefined,
      "the sink follows the first token when you move it, not a position embedding; and a large key would not explain why the head's output stays small.",
      "every query can also see itself and all earlier tokens; the mask explains where a sink can form, not why the head dumps attention at all.",
    ],
    explanation:
      "Attention weights sum to 1, so a head cannot attend to nothing. When no key is useful it needs a no-op: a token whose value vector is small, so attention × value adds little to the residual stream. The first token is seen by every query and becomes that sink (Xiao et al. 2023). Notebook 1 measures the value-vector norm at the sink and ablates it.",
  },
  {
    kind: "choice",
    id: "jain-wallace",
    source: "02-attention-is-not-explanation.ipynb",
    prompt: "What is the core argument of Jain & Wallace (2019), 'Attention is not Explanation'?",
    choices: [
      "Attention weights are random noise and carry no information about the input.",
      "Attention weights often agree poorly with gradient and leave-one-out importance, and very different attention distributions (permuted or adversarial) can give nearly the same prediction, so attention weights alone are not a faithful explanation.",
      "Attention heatmaps are hard to draw for long inputs, so they cannot be read by people.",
      "Attention explains the prediction exactly whenever the model is accurate.",
    ],
    answer: 1,
    why: [
      "attention does track something (often token frequency or position); the claim is that it is not a faithful account of why the output came out as it did.",
      undefined,
      "the argument is about faithfulness, not about drawing: a perfect heatmap can still mislead.",
      "accuracy says nothing about which inputs mattered; the permutation and adversarial experiments show the same prediction with very different attention.",
    ],
    explanation:
      "Jain & Wallace test two things a faithful explanation should satisfy: agreement with other importance measures (Kendall τ against gradients and leave-one-out is often low) and exclusivity (permuting attention or searching for adversarial attention with large JSD changes the output very little). Notebook 2 runs both live; attention × value norm and one head's share of the layer's output show why raw weights mislead.",
  },
  {
    kind: "choice",
    id: "induction",
    source: "03-induction-heads.ipynb",
    prompt: "How does the two-layer induction circuit predict the second half of a repeated sequence, and what is K-composition?",
    choices: [
      "A single layer-1 head attends to the earlier copy of the current token itself and copies that token.",
      "A layer-0 previous-token head writes 'the token before me' into each position. A layer-1 induction head builds its keys from that output (K-composition: its W_K reads what the earlier head's W_OV wrote), so a query for token A finds the position just after the earlier A and copies the token found there.",
      "Both heads are in layer 0 and their outputs are added, so no composition is needed.",
      "The layer-1 head's values read the layer-0 head's output (V-composition), so it copies the previous token.",
    ],
    answer: 1,
    why: [
      "attending to the earlier copy of the same token is a duplicate-token head; copying that token would predict the current token again, not the next one.",
      undefined,
      "heads in the same layer read the same input and cannot use each other's output: the circuit needs two layers.",
      "the layer-0 information enters the induction head's keys, not its values: it decides where to look, and the value copies the token found there.",
    ],
    explanation:
      "The previous-token head (layer 0) moves each token's identity one position forward. The induction head (layer 1) matches its query (the current token) against keys that carry 'my previous token', which is K-composition, measured by ‖W_QK^B · W_OV^A‖ relative to the product of the norms. Attending to the token after the earlier occurrence and copying it predicts the repeat. Notebook 3 finds both heads from patterns, then ablates each and watches the in-context loss rise.",
  },
  {
    kind: "choice",
    id: "probing",
    source: "04-probing.ipynb",
    prompt: "A linear probe predicts part-of-speech tags from layer 3 with 95% accuracy. What does that show?",
    choices: [
      "The model uses part of speech at layer 3 to make its predictions.",
      "Layer 3 is where the model computes part of speech.",
      "Part of speech can be decoded from layer 3. How much of that is the representation rather than the probe shows in a control task (selectivity = task − control accuracy) and the majority baseline; whether the model uses it needs a causal test.",
      "Nothing: probes always reach high accuracy.",
    ],
    answer: 2,
    why: [
      "decodable is not used: the model may ignore information that a probe can read. Use needs an intervention.",
      "an earlier layer, or even the word embedding, may already decode as well; and decodability is not computation.",
      undefined,
      "probes do not always succeed, but a big probe can learn the task by itself, which is why a control task is needed.",
    ],
    explanation:
      "A probe tests whether a property can be decoded from a representation. High accuracy can come from the probe memorising word identity: Hewitt & Liang's control task gives each word type a random fixed label, and selectivity (task − control) shows how much is the representation. An MLP probe reaches high control accuracy too. Even a selective probe says nothing about use, which needs ablation or patching.",
  },
  {
    kind: "choice",
    id: "causal-tracing",
    source: "05-causal-tracing.ipynb",
    prompt: "Which describes causal tracing (Meng et al. 2022) and its main finding?",
    choices: [
      "Train a probe on each layer to find the fact, and report the layer with the best accuracy.",
      "Run the clean prompt; corrupt the subject tokens' embeddings with Gaussian noise and run again; then, in the corrupted run, restore one clean hidden state (token, layer) at a time and measure how much of the correct answer's probability returns. In GPT-2 XL, restoring MLP outputs at the last subject token in middle layers brings back much of it.",
      "Look at which tokens the last position attends to; the most attended subject token stores the fact.",
      "Delete each layer in turn and report the layer whose removal lowers accuracy the most.",
    ],
    answer: 1,
    why: [
      "a probe tells what can be decoded, not what carries the answer causally.",
      undefined,
      "attention weights are not evidence of causal influence; causal tracing intervenes on hidden states.",
      "deleting a whole layer damages everything after it; tracing restores one state into a corrupted run to locate where the information flows.",
    ],
    explanation:
      "Clean run, corrupted run (noise 3σ on the subject embeddings), restoration runs: the indirect effect of a state is p(restored) − p(corrupted). Hidden-state, MLP and attention restoration give three maps; in ROME's GPT-2 XL, averaged over token classes, the last subject token's MLPs in middle layers stand out and attention matters at the last token late. In SmolLM2-135M (notebook 5) the late site is the same, but the early site is the layer-0 MLP, not the middle layers. The result depends on the corruption (noise level, which tokens) and on the restoration window.",
  },
  {
    kind: "choice",
    id: "causal-method",
    source: "06-choosing-a-method.ipynb",
    prompt: "You want to know whether one input token causally influenced the model's output. Which method answers that?",
    choices: [
      "Look at the attention weights on that token.",
      "Train a probe to decode the token's identity from the last layer.",
      "Intervene: ablate the token's activations or patch them from a run where the token differs (activation patching), and measure how much the output changes.",
      "Check that the token appears in the top-k of the output distribution.",
    ],
    answer: 2,
    why: [
      "attention says where a head read from, not whether that changed the output (notebook 2).",
      "a probe shows the information is present, not that the output depends on it.",
      undefined,
      "the output distribution says what was predicted, not which input caused it.",
    ],
    explanation:
      "Only an intervention tests a causal claim: change the token's activations (ablate them, or patch them in from a corrupted prompt) and measure the change in the output metric. Attention visualisation and probing make hypotheses; activation patching and ablation test them.",
  },
];

/** One checklist question by id (a copy, so a notebook may edit it). */
export function checklistQuestion(id: string): ChoiceQuestion {
  const q = CHECKLIST.find((x) => x.id === id);
  if (!q) throw new Error(`checklistQuestion: id must be one of ${CHECKLIST.map((x) => x.id).join(", ")}; got ${JSON.stringify(id)}`);
  return { ...q, choices: [...q.choices], why: q.why ? [...q.why] : undefined };
}

/** The checklist quiz: the six questions, plus any extra ones (e.g. show-me questions). */
export function checklist(extra: Question[] = [], opts: Omit<QuizOptions, "questions"> = {}): Quiz {
  return new Quiz({
    title: opts.title ?? "Checklist: what the tutorials answer",
    intro: opts.intro ?? "One question per notebook. Each answer is checked at once; wrong answers say why, and you may try again.",
    questions: [...CHECKLIST.map((q) => checklistQuestion(q.id)), ...extra],
  });
}
