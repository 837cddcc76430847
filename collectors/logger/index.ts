export {
  ForwarderOptionsSchema,
  type LoggerOptions,
  type LoggerOptionsInput,
  LoggerOptionsSchema,
  THRESHOLDS,
  type Threshold,
} from "./config.js";
export { ForwarderError, type ForwarderErrorCode } from "./errors.js";
export { type ChunkSender, FluentChunkSender } from "./fluent-sender.js";
export { LEVEL_RANK, type Level, levelFromPino } from "./levels.js";
export {
  createLogger,
  type Fields,
  type Logger,
  type LoggerDeps,
  type LoggerStats,
  type LogMethod,
} from "./logger.js";
export { activeTraceIds, type TraceApi, type TraceIds } from "./otel.js";
export {
  PinoForwardStream,
  type PinoTransportOptions,
  type PinoTransportOptionsInput,
  PinoTransportOptionsSchema,
  type PinoTransportStats,
} from "./pino-transport.js";
export { type DiagnosticLog, type DropReason, stderrDiagnostics } from "./reporter.js";
