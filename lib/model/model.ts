/** HookedTransformer: the TransformerModel implementation for GPT-2- and BERT-style models. */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import { architecture } from "./architectures";
import { fusedQKV } from "./attention";
import { transposedWin } from "./mlp";
import { paramCount } from "./config";
import { forward, hookState, type ForwardModel } from "./forward";
import { toTokenBatch } from "./tokens";
import type {
  ActivationCache,
  CacheOptions,
  Hook,
  ModelConfig,
  ModelInput,
  ModelWeights,
  TokenBatch,
  Tokenizer,
  TransformerModel,
} from "./types";

/** Weights as built by init/HF loading: W_U may be left out when the unembedding is tied. */
export type WeightsInit = Omit<ModelWeights, "W_U"> & { W_U?: tf.Tensor2D };

function allTensors(w: ModelWeights | WeightsInit, skipLazy: boolean): tf.Tensor[] {
  const out: tf.Tensor[] = [];
  for (const [k, v] of Object.entries(w)) {
    if (k === "blocks") for (const b of v as object[]) out.push(...(Object.values(b).filter((t) => t instanceof tf.Tensor) as tf.Tensor[]));
    else if (v instanceof tf.Tensor && !(skipLazy && k === "W_U")) out.push(v);
  }
  return out;
}

const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);

export class HookedTransformer implements TransformerModel, ForwardModel {
  readonly config: ModelConfig;
  readonly tokenizer?: Tokenizer;
  readonly weights: ModelWeights;
  readonly hookNameSet: ReadonlySet<string>;
  private readonly names: HookName[];
  private lazyWU: tf.Tensor2D | null = null;
  private lazyFrom: tf.Tensor2D | null = null;
  private disposed = false;

  /** Takes ownership of `weights` (dispose() frees them). Shapes are assumed checked by the caller. */
  constructor(config: ModelConfig, weights: WeightsInit, tokenizer?: Tokenizer) {
    this.config = Object.freeze({ ...config });
    this.tokenizer = tokenizer;
    if (weights.W_U) {
      this.weights = weights as ModelWeights;
    } else {
      if (!config.tiedUnembed && !(config.arch === "bert" && !config.mlmHead)) {
        throw new Error("HookedTransformer: weights.W_U is required when the unembedding is not tied");
      }
      // W_U = W_E^T is built on first use (the first forward, or a reader) and rebuilt if W_E is
      // swapped for another tensor, so it never goes stale.
      const self = this;
      this.weights = Object.defineProperty({ ...weights }, "W_U", {
        enumerable: true,
        get(): tf.Tensor2D {
          const WE = self.weights.W_E;
          if (!self.lazyWU || self.lazyFrom !== WE) {
            self.lazyWU?.dispose();
            self.lazyWU = tf.keep(tf.transpose(WE) as tf.Tensor2D);
            self.lazyFrom = WE;
          }
          return self.lazyWU;
        },
      }) as ModelWeights;
    }
    this.names = architecture(config).hookNames(config);
    this.hookNameSet = new Set(this.names);
    fusedQKV.prepare(this.weights.blocks);
    transposedWin.prepare(this.weights.blocks);
  }

  hookNames(): HookName[] {
    return [...this.names];
  }

  private check(where: string): void {
    if (this.disposed) throw new Error(`${where}: this model has been disposed`);
  }

  toTokens(input: ModelInput): TokenBatch {
    return toTokenBatch(input, this.config, this.tokenizer, "input");
  }

  toStrTokens(input: string | number[]): string[] {
    if (typeof input === "string") {
      if (!this.tokenizer) throw new Error("toStrTokens: text input needs a tokenizer, and this model has none");
      return this.tokenizer.encode(input).tokens;
    }
    if (!Array.isArray(input)) throw new Error("toStrTokens: input must be a string or an array of token ids");
    const tok = this.tokenizer;
    return input.map((id) => (tok ? tok.decode([id]) : String(id)));
  }

  run(input: ModelInput): tf.Tensor3D {
    return this.call("run", input, [], undefined).logits;
  }

  runWithCache(input: ModelInput, opts?: CacheOptions): { logits: tf.Tensor3D; cache: ActivationCache } {
    const { logits, cache } = this.call("runWithCache", input, [], opts?.names ?? "all");
    return { logits, cache: cache! };
  }

  runWithHooks(input: ModelInput, hooks: Hook[], opts?: CacheOptions): { logits: tf.Tensor3D; cache?: ActivationCache } {
    const { logits, cache } = this.call("runWithHooks", input, hooks, opts ? opts.names ?? "all" : undefined);
    return cache ? { logits, cache } : { logits };
  }

  private call(where: string, input: ModelInput, hooks: Hook[], names: CacheOptions["names"] | "all" | undefined) {
    this.check(where);
    const batch = this.toTokens(input);
    // The hook state is local to this call: hooks cannot outlive it, whatever happens.
    const state = hookState(this, { hooks, names, where });
    try {
      const logits = forward(this, batch, state);
      return { logits, cache: state.cache ?? undefined };
    } catch (e) {
      state.abort();
      throw e;
    }
  }

  /** Trainable parameter count (tied matrices once). */
  numParams(): number {
    return paramCount(this.config);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    fusedQKV.release(this.weights.blocks);
    transposedWin.release(this.weights.blocks);
    for (const t of allTensors(this.weights, true)) if (!t.isDisposed) t.dispose();
    this.lazyWU?.dispose();
    this.lazyWU = null;
  }

  describe(): Array<[string, string]> {
    const c = this.config;
    const rows: Array<[string, string]> = [
      ["architecture", architecture(c).label],
      ["layers", String(c.nLayers)],
      ["d_model", String(c.dModel)],
      ["heads × d_head", `${c.nHeads} × ${c.dHead}${(c.nKVHeads ?? c.nHeads) !== c.nHeads ? ` (${c.nKVHeads} key/value heads)` : ""}`],
      ["d_mlp", c.attnOnly ? "none (attention-only)" : String(c.dMlp)],
      ["context length", String(c.nCtx)],
      ["vocabulary", String(c.dVocab)],
      ["activation", c.act],
      ...(c.rotaryBase !== undefined ? [["positions", `rotary, base ${c.rotaryBase}, ${c.rotaryDim} of ${c.dHead} dims`] as [string, string]] : []),
      ["unembedding", c.arch === "bert" && !c.mlmHead ? "none (outputs hidden states)" : c.tiedUnembed ? "tied to W_E" : "separate W_U"],
      ["parameters", paramCount(c).toLocaleString("en-US")],
      ["tokenizer", this.tokenizer ? this.tokenizer.kind : "none"],
    ];
    return rows;
  }

  [Symbol.for("attnlab.display")](): Record<string, string> {
    const title = `${this.config.name ?? `${architecture(this.config).label.split(" ")[0]}-style model`}`;
    const rows = this.describe();
    const plain = [title, ...rows.map(([k, v]) => `  ${k}: ${v}`)].join("\n");
    const html =
      `<div class="attnlab-model"><b>${escapeHtml(title)}</b><table>` +
      rows.map(([k, v]) => `<tr><th style="text-align:left">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join("") +
      `</table></div>`;
    return { "text/plain": plain, "text/html": html };
  }
}
