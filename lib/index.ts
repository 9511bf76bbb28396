export * from "./widget";
export * from "./backend";
export * from "./hooks";
export * from "./model";
export * from "./tokenizers";
export * from "./io";
export * from "./pretrained";
export * from "./figures";
