export * from "./types";
export * from "./check";
export * from "./quiz";
export * from "./showme";
export * from "./bank";
