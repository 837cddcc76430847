export {
  type BufferDeps,
  type BufferStats,
  DurableBuffer,
  type RecoveryReport,
} from "./buffer.js";
export {
  type BufferConfig,
  BufferConfigSchema,
  type BufferSettings,
  BufferSettingsSchema,
} from "./config.js";
export type { BufferBatch, BufferConsumer } from "./consumer.js";
export { BufferError, type BufferErrorCode } from "./errors.js";
