export * from "./half";
export * from "./safetensors";
