export * from "./names";
export * from "./helpers";
