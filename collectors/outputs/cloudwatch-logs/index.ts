export { createCloudWatchLogsClient } from "./client.js";
export {
  type CloudWatchLogsOutputConfig,
  CloudWatchLogsOutputConfigSchema,
  MAX_MESSAGE_BYTES,
  RETENTION_DAYS,
  TEMPLATE_FIELDS,
} from "./config.js";
export {
  type CloudWatchLogsOutputDeps,
  CloudWatchLogsSink,
  createCloudWatchLogsOutput,
  type Logger,
  type LogLevel,
  OUTPUT_NAME,
} from "./sink.js";
