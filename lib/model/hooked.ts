/**
 * Hook dispatch and activation caching for one forward call.
 *
 * A `HookState` lives exactly as long as one call of run/runWithCache/runWithHooks (or one
 * hand-driven embed/runBlocks/unembed sequence): hooks are never stored on the model, so a
 * throwing hook cannot leave anything registered behind.
 */
import * as tf from "@tensorflow/tfjs";
import type { HookName } from "../hooks/names";
import type { ActivationCache, CacheOptions, Hook } from "./types";

/**
 * An activation the cache computes when it is first read: `compute(...deps)` inside a tidy.
 * Used for hook_result ([batch, pos, head, d], one matmul per head plus a transpose), which the
 * forward itself does not need unless a hook reads or replaces it: computing it on every cached
 * forward cost about a tenth of a GPT-2-small forward on tfjs-node. `deps` are private clones
 * (they share data with the forward's tensors), freed once the value is made or the cache is.
 */
interface Deferred {
  shape: number[];
  deps: tf.Tensor[];
  compute: (...deps: tf.Tensor[]) => tf.Tensor;
}

function disposeEntry(e: tf.Tensor | Deferred): void {
  if (e instanceof tf.Tensor) e.dispose();
  else for (const t of e.deps) t.dispose();
}

/** Cached activations; every tensor is a private clone (or a deferred one, see Deferred), freed by dispose(). */
export class Cache implements ActivationCache {
  private readonly map = new Map<HookName, tf.Tensor | Deferred>();
  private disposed = false;

  /** Takes ownership of `t` (already kept out of any tidy scope). */
  set(name: HookName, t: tf.Tensor): void {
    const old = this.map.get(name);
    if (old && old !== t) disposeEntry(old);
    this.map.set(name, t);
  }

  /** Caches `name` as compute(...deps), made on first get(); keeps clones of `deps`. */
  setDeferred(name: HookName, shape: number[], deps: tf.Tensor[], compute: (...deps: tf.Tensor[]) => tf.Tensor): void {
    const old = this.map.get(name);
    if (old) disposeEntry(old);
    this.map.set(name, { shape, deps: deps.map((t) => tf.keep(t.clone())), compute });
  }

  get(name: HookName): tf.Tensor {
    if (this.disposed) throw new Error(`cache.get("${name}"): this cache has been disposed`);
    const e = this.map.get(name);
    if (!e) {
      const have = [...this.map.keys()];
      const list = have.length > 6 ? `${have.slice(0, 6).join(", ")}, ... (${have.length} names)` : have.join(", ");
      throw new Error(`cache.get: "${name}" was not cached; cached names are: ${list || "(none)"}`);
    }
    if (e instanceof tf.Tensor) return e;
    const t = tf.keep(tf.tidy(() => e.compute(...e.deps)));
    for (const d of e.deps) d.dispose();
    this.map.set(name, t);
    return t;
  }

  has(name: HookName): boolean {
    return this.map.has(name);
  }

  names(): HookName[] {
    return [...this.map.keys()];
  }

  /** Frees every cached tensor; later get() calls throw. */
  dispose(): void {
    for (const e of this.map.values()) disposeEntry(e);
    this.map.clear();
    this.disposed = true;
  }

  [Symbol.for("attnlab.display")](): Record<string, string> {
    const rows = [...this.map.entries()].map(([n, t]) => `${n} [${t.shape.join(", ")}]`); // a Deferred has its shape too
    return { "text/plain": `ActivationCache with ${rows.length} activations\n${rows.join("\n")}` };
  }
}

type Selector = (name: HookName) => boolean;

function selector(
  names: CacheOptions["names"] | undefined,
  valid: ReadonlySet<string>,
  where: string,
): Selector {
  if (names === undefined) return () => true;
  if (typeof names === "function") return names;
  if (!Array.isArray(names)) throw new Error(`${where}: opts.names must be an array of hook names or a predicate`);
  for (const n of names) {
    if (!valid.has(n)) throw new Error(`${where}: opts.names contains unknown hook name "${n}" (see model.hookNames())`);
  }
  const set = new Set<string>(names);
  return (n) => set.has(n);
}

