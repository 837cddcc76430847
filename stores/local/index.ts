export type { CompactionJob, CompactionRules, LakeFileEntry } from "./compaction.js";
export { planCompaction } from "./compaction.js";
export {
  type LocalStoreConfig,
  LocalStoreConfigSchema,
  type LocalStoreSettings,
  LocalStoreSettingsSchema,
} from "./config.js";
export {
  LocalQueryError,
  type LocalQueryErrorCode,
  LocalStoreError,
  type LocalStoreErrorCode,
  StoreLockedError,
} from "./errors.js";
export { escapePartitionValue, type Partition, partitionOf, unescapePartitionValue } from "./layout.js";
export type { CompiledWhere } from "./sql.js";
export {
  type CompactionResult,
  DB_FILE_NAME,
  type FlushResult,
  LocalStore,
  type LocalStoreDeps,
  type LocalStoreStats,
  type RetentionResult,
  type SearchOptions,
  type SqlOptions,
  type SqlQueryResult,
  type StoreLog,
  type TailOptions,
  type TailResult,
} from "./store.js";
