export * from "./alb.js";
export * from "./cloudtrail.js";
export * from "./config.js";
export * from "./incoming.js";
export * from "./select.js";
export { decodeEscapes, type Token, tokenize } from "./tokens.js";
export * from "./types.js";
export * from "./vpc-flow.js";