/** Per-call hook dispatcher: applies hooks in order, then caches what was asked for. */
export class HookState {
  readonly cache: Cache | null;
  private readonly hooks: Hook[];
  private readonly keep: Selector | null;
  private readonly hookMemo = new Map<string, Hook[]>();

  /**
   * @param valid every hook name of the model (hook and cache names are checked against it)
   * @param hooks hooks to run, in order, at each matching point
   * @param cacheNames what to cache: undefined = nothing, else CacheOptions["names"] semantics
   */
  constructor(
    valid: ReadonlySet<string>,
    hooks: Hook[] = [],
    cacheNames?: CacheOptions["names"] | "all",
    where = "run",
  ) {
    if (!Array.isArray(hooks)) throw new Error(`${where}: hooks must be an array of {name, fn}`);
    hooks.forEach((h, i) => {
      if (!h || (typeof h.name !== "string" && typeof h.name !== "function")) {
        throw new Error(`${where}: hooks[${i}].name must be a hook name or a predicate`);
      }
      if (typeof h.name === "string" && !valid.has(h.name)) {
        throw new Error(`${where}: hooks[${i}].name "${h.name}" is not a hook point of this model (see model.hookNames())`);
      }
      if (typeof h.fn !== "function") throw new Error(`${where}: hooks[${i}].fn must be a function`);
    });
    this.hooks = hooks;
    if (cacheNames === undefined) {
      this.keep = null;
      this.cache = null;
    } else {
      this.keep = selector(cacheNames === "all" ? undefined : cacheNames, valid, where);
      this.cache = new Cache();
    }
  }

  private hooksFor(name: HookName): Hook[] {
    let hs = this.hookMemo.get(name);
    if (!hs) {
      hs = this.hooks.filter((h) => (typeof h.name === "string" ? h.name === name : h.name(name)));
      this.hookMemo.set(name, hs);
    }
    return hs;
  }

  /** Whether anything will look at `name` (lets the forward skip optional work such as hook_result). */
  wants(name: HookName): boolean {
    return this.hooksFor(name).length > 0 || (this.keep !== null && this.keep(name));
  }

  /** Whether a hook is registered at `name` (a hook may read or replace the activation). */
  hooked(name: HookName): boolean {
    return this.hooksFor(name).length > 0;
  }

  /**
   * A hook point no hook is registered at: caches `name` (if asked) as compute(...deps), made
   * when the cache entry is first read (see Deferred). The caller checked `!hooked(name)`.
   */
  deferredPoint(name: HookName, shape: number[], deps: tf.Tensor[], compute: (...deps: tf.Tensor[]) => tf.Tensor): void {
    if (this.cache && this.keep!(name)) this.cache.setDeferred(name, shape, deps, compute);
  }

  /** The hook point itself: returns the (possibly replaced) activation. */
  point<T extends tf.Tensor>(name: HookName, layer: number | null, act: T): T {
    let x: tf.Tensor = act;
    for (const h of this.hooksFor(name)) {
      const out = h.fn(x, { name, layer });
      if (out === undefined || out === null) continue;
      if (!(out instanceof tf.Tensor)) {
        throw new Error(`hook on "${name}" returned ${typeof out}; expected a tf.Tensor of shape [${x.shape.join(", ")}] or nothing`);
      }
      if (out.rank !== x.rank || out.shape.some((s, i) => s !== x.shape[i])) {
        throw new Error(`hook on "${name}" returned shape [${out.shape.join(", ")}]; expected [${x.shape.join(", ")}]`);
      }
      if (out.dtype !== "float32") throw new Error(`hook on "${name}" returned dtype ${out.dtype}; expected float32`);
      if (out.isDisposed) throw new Error(`hook on "${name}" returned a disposed tensor`);
      // A clone (which shares the data) belongs to the current tidy scope, so a tensor the hook
      // took from elsewhere, e.g. a cache, is never handed back to the caller to be disposed.
      x = out === x ? x : out.clone();
    }
    if (this.cache && this.keep!(name)) this.cache.set(name, tf.keep(x.clone()));
    return x as T;
  }

  /** Frees the cache after a failure so nothing half-built escapes. */
  abort(): void {
    this.cache?.dispose();
  }
}
