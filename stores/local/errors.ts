import { PipelineError } from "../../core/errors.js";

export type LocalStoreErrorCode =
  | "store_closed"
  | "store_locked"
  | "store_missing"
  | "store_read_only"
  | "store_open_failed"
  | "flush_failed"
  | "compaction_failed"
  | "retention_failed";

/** A failure of the local store itself (opening, flushing, maintenance). */
export class LocalStoreError extends PipelineError {
  override name = "LocalStoreError";
  declare readonly code: LocalStoreErrorCode;
  constructor(code: LocalStoreErrorCode, message: string, options?: { cause?: unknown }) {
    super("sending", code, message, options);
  }
}

/** Another process (a running `logpipe up`) holds the database open for writing. */
export class StoreLockedError extends LocalStoreError {
  override name = "StoreLockedError";
  readonly dir: string;
  constructor(dir: string, options?: { cause?: unknown }) {
    super("store_locked", `a logpipe process is using ${dir}; pass --server or stop it`, options);
    this.dir = dir;
  }
}

export type LocalQueryErrorCode =
  | "sql_empty"
  | "sql_multiple_statements"
  | "sql_not_read_only"
  | "sql_invalid"
  | "search_invalid"
  | "bad_cursor"
  | "query_aborted";

/** A query the user got wrong (or one the store refuses): report the message as-is. */
export class LocalQueryError extends Error {
  override name = "LocalQueryError";
  readonly code: LocalQueryErrorCode;
  constructor(code: LocalQueryErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
