export * from "./types";
export * from "./config";
export * from "./model";
export * from "./init";
export * from "./forward";
export * from "./tokens";
export { Cache, HookState } from "./hooked";
export * from "./hf";
