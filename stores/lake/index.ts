export {
  ATHENA_POLL,
  AthenaQueryError,
  type AthenaQueryErrorCode,
  type AthenaQueryOptions,
  type AthenaQueryRequest,
  type AthenaQueryResult,
  runAthenaQuery,
} from "./athena.js";
export { type AthenaColumn, convertAthenaValue } from "./athena-results.js";
export { groupByPartition } from "./batch.js";
export { classifyS3Failure } from "./classify.js";
export { createLakeAthenaClient, createLakeS3Client } from "./clients.js";
export {
  type CompactionFailure,
  type CompactionSummary,
  type CompactLakeOptions,
  compactionOptionsFromConfig,
  compactLake,
} from "./compaction.js";
export { planCompaction } from "./compaction-plan.js";
export {
  type LakeCompactionConfig,
  LakeCompactionSchema,
  type LakeConfig,
  LakeConfigSchema,
} from "./config.js";
export {
  compactedKey,
  type LakePartition,
  objectKey,
  parseObjectKey,
  partitionOfEvent,
  sanitiseService,
} from "./layout.js";
export {
  createS3LakeWriter,
  LAKE_WRITER_NAME,
  type Logger,
  NDJSON_CONTENT_TYPE,
  S3LakeWriter,
  type S3LakeWriterDeps,
} from "./writer.js";
