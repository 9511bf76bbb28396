export * from "./widget";
export * from "./tokenizers";
