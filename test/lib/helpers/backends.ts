/**
 * Backends the parity tests (against transformers and ROME's PyTorch procedure) run on: the
 * default one, tfjs-node where the set-up builds it (Linux x86-64), and always wasm, the fallback
 * elsewhere, so that both stay correct.
 */
import { setBackend, type BackendName } from "../../../lib/backend";

export const DEFAULT_BACKEND: BackendName =
  (process.env.ATTNLAB_BACKEND?.trim().toLowerCase() as BackendName | undefined) ||
  (process.platform === "linux" && process.arch === "x64" ? "tensorflow" : "wasm");

export const PARITY_BACKENDS: BackendName[] = [...new Set<BackendName>([DEFAULT_BACKEND, "wasm"])];

/** Call inside a describe: its tests run on `backend`; the default comes back after them. */
export function onBackend(backend: BackendName): void {
  beforeAll(async () => {
    await setBackend(backend);
  });
  afterAll(async () => {
    await setBackend(DEFAULT_BACKEND);
  });
}
