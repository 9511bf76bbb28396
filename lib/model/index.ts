export * from "./types";
export * from "./config";
export * from "./model";
export { createModel, type CreateOptions } from "./init";
export * from "./forward";
export { toTokenBatch, validateBatch } from "./tokens";
export { Cache, HookState } from "./hooked";
export * from "./hf";
