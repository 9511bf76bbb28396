/**
 * Hooks that replace an activation only at some heads and/or positions.
 *
 *   model.runWithHooks(ids, [headHook("blocks.1.attn.hook_z", 3, () => zeros)])
 *
 * `fn` computes a full-shape replacement as usual; only the selected slice of it is used, the rest
 * of the activation flows through unchanged.
 */
import * as tf from "@tensorflow/tfjs";
import type { Hook, HookFn } from "../model/types";
import { parseHookName, type HookKind, type HookName } from "./names";

/** Axis of the head dimension for each per-head hook kind. */
const HEAD_AXIS: Partial<Record<HookKind, number>> = { q: 2, k: 2, v: 2, rot_q: 2, rot_k: 2, z: 2, result: 2, attn_scores: 1, pattern: 1 };
/** Axis of the (query) position: 2 for [batch, head, query, key] tensors, else 1. */
const posAxis = (kind: HookKind) => (kind === "attn_scores" || kind === "pattern" ? 2 : 1);

function asList(x: number | number[], what: string, where: string): number[] {
  const list = Array.isArray(x) ? x : [x];
  if (list.length === 0 || list.some((i) => !Number.isInteger(i) || i < 0)) {
    throw new Error(`${where}: ${what} must be a non-negative integer or a non-empty list of them; got ${JSON.stringify(x)}`);
  }
  return list;
}

/** Boolean tensor of `shape` that is true where index along `axis` is in `idx`. */
function axisMask(shape: number[], axis: number, idx: number[], where: string): tf.Tensor {
  if (idx.some((i) => i >= shape[axis])) {
    throw new Error(`${where}: index ${Math.max(...idx)} is out of range for axis ${axis} of size ${shape[axis]}`);
  }
  const flags = new Int32Array(shape[axis]);
  for (const i of idx) flags[i] = 1;
  const viewShape = shape.map((s, a) => (a === axis ? s : 1));
  return tf.broadcastTo(tf.tensor(flags, viewShape, "bool"), shape);
}

export interface SliceSpec {
  head?: number | number[];
  pos?: number | number[];
}

/** Restricts `fn`'s replacement to the given heads and/or (query) positions of hook `name`. */
export function sliceHook(name: HookName, where: SliceSpec, fn: HookFn): Hook {
  const { kind } = parseHookName(name);
  const label = `hook on "${name}"`;
  const heads = where.head === undefined ? null : asList(where.head, "head", label);
  const poss = where.pos === undefined ? null : asList(where.pos, "pos", label);
  if (heads && HEAD_AXIS[kind] === undefined) {
    throw new Error(`headHook: "${name}" has no head axis; use q, k, v, z, result, attn_scores or pattern hooks`);
  }
  return {
    name,
    fn: (act, ctx) => {
      const rep = fn(act, ctx);
      if (rep === undefined || rep === null) return undefined;
      if (!(rep instanceof tf.Tensor) || rep.shape.join() !== act.shape.join()) {
        throw new Error(`${label} returned shape [${rep instanceof tf.Tensor ? rep.shape.join(", ") : typeof rep}]; expected [${act.shape.join(", ")}]`);
      }
      return tf.tidy(() => {
        let mask: tf.Tensor | null = null;
        if (heads) mask = axisMask(act.shape, HEAD_AXIS[kind]!, heads, label);
        if (poss) {
          const pm = axisMask(act.shape, posAxis(kind), poss, label);
          mask = mask ? tf.logicalAnd(mask, pm) : pm;
        }
        return mask ? tf.where(mask, rep, act) : rep.clone();
      });
    },
  };
}

/** Replacement only at head(s) `head` of a per-head hook (q, k, v, z, result, attn_scores, pattern). */
export function headHook(name: HookName, head: number | number[], fn: HookFn): Hook {
  return sliceHook(name, { head }, fn);
}

/** Replacement only at position(s) `pos` (the query position for attn_scores/pattern). */
export function posHook(name: HookName, pos: number | number[], fn: HookFn): Hook {
  return sliceHook(name, { pos }, fn);
}
