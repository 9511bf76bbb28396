/**
 * Chooses and initialises the TensorFlow.js backend attnlab computes on.
 *
 * Order when nothing is asked for: `tensorflow` (tfjs-node: native TensorFlow, multi-threaded;
 * the set-up builds it, scripts/setup.d/15-tfjs-node.sh), then `wasm` (single-threaded, where
 * tfjs-node cannot be built; attnlab says once why it fell back), then the pure-JS `cpu` backend
 * as a last resort. `ATTNLAB_BACKEND=wasm|cpu|tensorflow` or `setBackend(name)` forces one.
 *
 * Everything that creates models calls `assertReady()`, because the wasm backend initialises
 * asynchronously: `await ready()` once before building or running models.
 */
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as path from "path";

export type BackendName = "tensorflow" | "wasm" | "cpu";
const KNOWN: BackendName[] = ["tensorflow", "wasm", "cpu"];

let initialised: BackendName | null = null;
let pending: Promise<BackendName> | null = null;
let nodeTried = false;
let nodeError: string | null = null;
let wasmPathsSet = false;

/**
 * TensorFlow reads these when its library loads, so they are set before tfjs-node is required
 * (here and by the kernel's warm-up); a value the user set is kept.
 * - TF_CPP_MIN_LOG_LEVEL=2: TensorFlow's C++ start-up lines are noise in a notebook.
 * - TF_ENABLE_ONEDNN_OPTS=1: TensorFlow turns its oneDNN kernels on by itself only on some Intel
 *   CPUs; on this project's AMD EPYC machines they were off. With them on, tfjs-node's matmuls with
 *   a transposed right operand run at the plain matmul's speed (the tied unembedding x · W_Eᵀ:
 *   ~95 ms instead of ~390 ms for 128 × 768 × 50,257), and the GPT-2-small forward with a full
 *   cache got faster (docs/benchmarks.md, "oneDNN"). `oneDnnOn()` tells the model code which form
 *   of the unembedding to use.
 */
export function nativeEnvDefaults(env: NodeJS.ProcessEnv = process.env): void {
  if (env.TF_CPP_MIN_LOG_LEVEL === undefined) env.TF_CPP_MIN_LOG_LEVEL = "2";
  if (env.TF_ENABLE_ONEDNN_OPTS === undefined) env.TF_ENABLE_ONEDNN_OPTS = "1";
}

/** Whether tfjs-node computes with TensorFlow's oneDNN kernels (see nativeEnvDefaults). */
export function oneDnnOn(): boolean {
  return tf.getBackend() === "tensorflow" && process.env.TF_ENABLE_ONEDNN_OPTS !== "0";
}

/** Registers tfjs-node's backend if the package loads; a missing native library is not an error. */
function tryNode(): boolean {
  if (!nodeTried) {
    nodeTried = true;
    nativeEnvDefaults();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require("@tensorflow/tfjs-node");
    } catch (e) {
      // Not installed or its addon/libtensorflow absent: wasm takes over (ready() says so once).
      nodeError = String((e as Error)?.message ?? e).split("\n")[0];
    }
  }
  return nodeError === null && tf.findBackendFactory("tensorflow") != null;
}

let fallbackSaid = false;
/** Says once per process which backend runs instead of tfjs-node, and why. */
function sayFallback(b: BackendName): void {
  if (fallbackSaid) return;
  fallbackSaid = true;
  console.warn(
    `attnlab: computing on the ${b} backend (slower than native TensorFlow): tfjs-node did not load` +
      (nodeError ? ` (${nodeError})` : "") +
      "; `npm run setup` builds it on Linux x86-64 with a C++ compiler",
  );
}

/** Points the wasm backend at its binaries inside node_modules, so any cwd works. */
function configureWasm(): void {
  if (wasmPathsSet) return;
  const file = (name: string) => require.resolve(`@tensorflow/tfjs-backend-wasm/dist/${name}`);
  setWasmPaths({
    "tfjs-backend-wasm.wasm": file("tfjs-backend-wasm.wasm"),
    "tfjs-backend-wasm-simd.wasm": file("tfjs-backend-wasm-simd.wasm"),
    "tfjs-backend-wasm-threaded-simd.wasm": file("tfjs-backend-wasm-threaded-simd.wasm"),
  });
  wasmPathsSet = true;
  registerWasmSegmentSum();
}

/**
 * wasm has no UnsortedSegmentSum, which tf.gather's gradient needs. ScatterNd sums updates that
 * land on the same index, so segment-summing rows is a ScatterNd with the ids as [n, 1] indices.
 */
function registerWasmSegmentSum(): void {
  if (tf.getKernel("UnsortedSegmentSum", "wasm")) return;
  tf.registerKernel({
    kernelName: "UnsortedSegmentSum",
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
      const { numSegments } = attrs as unknown as { numSegments: number };
      const reshape = tf.getKernel("Reshape", "wasm")!.kernelFunc;
      const scatter = tf.getKernel("ScatterNd", "wasm")!.kernelFunc;
      const n = segmentIds.shape.reduce((a, b) => a * b, 1);
      const idx = reshape({ inputs: { x: segmentIds }, backend, attrs: { shape: [n, 1] } }) as tf.TensorInfo;
      const rows = reshape({ inputs: { x }, backend, attrs: { shape: [n, ...x.shape.slice(segmentIds.shape.length)] } }) as tf.TensorInfo;
      const out = scatter({
        inputs: { indices: idx, updates: rows },
        backend,
        attrs: { shape: [numSegments, ...x.shape.slice(segmentIds.shape.length)] },
      }) as tf.TensorInfo;
      (backend as tf.KernelBackend).disposeData(idx.dataId);
      (backend as tf.KernelBackend).disposeData(rows.dataId);
      return out;
    },
  });
}

