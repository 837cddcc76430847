export { classifyCallError, classifyRecordError, type Failure } from "./classify.js";
export { createFirehoseClient, FirehoseApi } from "./client.js";
export {
  DELIVERY_STREAM_NAME,
  type FirehoseOutputConfig,
  FirehoseOutputConfigSchema,
  MIN_RECORD_BYTES,
} from "./config.js";
export { type PackedRecord, type PackLimits, packEvents, planCalls, planRecords } from "./pack.js";
export {
  createFirehoseOutput,
  type FirehoseOutputDeps,
  FirehoseSink,
  type Logger,
  type LogLevel,
  OUTPUT_NAME,
} from "./sink.js";
