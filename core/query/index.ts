export * from "./ast.js";
export * from "./errors.js";
export * from "./fields.js";
export * from "./opensearch.js";
export { MAX_QUERY_DEPTH, MAX_QUERY_LENGTH, parseQuery } from "./parse.js";
export { type Predicate, planExists, planRange, planTerm, planWildcard } from "./plan.js";
export * from "./sql.js";
export { analyze } from "./text.js";
export { type DateSpan, parseDateSpan, parseNumber } from "./values.js";