async function init(name: BackendName): Promise<boolean> {
  if (name === "tensorflow" && !tryNode()) return false;
  if (name === "wasm") configureWasm();
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

function parseName(name: string, where: string): BackendName {
  const n = name.trim().toLowerCase();
  const alias: Record<string, BackendName> = { node: "tensorflow", "tfjs-node": "tensorflow" };
  const b = (alias[n] ?? n) as BackendName;
  if (!KNOWN.includes(b)) throw new Error(`${where}: backend must be one of ${KNOWN.join(", ")}; got "${name}"`);
  return b;
}

/** Switches to `name` (wasm, cpu or tensorflow); rejects if that backend cannot start here. */
export async function setBackend(name: string): Promise<BackendName> {
  const b = parseName(name, "setBackend");
  if (!(await init(b))) {
    throw new Error(
      b === "tensorflow"
        ? "setBackend: backend \"tensorflow\" needs @tensorflow/tfjs-node, which is not installed or cannot load its native library"
        : `setBackend: backend "${b}" failed to initialise`,
    );
  }
  initialised = b;
  return b;
}

/** Initialises the default backend once (ATTNLAB_BACKEND, else tensorflow > wasm > cpu). */
export function ready(): Promise<BackendName> {
  if (initialised && tf.getBackend() === initialised) return Promise.resolve(initialised);
  if (!pending) {
    pending = (async () => {
      const env = process.env.ATTNLAB_BACKEND;
      if (env && env.trim() !== "") return setBackend(parseName(env, "ATTNLAB_BACKEND"));
      for (const b of KNOWN) {
        if (await init(b)) {
          if (b === "cpu") console.warn("attnlab: wasm backend unavailable, falling back to the slow cpu backend");
          else if (b !== "tensorflow") sayFallback(b);
          initialised = b;
          return b;
        }
      }
      throw new Error("attnlab: no TensorFlow.js backend could be initialised");
    })().finally(() => {
      pending = null;
    });
  }
  return pending;
}

/** The backend attnlab initialised, or null before `ready()`/`setBackend()` has finished. */
export function activeBackend(): BackendName | null {
  return initialised;
}

/** Throws a clear error when models are used before the backend is initialised. */
export function assertReady(where: string): void {
  if (!initialised) {
    throw new Error(`${where}: the TensorFlow.js backend is not initialised; call \`await ready()\` (from attnlab) first`);
  }
}

/**
 * Makes the backend hold `t`'s values itself, so the JavaScript array it was made from can be
 * collected. Model loaders call it on every weight they make (one file-sized host copy beside the
 * backend's would otherwise set the peak memory). tfjs-node keeps the array given to
 * `tf.tensor(values)` and copies it into TensorFlow only when an op first reads the tensor (a
 * weight first used in the first forward pass keeps its host copy until then): here that copy is
 * made at once, through the backend's own upload step. wasm copies into its heap at creation and
 * cpu computes on the array itself, so for them this does nothing.
 */
export function uploadToBackend(t: tf.Tensor): void {
  if (tf.getBackend() !== "tensorflow" || t.isDisposed) return;
  const b = tf.backend() as unknown as { getInputTensorIds?: (ts: tf.Tensor[]) => unknown };
  if (typeof b.getInputTensorIds === "function") b.getInputTensorIds([t]);
}

/** Directory of the wasm binaries (for diagnostics). */
export function wasmDir(): string {
  return path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
}

/**
 * The values of the tensor `make` returns, computed inside a tidy (its intermediates are freed)
 * and read after the scope closes; the tensor is freed too. Use this rather than returning
 * `dataSync()` / `arraySync()` from `tf.tidy`: tidy walks whatever its callback returns looking
 * for tensors, element by element for a typed or JS array (on tfjs-node a 128 × 3,072 matmul read
 * that way took 509 ms instead of 10.6 ms). `make` may return a tensor it did not create (e.g. one
 * from a cache): only a clone of it is freed. The array is the caller's own (copied on the cpu
 * backend, whose dataSync returns the tensor's storage).
 */
export function tidyData<T extends Float32Array | Int32Array | Uint8Array = Float32Array>(make: () => tf.Tensor): T {
  return tidyDataAll(() => [make()])[0] as T;
}

/** tidyData for several tensors made in one scope: their values, in order. */
export function tidyDataAll(make: () => tf.Tensor[]): (Float32Array | Int32Array | Uint8Array)[] {
  const ts = tf.tidy(() => make().map((t) => t.clone()));
  try {
    const copy = tf.getBackend() === "cpu";
    return ts.map((t) => {
      const d = t.dataSync() as Float32Array | Int32Array | Uint8Array;
      return copy ? d.slice() : d;
    });
  } finally {
    ts.forEach((t) => t.dispose());
  }
}
