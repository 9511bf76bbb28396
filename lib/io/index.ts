export * from "./half";
export * from "./safetensors";
export * from "./hub";
export * from "./bundled";
export * from "./gguf";
