export * from "./types";
export * from "./config";
export * from "./model";
export { createModel, type CreateOptions } from "./init";
export { embedTokens, hookState, runBlocks, unembed, type ForwardModel, type RunBlocksOptions } from "./forward";
export { toTokenBatch, validateBatch } from "./tokens";
export { Cache, HookState } from "./hooked";
export * from "./hf";
