export * from "./cloudwatch.js";
export * from "./config.js";
export { normaliseLevel } from "./levels.js";
export { compileRedactor, luhnValid, RedactionTally, type Redactor, redact } from "./redact.js";
export { parseEventTime } from "./time.js";
export * from "./transformer.js";
export * from "./types.js";
