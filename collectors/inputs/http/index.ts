export { bearerTokenMatches } from "./auth.js";
export { type BodyLimits, type ReadBodyResult, readBody } from "./body.js";
export { type HttpInputConfig, HttpInputConfigSchema } from "./config.js";
export { HttpInputError } from "./errors.js";
export {
  contentDigest,
  HttpInput,
  type HttpInputDeps,
  type IngestResponse,
  type Logger,
  type LogLevel,
} from "./http-input.js";
export {
  type BodyFormat,
  bodyFormatFor,
  exceedsDepth,
  type LineRejection,
  type ParsedBody,
  type ParsedRecord,
  type ParseLimits,
  parseBody,
  type RejectCode,
} from "./parse.js";
export { extractEventTime, parseEventTime, TIME_FIELDS } from "./time.js";
