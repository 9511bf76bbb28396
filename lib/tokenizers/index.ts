export * from "./common";
export * from "./bytelevel";
export * from "./bpe";
export * from "./bert_normalizer";
export * from "./wordpiece";
export * from "./load";
export * from "./batch";
export * from "./gguf";
