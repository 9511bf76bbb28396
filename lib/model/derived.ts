/**
 * Weight copies derived from a model's weights for speed (the fused W_Q | W_K | W_V, a transposed
 * W_in), built once when a HookedTransformer is made and freed by its dispose. A copy is used only
 * while no gradient is being recorded (it would not pass gradients to the weights it was built
 * from) and only while those weights still hold the data it was built from (a swapped or
 * reassigned weight makes the caller fall back to the weights themselves).
 */
import * as tf from "@tensorflow/tfjs";

interface Entry {
  tensors: tf.Tensor[];
  from: unknown[];
}

export class DerivedWeights<K extends object> {
  private readonly entries = new WeakMap<K, Entry>();

  /**
   * @param sources the weights a copy is made from (their data identity is remembered)
   * @param build makes the copies; return null where no copy pays (nothing is kept); the tidy around it keeps what it returns
   */
  constructor(
    private readonly sources: (key: K) => tf.Tensor[],
    private readonly build: (key: K) => tf.Tensor[] | null,
  ) {}

  prepare(keys: readonly K[]): void {
    for (const key of keys) {
      if (this.entries.has(key)) continue;
      const tensors = tf.tidy(() => this.build(key) ?? []);
      // keep: a model made inside someone's tidy must not lose its copies when that scope ends.
      if (tensors.length > 0) this.entries.set(key, { tensors: tensors.map((t) => tf.keep(t)), from: this.sources(key).map((t) => t.dataId) });
    }
  }

  release(keys: readonly K[]): void {
    for (const key of keys) {
      const e = this.entries.get(key);
      if (!e) continue;
      for (const t of e.tensors) if (!t.isDisposed) t.dispose();
      this.entries.delete(key);
    }
  }

  /** The copies for `key`, or null when they may not be used now (see above). */
  current(key: K): tf.Tensor[] | null {
    const e = this.entries.get(key);
    if (!e || e.tensors.some((t) => t.isDisposed) || tf.engine().isTapeOn()) return null;
    const now = this.sources(key);
    if (now.some((t, i) => e.from[i] !== t.dataId)) return null;
    return e.tensors;
  }
}
