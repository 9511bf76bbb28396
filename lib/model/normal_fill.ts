/**
 * Seeded normal samples for createModel, on two threads for large tensors, bit-identical to drawing
 * them one by one from `mulberry32(seed)` with Box-Muller (`normalArray` in init.ts).
 *
 * Why: a random GPT-2 small (124M values) took 12–15 s in createModel, nearly all of it in
 * Math.log/cos/sin on one thread. mulberry32 is counter-based — its state after k draws is
 * seed + k·0x6d2b79f5 (mod 2^32) — so any range of draws can be computed on its own, and a
 * worker thread fills the second half of a large tensor while the main thread fills the first.
 * createModel stays synchronous: the main thread waits on an Atomics flag. Where a worker cannot
 * start, everything runs on the main thread (same values).
 */
import { Worker } from "worker_threads";

/**
 * Fills out[from..to) (from even) with the normals of draws draw0 + from, draw0 + from + 1, …:
 * pair i/2 uses draws draw0 + i and draw0 + i + 1, exactly as normalArray's loop. Self-contained
 * (no closures): its source is also the worker's code.
 */
function fillNormalRange(out: Float32Array, from: number, to: number, n: number, std: number, seed: number, draw0: number): void {
  const C = 0x6d2b79f5;
  const TWO_PI = 2 * Math.PI;
  // State before draw k is seed + k·C; mulberry32 adds C first, so draw k uses seed + (k + 1)·C.
  let a = (seed + Math.imul((draw0 + from) % 4294967296, C)) >>> 0;
  for (let i = from; i < to; i += 2) {
    a = (a + C) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u1 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    a = (a + C) >>> 0;
    t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const u2 = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const r = Math.sqrt(-2 * Math.log(1 - u1)) * std;
    const th = TWO_PI * u2;
    out[i] = r * Math.cos(th);
    if (i + 1 < n) out[i + 1] = r * Math.sin(th);
  }
}

/** Tensors smaller than this are filled on the main thread (a worker round trip costs ~1 ms). */
const PARALLEL_MIN = 1 << 20;

interface Helper {
  worker: Worker;
}
let helper: Helper | null | undefined;

function getHelper(): Helper | null {
  if (helper !== undefined) return helper;
  try {
    const src = `
      const { parentPort } = require("worker_threads");
      const fill = ${fillNormalRange.toString()};
      parentPort.on("message", (m) => {
        const out = new Float32Array(m.buf);
        fill(out, m.from, m.to, m.n, m.std, m.seed, m.draw0);
        const flag = new Int32Array(m.flag);
        Atomics.store(flag, 0, 1);
        Atomics.notify(flag, 0);
      });`;
    const worker = new Worker(src, { eval: true });
    worker.unref(); // never keeps the process alive
    worker.on("error", () => {
      helper = null;
    });
    helper = { worker };
  } catch {
    helper = null;
  }
  return helper;
}

/**
 * n normals N(0, std²) from draws draw0, draw0 + 1, … of mulberry32(seed) (2·⌈n/2⌉ draws), the
 * values normalArray(n, std, u) gives when u = mulberry32(seed) has already made draw0 draws.
 */
export function seededNormals(n: number, std: number, seed: number, draw0: number): Float32Array {
  const out = new Float32Array(n);
  const h = n >= PARALLEL_MIN ? getHelper() : null;
  if (!h) {
    fillNormalRange(out, 0, n, n, std, seed, draw0);
    return out;
  }
  const mid = 2 * Math.floor(n / 4); // even split point
  // The worker writes its half into shared memory [mid, n); one copy back into `out`.
  const shared = new Float32Array(new SharedArrayBuffer(n * 4));
  const flag = new Int32Array(new SharedArrayBuffer(4));
  h.worker.postMessage({ buf: shared.buffer, flag: flag.buffer, from: mid, to: n, n, std, seed, draw0 });
  fillNormalRange(out, 0, mid, n, std, seed, draw0);
  // Wait for the worker (bounded: if it never answers, compute its half here).
  const done = Atomics.wait(flag, 0, 0, 60_000) !== "timed-out" || Atomics.load(flag, 0) === 1;
  if (done) out.set(shared.subarray(mid, n), mid);
  else fillNormalRange(out, mid, n, n, std, seed, draw0);
  return out;
}
