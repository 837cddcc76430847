export {
  type BulkItem,
  type BulkOpType,
  buildBulkItems,
  chunkBulk,
  renderBulkBody,
  splitInHalf,
} from "./bulk.js";
export { classifyBulkItem, classifyRequestError, type ItemVerdict, type RequestFailure } from "./classify.js";
export { type AwsCredentials, createOpenSearchClient, type OpenSearchClientDeps } from "./client.js";
export {
  effectiveOpType,
  type OpenSearchAuth,
  OpenSearchAuthSchema,
  type OpenSearchStoreConfig,
  OpenSearchStoreConfigSchema,
} from "./config.js";
export { indexNameFor, indexPatternFor, indexSafeService } from "./naming.js";
export {
  buildSearchBody,
  MAX_PAGE_SIZE,
  OpenSearchSearchError,
  type SearchOptions,
  searchOpenSearch,
} from "./search.js";
export {
  type IsmOutcome,
  indexTemplateBody,
  ismPolicyBody,
  OpenSearchSetupError,
  type SetupOptions,
  type SetupResult,
  setupOpenSearch,
  setupOptionsFromConfig,
} from "./setup.js";
export {
  createOpenSearchStore,
  type Logger,
  type LogLevel,
  OpenSearchStore,
  type OpenSearchStoreDeps,
  STORE_NAME,
} from "./store.js";
