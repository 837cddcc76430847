import { existsSync } from "node:fs";
import { mkdir, rename, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, resolve, sep } from "node:path";
import {
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBPreparedStatement,
  type DuckDBValue,
  listValue,
  StatementType,
} from "@duckdb/node-api";
import type { z } from "zod";
import { ByteWriterPool } from "../../core/bytes.js";
import { parseDuration } from "../../core/duration.js";
import { newEventId } from "../../core/event/incoming.js";
import type { LogEvent } from "../../core/event/schema.js";
import type { Logger, LogLevel } from "../../core/log.js";
import { type Counter, type Gauge, type Histogram, MetricsRegistry } from "../../core/metrics.js";
import type { ItemOutcome, Sink } from "../../core/stage.js";
import { type LakeFileEntry, planCompaction } from "./compaction.js";
import { type LocalStoreConfig, LocalStoreConfigSchema } from "./config.js";
import { encodeEvent, invalidReason } from "./encode.js";
import { LocalQueryError, LocalStoreError, StoreLockedError } from "./errors.js";
import { FingerprintSet, IngestJournal, type JournalFile } from "./journal.js";
import {
  containsParquet,
  findParquet,
  fsyncDir,
  fsyncFile,
  listPartitionDirs,
  removePartitionDir,
  unlinkIfExists,
} from "./lake-fs.js";
import {
  absoluteLakePath,
  currentHourStart,
  LAKE_TABLE_DIR,
  lakeGlob,
  type Partition,
  partFileName,
  partitionEnd,
  partitionRelDir,
  partitionStart,
  tempPathFor,
} from "./layout.js";
import { Mutex, SharedLock } from "./locks.js";
import {
  type CompiledWhere,
  compactSql,
  copyPartitionSql,
  countsSql,
  decodeTailCursor,
  deleteExpiredHotSql,
  dropPrimaryKeyStatements,
  encodeTailCursor,
  hasPrimaryKeySql,
  insertFileSql,
  insertSql,
  journalWindowSql,
  type LogsViewSource,
  logsViewSql,
  pendingPartitionsSql,
  type Statement,
  schemaStatements,
  searchSql,
  type TailSqlOptions,
  tailSql,
} from "./sql.js";
import { eventFromRow, jsonSafe } from "./values.js";

/**
 * The embedded store: plays OpenSearch (search over the hot `events` table) and S3 + Athena
 * (Parquet lake files in the S3 layout, queried with SQL through the `logs` view).
 *
 * Writes. An accepted batch is first appended to the ingest journal (`journal.ts`): NDJSON
 * lines (the JSON text a sealed event carries, so nothing is serialised twice), synced before
 * `write` answers, so a write never waits for DuckDB. A load then inserts a whole journal file
 * in one statement, DuckDB's JSON reader parsing it straight into column vectors, stamped with a
 * sequence number (`_seq`). That happens at `refresh.max_rows` events or `refresh.interval_ms`
 * after the first, and before every search and SQL query, which therefore see every event
 * accepted before them: the model is OpenSearch's translog and refresh. Large loads are what
 * make this fast: per row, DuckDB spent a third less on inserts of 125,000 rows or more (a row
 * group, which it writes straight to the database file) than on inserts of 25,000, and the JS
 * thread goes on with the next batches meanwhile.
 *
 * Nothing is parsed or copied value by value on the JS thread: binding rows as parameters took
 * half as long as DuckDB's parse, all of it on the JS thread, and the Appender longer than the
 * whole insert. The table has no primary key (its index cost a fifth of every insert and grew
 * in memory with the table); instead a load skips rows whose id is stored already at the same
 * `@timestamp`, looking only at the file's time window, and the journal file holds each such key
 * once, so a redelivered event is accepted and stored once.
 *
 * Lake files. Rows with `_seq` above the flushed watermark are pending. A flush writes each
 * pending (service, dt, hour) to `part-<ulid>.parquet.tmp`, fsyncs, renames it into place, and
 * then, in one transaction, records the files in the `lake_files` manifest and advances the
 * watermark. Before any file is written its path is recorded in `lake_unlink`; the commit
 * removes it from there. A crash at any point therefore leaves either the old state (the files
 * are listed in `lake_unlink` and deleted on the next open, the rows are still pending) or the
 * new one: every row lands in the lake exactly once. Compaction uses the same protocol (new
 * file recorded, renamed, then a commit that swaps the manifest entries and lists the merged
 * files for deletion), so it is exactly-once too, and it also drops any repeated id.
 *
 * What can still put an id twice into the lake: an event redelivered after it left the hot
 * table (older than `retention.hot`), or files copied in by hand. The `logs` view removes only
 * the overlap between pending rows and lake files (a flush between its rename and its commit);
 * compaction removes the rest once the hour is closed.
 */

export type StoreLogLevel = LogLevel;
export type StoreLog = Logger;

/** An accepted event DuckDB refused to store, for the dead-letter location. */
export interface StoreRejection {
  code: string;
  reason: string;
  event: unknown;
}

export interface LocalStoreDeps {
  metrics: MetricsRegistry;
  log?: StoreLog;
  /** Where accepted events DuckDB refuses go; without it they are only counted and logged. */
  deadLetter?: (rejections: StoreRejection[]) => Promise<void>;
  /** Clock for partition names, compaction and retention; defaults to `Date.now`. */
  now?: () => number;
}

export interface SearchOptions {
  /** Inclusive. */
  since?: Date | undefined;
  /** Exclusive. */
  until?: Date | undefined;
  limit: number;
}

export interface TailOptions {
  where?: CompiledWhere | undefined;
  limit: number;
}

export interface TailResult {
  /** Oldest arrival first. */
  events: LogEvent[];
  /** Pass back to `tailAfter` to continue after the last event. */
  cursor: string;
}

export interface SqlOptions {
  /** Most rows to return; defaults to `sql_max_rows`. */
  maxRows?: number;
  /** Aborting interrupts the running query. */
  signal?: AbortSignal;
}

export interface SqlQueryResult {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  /** True when the query had more rows than returned. */
  truncated: boolean;
}

export interface FlushResult {
  files: number;
  rows: number;
}

export interface CompactionResult {
  partitions: number;
  filesMerged: number;
  rows: number;
}

export interface RetentionResult {
  hotRowsDeleted: number;
  partitionsDeleted: number;
}

export interface LocalStoreStats {
  readOnly: boolean;
  dir: string;
  lakeDir: string;
  /** Events accepted into the journal and not yet loaded into the hot table (not yet searchable). */
  stagedRows: number;
  /** Rows in the hot table (searchable). */
  hotRows: number;
  /** Rows not yet in lake files. */
  pendingRows: number;
  lakeFiles: number;
  lakeRows: number;
  lakeBytes: number;
  lastFlushAt?: string;
}

export const DB_FILE_NAME = "logpipe.duckdb";
/** Directory under the store dir of the ingest journal (see `journal.ts`). */
const INGEST_DIR = "ingest";
const MAX_KEPT_INGEST_BUFFER = 64 * 1024 * 1024;
/** Writes merged into one journal append at most; bounds one append's encoding buffer. */
const MAX_GROUP_ROWS = 50_000;
const ACCEPTED: ItemOutcome = { status: "accepted" };
const FLUSH_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

interface QueuedWrite {
  events: LogEvent[];
  resolve: (outcomes: ItemOutcome[]) => void;
}

interface StoreMetrics {
  rowsWritten: Counter;
  duplicates: Counter;
  journalDiscarded: Counter;
  rejected: Counter;
  writeErrors: Counter;
  lakeFilesWritten: Counter;
  lakeRowsWritten: Counter;
  filesCompacted: Counter;
  flushSeconds: Histogram;
  retentionRows: Counter;
  retentionPartitions: Counter;
  maintenanceErrors: Counter;
  pendingRows: Gauge;
  stagedRows: Gauge;
  hotRows: Gauge;
  lakeFiles: Gauge;
  lakeBytes: Gauge;
}

function storeMetrics(registry: MetricsRegistry): StoreMetrics {
  const p = "logpipe_local_store";
  return {
    rowsWritten: registry.counter(`${p}_rows_written_total`, "Events stored in the hot table."),
    duplicates: registry.counter(
      `${p}_duplicates_total`,
      "Events accepted without storing: the id was stored already.",
    ),
    journalDiscarded: registry.counter(
      `${p}_journal_lines_discarded_total`,
      "Journal lines a crash left torn; their events were never acknowledged and come again from the buffer.",
    ),
    rejected: registry.counter(`${p}_rejected_total`, "Events the store refused, by code."),
    writeErrors: registry.counter(
      `${p}_write_errors_total`,
      "Inserts that failed and were answered retryable.",
    ),
    lakeFilesWritten: registry.counter(`${p}_lake_files_written_total`, "Parquet files written by flushes."),
    lakeRowsWritten: registry.counter(
      `${p}_lake_rows_written_total`,
      "Rows written to lake files by flushes.",
    ),
    filesCompacted: registry.counter(
      `${p}_lake_files_compacted_total`,
      "Lake files merged away by compaction.",
    ),
    flushSeconds: registry.histogram(
      `${p}_flush_duration_seconds`,
      "Time a flush to lake files took.",
      FLUSH_BUCKETS,
    ),
    retentionRows: registry.counter(`${p}_retention_rows_deleted_total`, "Hot rows deleted by retention."),
    retentionPartitions: registry.counter(
      `${p}_retention_partitions_deleted_total`,
      "Lake hour partitions deleted by retention.",
    ),
    maintenanceErrors: registry.counter(
      `${p}_maintenance_errors_total`,
      "Failed flush, compaction or retention runs.",
    ),
    pendingRows: registry.gauge(`${p}_pending_rows`, "Rows not yet in lake files."),
    stagedRows: registry.gauge(`${p}_staged_rows`, "Accepted events not yet loaded into the hot table."),
    hotRows: registry.gauge(`${p}_hot_rows`, "Rows in the hot table."),
    lakeFiles: registry.gauge(`${p}_lake_files`, "Lake files in the manifest."),
    lakeBytes: registry.gauge(`${p}_lake_bytes`, "Bytes of lake files in the manifest."),
  };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const isLockError = (error: unknown) => /could not set lock on file|conflicting lock/i.test(message(error));
/** Errors caused by the rows themselves: splitting the batch isolates the culprit. */
const isDataError = (error: unknown) =>
  /^(Conversion Error|Invalid Input Error|Constraint Error|Out of Range Error)/i.test(message(error));

const bigintToNumber = (value: DuckDBValue) => Number(value as bigint | number | null);

function toParam(value: unknown): DuckDBValue {
  if (value === null || ["string", "number", "boolean", "bigint"].includes(typeof value)) {
    return value as DuckDBValue;
  }
  throw new LocalQueryError("search_invalid", `unsupported query parameter of type ${typeof value}`);
}

export class LocalStore implements Sink<LogEvent> {
  readonly name = "local-store";
  private readonly metrics: StoreMetrics;
  private readonly log: StoreLog;
  private readonly now: () => number;
  private readonly writeQueue: QueuedWrite[] = [];
  private draining: Promise<void> | undefined;
  private readonly maintenance = new Mutex();
  private readonly lakeLock = new SharedLock();
  private flushQueued = false;
  private timers: NodeJS.Timeout[] = [];
  private closing = false;
  private stopping: Promise<void> | undefined;
  /** Sequence number of the last committed insert; the next insert takes the one after. */
  private committedSeq = 0;
  /** Rows of inserts up to this number are in lake files. */
  private flushedSeq = 0;
  private hotRows = 0;
  private pendingRows = 0;
  private lakeFiles = 0;
  private lakeRows = 0;
  private lakeBytes = 0;
  private lastFlushAt: number | undefined;
  /** Read-only opens: files a crashed writer left behind, hidden from the `logs` view. */
  private orphans: string[] = [];
  /** Inserts of a journal file, strict and lenient, each without and with removal of repeats. */
  private insertFile: DuckDBPreparedStatement | undefined;
  private insertFileOnce: DuckDBPreparedStatement | undefined;
  private insertText: DuckDBPreparedStatement | undefined;
  private insertTextOnce: DuckDBPreparedStatement | undefined;
  private journal: IngestJournal | undefined;
  /** Appends and seals of the journal, one at a time. */
  private readonly journalLock = new Mutex();
  /** Loads of the journal, one at a time, in order. */
  private readonly loadLock = new Mutex();
  /** Fingerprints of the events in the journal file being appended to. */
  private readonly journaled = new FingerprintSet();
  /** Sealed journal files not loaded yet, oldest first. */
  private readonly unloaded: JournalFile[] = [];
  private loadTimer: NodeJS.Timeout | undefined;
  private loadQueued = false;
  private readonly deadLetter: LocalStoreDeps["deadLetter"];

  /** Events accepted and not yet in the hot table: the journal's, and the sealed files' not loaded. */
  private get stagedRows(): number {
    return this.unloaded.reduce((n, file) => n + file.rows, this.journal?.rows ?? 0);
  }
  /**
   * Where an append's lines are encoded, kept from one append to the next (they run one at a
   * time): joining the lines into one string and encoding that allocates fresh memory twice per
   * batch. One oversized batch is not kept.
   */
  private readonly ingestBuffers = new ByteWriterPool(1, MAX_KEPT_INGEST_BUFFER);

  private constructor(
    private readonly config: LocalStoreConfig,
    private readonly instance: DuckDBInstance,
    private readonly writer: DuckDBConnection | undefined,
    private readonly maint: DuckDBConnection,
    readonly dir: string,
    readonly lakeDir: string,
    readonly readOnly: boolean,
    deps: Partial<LocalStoreDeps> & { metrics: MetricsRegistry },
  ) {
    this.metrics = storeMetrics(deps.metrics);
    this.log = deps.log ?? (() => {});
    this.now = deps.now ?? Date.now;
    this.deadLetter = deps.deadLetter;
  }

  /** Opens (creating if needed) the store in `config.dir`, recovering from an interrupted flush or compaction. */
  static async open(
    config: z.input<typeof LocalStoreConfigSchema>,
    deps: LocalStoreDeps,
  ): Promise<LocalStore> {
    const parsed = LocalStoreConfigSchema.parse(config);
    const dir = resolve(parsed.dir);
    const lakeDir = resolve(parsed.lake_dir ?? join(dir, "..", "lake"));
    await mkdir(dir, { recursive: true });
    await mkdir(join(lakeDir, LAKE_TABLE_DIR), { recursive: true });
    const instance = await LocalStore.createInstance(dir, lakeDir, parsed, false);
    let writer: DuckDBConnection | undefined;
    let maint: DuckDBConnection | undefined;
    try {
      writer = await instance.connect();
      maint = await instance.connect();
      const store = new LocalStore(parsed, instance, writer, maint, dir, lakeDir, false, deps);
      await store.initialise();
      return store;
    } catch (error) {
      writer?.closeSync();
      maint?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  /**
   * Opens the store of `dataDir` (`<dataDir>/store`, `<dataDir>/lake`) for queries only, for the
   * CLI when no `logpipe up` runs. Fails with `StoreLockedError` when one does.
   */
  static async openReadOnly(
    dataDir: string,
    deps: Partial<LocalStoreDeps> & { lakeDir?: string } = {},
  ): Promise<LocalStore> {
    const dir = resolve(dataDir, "store");
    const lakeDir = resolve(deps.lakeDir ?? join(dataDir, "lake"));
    if (!existsSync(join(dir, DB_FILE_NAME))) {
      throw new LocalStoreError("store_missing", `no local store in ${dir}; run logpipe up first`);
    }
    const config = LocalStoreConfigSchema.parse({ dir, lake_dir: lakeDir });
    const instance = await LocalStore.createInstance(dir, lakeDir, config, true);
    let maint: DuckDBConnection | undefined;
    try {
      maint = await instance.connect();
      const store = new LocalStore(config, instance, undefined, maint, dir, lakeDir, true, {
        metrics: deps.metrics ?? new MetricsRegistry(),
        ...(deps.log ? { log: deps.log } : {}),
        ...(deps.now ? { now: deps.now } : {}),
      });
      await store.initialise();
      return store;
    } catch (error) {
      maint?.closeSync();
      instance.closeSync();
      throw error;
    }
  }

  private static async createInstance(
    dir: string,
    lakeDir: string,
    config: LocalStoreConfig,
    readOnly: boolean,
  ): Promise<DuckDBInstance> {
    const options: Record<string, string> = {
      // Only what is compiled in (parquet, json, icu); never a download.
      autoinstall_known_extensions: "false",
      autoload_known_extensions: "true",
      // A checkpoint rewrites every row group appended to since the last one, so at DuckDB's
      // 16MB a row group of the hot table is compressed three or four times over; at 64MB about
      // once, for some more memory and a longer log to replay after a crash.
      checkpoint_threshold: "64MB",
    };
    if (readOnly) options.access_mode = "READ_ONLY";
    // A writing store shares the machine with the pipeline's JS thread, which needs a core of
    // its own: with DuckDB on both cores of a 2-core machine, its loads cost a third more CPU
    // per row (parallel JSON parsing) and ingest went slower, not faster. Queries of a
    // read-only open have the machine to themselves.
    options.threads = String(
      config.threads ?? (readOnly ? availableParallelism() : Math.max(1, availableParallelism() - 1)),
    );
    if (config.memory_limit !== undefined) options.memory_limit = config.memory_limit;
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(join(dir, DB_FILE_NAME), options);
    } catch (error) {
      if (isLockError(error)) throw new StoreLockedError(dir, { cause: error });
      throw new LocalStoreError(
        "store_open_failed",
        `cannot open ${join(dir, DB_FILE_NAME)}: ${message(error)}`,
        {
          cause: error,
        },
      );
    }
    try {
      const setup = await instance.connect();
      try {
        const dirs = [dir, lakeDir].map((d) => `'${(d.endsWith(sep) ? d : d + sep).replaceAll("'", "''")}'`);
        // User SQL runs in this instance: it may read the store and the lake, and nothing else
        // on the machine; the settings cannot be changed back afterwards.
        await setup.run(
          [
            "SET GLOBAL TimeZone = 'UTC'",
            `SET GLOBAL allowed_directories = [${dirs.join(", ")}]`,
            "SET GLOBAL enable_external_access = false",
            "SET GLOBAL lock_configuration = true",
          ].join("; "),
        );
      } finally {
        setup.closeSync();
      }
    } catch (error) {
      instance.closeSync();
      throw new LocalStoreError("store_open_failed", `cannot configure DuckDB: ${message(error)}`, {
        cause: error,
      });
    }
    return instance;
  }

  private async initialise(): Promise<void> {
    const c = this.maint;
    if (!this.readOnly) {
      for (const statement of schemaStatements()) await c.run(statement);
      await this.dropPrimaryKey();
      await this.removeUncommittedFiles();
      this.insertFile = await this.writer!.prepare(insertFileSql());
      this.insertFileOnce = await this.writer!.prepare(insertFileSql(true));
      this.insertText = await this.writer!.prepare(insertSql());
      this.insertTextOnce = await this.writer!.prepare(insertSql(true));
      const { journal, leftovers } = await IngestJournal.open(join(this.dir, INGEST_DIR));
      this.journal = journal;
      this.unloaded.push(...leftovers);
    } else {
      this.orphans = (await c.runAndReadAll("SELECT path FROM lake_unlink"))
        .getRows()
        .map((r) => absoluteLakePath(this.lakeDir, String(r[0])));
    }
    const meta = await c.runAndReadAll("SELECT value FROM store_meta WHERE key = 'flushed_seq'");
    this.flushedSeq = bigintToNumber(meta.getRows()[0]?.[0] ?? 0);
    const counts = (await c.runAndReadAll(countsSql())).getRows()[0]!;
    this.hotRows = bigintToNumber(counts[0]!);
    this.pendingRows = bigintToNumber(counts[1]!);
    this.committedSeq = Math.max(bigintToNumber(counts[2]!), this.flushedSeq);
    const lake = (
      await c.runAndReadAll(
        "SELECT count(*), coalesce(sum(rows), 0)::BIGINT, coalesce(sum(bytes), 0)::BIGINT FROM lake_files",
      )
    ).getRows()[0]!;
    this.lakeFiles = bigintToNumber(lake[0]!);
    this.lakeRows = bigintToNumber(lake[1]!);
    this.lakeBytes = bigintToNumber(lake[2]!);
    this.updateGauges();
    // Events a previous process accepted and did not load; a failure leaves them for a retry.
    if (this.unloaded.length > 0) await this.refreshOrLog();
  }

  /** Stores made by earlier versions keyed `events` by id; the table is rebuilt once without. */
  private async dropPrimaryKey(): Promise<void> {
    const keys = (await this.maint.runAndReadAll(hasPrimaryKeySql())).getRows()[0]?.[0];
    if (bigintToNumber(keys ?? 0) === 0) return;
    this.log("info", "local store: rebuilding the events table without its primary key (once)");
    await this.transaction(async () => {
      for (const statement of dropPrimaryKeyStatements()) await this.maint.run(statement);
    });
  }

  /** Deletes files a crashed flush or compaction wrote but never committed (or committed away). */
  private async removeUncommittedFiles(): Promise<void> {
    const rows = (await this.maint.runAndReadAll("SELECT path FROM lake_unlink")).getRows();
    if (rows.length === 0) return;
    let removed = 0;
    for (const [rel] of rows) {
      const abs = absoluteLakePath(this.lakeDir, String(rel));
      if (await unlinkIfExists(abs)) removed++;
      await unlinkIfExists(tempPathFor(abs));
    }
    await this.maint.run("DELETE FROM lake_unlink");
    this.log("warn", "local store: removed lake files of an interrupted flush or compaction", {
      files: removed,
    });
  }

  async start(): Promise<void> {
    if (this.readOnly || this.closing || this.timers.length > 0) return;
    const every = (ms: number, task: () => void) => {
      const timer = setInterval(task, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.config.flush.interval_ms, () => {
      if (this.pendingRows > 0) this.requestFlush();
    });
    if (this.config.compaction.enabled) {
      every(
        this.config.compaction.interval_ms,
        () => void this.background("compaction", () => this.compactNow()),
      );
    }
    every(
      this.config.retention.interval_ms,
      () => void this.background("retention", () => this.retentionNow()),
    );
    if (this.pendingRows >= this.config.flush.max_rows) this.requestFlush();
  }

  async shutdown(): Promise<void> {
    this.stopping ??= (async () => {
      this.closing = true;
      for (const timer of this.timers) clearInterval(timer);
      this.timers = [];
      await this.draining;
      if (!this.readOnly) {
        // Whatever fails to load here stays journaled and is loaded at the next open.
        await this.refreshOrLog();
        clearTimeout(this.loadTimer);
        try {
          await this.maintenance.run(() => this.flushNow());
        } catch (error) {
          this.log("error", "local store: final flush failed; rows stay pending until the next start", {
            error: message(error),
          });
        }
        try {
          await this.maint.run("CHECKPOINT");
        } catch (error) {
          this.log("warn", "local store: checkpoint at shutdown failed", { error: message(error) });
        }
      }
      // Wait for running queries (they hold the lake lock shared) before closing under them.
      await this.lakeLock.exclusive(async () => {
        await this.maintenance.run(async () => {
          for (const statement of [
            this.insertFile,
            this.insertFileOnce,
            this.insertText,
            this.insertTextOnce,
          ])
            statement?.destroySync();
          this.writer?.closeSync();
          this.maint.closeSync();
          this.instance.closeSync();
        });
      });
    })();
    return this.stopping;
  }

  // ---------------------------------------------------------------- writes

  async write(batch: readonly LogEvent[], _signal?: AbortSignal): Promise<ItemOutcome[]> {
    if (this.readOnly) {
      return batch.map(() => ({
        status: "rejected",
        code: "store_read_only",
        reason: "store opened read-only",
      }));
    }
    if (this.closing) {
      return batch.map(() => ({ status: "retryable", reason: "local store is shutting down" }));
    }
    if (this.stagedRows >= this.config.refresh.max_backlog_rows) {
      const reason = `local store is loading a backlog of ${this.stagedRows} events`;
      return batch.map(() => ({ status: "retryable", reason }));
    }
    const outcomes: ItemOutcome[] = new Array(batch.length);
    const valid: LogEvent[] = [];
    const positions: number[] = [];
    for (let i = 0; i < batch.length; i++) {
      const reason = invalidReason(batch[i]);
      if (reason === undefined) {
        valid.push(batch[i]!);
        positions.push(i);
      } else {
        outcomes[i] = { status: "rejected", code: "invalid_event", reason };
        this.metrics.rejected.inc({ code: "invalid_event" });
      }
    }
    if (valid.length > 0) {
      const answered = await this.enqueue(valid);
      for (let j = 0; j < positions.length; j++) outcomes[positions[j]!] = answered[j]!;
    }
    return outcomes;
  }

  private enqueue(events: LogEvent[]): Promise<ItemOutcome[]> {
    return new Promise((resolvePromise) => {
      this.writeQueue.push({ events, resolve: resolvePromise });
      this.draining ??= this.drain().finally(() => {
        this.draining = undefined;
      });
    });
  }

  /** Appends queued writes to the journal, those that arrived together in one append. */
  private async drain(): Promise<void> {
    while (this.writeQueue.length > 0) {
      const group: QueuedWrite[] = [this.writeQueue.shift()!];
      let rows = group[0]!.events.length;
      while (this.writeQueue.length > 0 && rows + this.writeQueue[0]!.events.length <= MAX_GROUP_ROWS) {
        const next = this.writeQueue.shift()!;
        rows += next.events.length;
        group.push(next);
      }
      const outcome = await this.append(group.flatMap((w) => w.events));
      for (const w of group) w.resolve(w.events.map(() => outcome));
    }
  }

  /**
   * Appends events to the journal (never throws); they are accepted once it is synced. Encoding
   * happens under the journal's lock so that the fingerprints recorded belong to the file the
   * lines go to.
   */
  private async append(events: LogEvent[]): Promise<ItemOutcome> {
    const writer = this.ingestBuffers.writer();
    try {
      await this.journalLock.run(async () => {
        let repeats = false;
        // The fixed ISO-8601 form `write` checked sorts as text in time order.
        let oldest = events[0]!["@timestamp"];
        let newest = oldest;
        for (const event of events) {
          const at = event["@timestamp"];
          if (this.journaled.add(event.id, at)) repeats = true;
          writer.write(encodeEvent(event));
          writer.writeByte(0x0a);
          if (at < oldest) oldest = at;
          else if (at > newest) newest = at;
        }
        await this.journal!.append(
          writer.bytes(),
          events.length,
          Date.parse(oldest),
          Date.parse(newest),
          repeats,
        );
      });
    } catch (error) {
      this.metrics.writeErrors.inc();
      return { status: "retryable", reason: `local store journal append failed: ${message(error)}` };
    } finally {
      this.ingestBuffers.release(writer);
    }
    this.updateGauges();
    this.scheduleLoad();
    return ACCEPTED;
  }

  // ---------------------------------------------------------------- loads (refresh)

  /** Loads journaled events at `refresh.max_rows` or `refresh.interval_ms` after the first. */
  private scheduleLoad(): void {
    if (this.loadQueued || this.stagedRows === 0 || this.closing) return;
    if (this.journal!.rows >= this.config.refresh.max_rows) {
      this.startLoad();
      return;
    }
    this.loadAfterInterval();
  }

  /** A load `refresh.interval_ms` from now, unless one is timed already. */
  private loadAfterInterval(): void {
    if (this.closing || this.loadTimer !== undefined) return;
    this.loadTimer = setTimeout(() => {
      this.loadTimer = undefined;
      this.startLoad();
    }, this.config.refresh.interval_ms);
    this.loadTimer.unref();
  }

  private startLoad(): void {
    if (this.loadQueued) return;
    this.loadQueued = true;
    void this.refreshOrLog();
  }

  /** `refresh`, for callers that go on either way: a failed load is logged and timed again. */
  private refreshOrLog(): Promise<void> {
    return this.refresh().catch(() => undefined);
  }

  /**
   * Makes every event accepted so far searchable: loads the journal into the hot table. Search,
   * SQL, tail and `flush` do this first, so they see every accepted event.
   */
  refresh(): Promise<void> {
    if (this.readOnly) return Promise.resolve();
    return this.loadLock.run(async () => {
      this.loadQueued = false;
      clearTimeout(this.loadTimer);
      this.loadTimer = undefined;
      await this.loadJournal();
    });
  }

  /** Loads sealed journal files in order; a file that fails to load stays first in line. */
  private async loadJournal(): Promise<void> {
    if (this.journal === undefined) return;
    const sealed = await this.journalLock.run(() => {
      this.journaled.clear();
      return this.journal!.seal();
    });
    this.unloaded.push(...sealed);
    try {
      while (this.unloaded.length > 0) {
        const file = this.unloaded[0]!;
        await this.loadFile(file);
        this.unloaded.shift();
        this.updateGauges();
        await this.journal.remove(file);
      }
    } catch (error) {
      this.metrics.writeErrors.inc();
      this.log(
        "error",
        "local store: loading the journal failed; its events stay journaled and are tried again",
        {
          error: message(error),
        },
      );
      this.loadAfterInterval();
      throw error;
    }
  }

  /**
   * One journal file into the hot table under a new sequence number. DuckDB's strict JSON reader
   * takes the file as it is; a value of the wrong type (or, in a file a crash left, a torn line)
   * makes it fail, and the file's lines then go through the lenient parse instead.
   */
  private async loadFile(file: JournalFile): Promise<void> {
    const seq = this.committedSeq + 1;
    let inserted: number;
    if (file.recovered) await this.measure(file);
    let rows = file.rows;
    try {
      const statement = file.repeats ? this.insertFileOnce! : this.insertFile!;
      statement.bind([file.path, seq, file.from, file.to]);
      inserted = (await statement.run()).rowsChanged;
    } catch (error) {
      if (!isDataError(error)) throw error;
      const { lines, discarded } = await IngestJournal.salvage(file);
      if (discarded > 0) {
        this.metrics.journalDiscarded.inc(undefined, discarded);
        this.log(
          "warn",
          "local store: dropped journal lines that are not events (a torn append; the buffer delivers them again)",
          {
            file: file.path,
            lines: discarded,
          },
        );
      }
      rows = lines.length;
      inserted = await this.insertLines(lines, seq, file);
    }
    this.committedSeq = seq;
    const duplicates = rows - inserted;
    this.metrics.rowsWritten.inc(undefined, inserted);
    if (duplicates > 0) this.metrics.duplicates.inc(undefined, duplicates);
    this.hotRows += inserted;
    this.pendingRows += inserted;
    if (this.pendingRows >= this.config.flush.max_rows) this.requestFlush();
  }

  /**
   * Counts a recovered file's lines and finds its time window, so that its redelivery check
   * reads the hot table's rows of that window only, not all of them. A file the strict reader
   * refuses keeps the widest window.
   */
  private async measure(file: JournalFile): Promise<void> {
    try {
      const [row] = (await this.writer!.runAndReadAll(journalWindowSql(), [file.path])).getRows();
      if (row === undefined || row[1] === null) return;
      file.rows = bigintToNumber(row[0]!);
      file.from = bigintToNumber(row[1]!);
      file.to = bigintToNumber(row[2]!);
    } catch (error) {
      if (!isDataError(error)) throw error;
    }
  }

  /**
   * Inserts NDJSON lines leniently (a value of the wrong type becomes NULL); returns the rows
   * stored. Lines that fail even so are split in halves until each culprit is alone, and that
   * one is dead-lettered.
   */
  private async insertLines(lines: readonly string[], seq: number, window: JournalFile): Promise<number> {
    if (lines.length === 0) return 0;
    try {
      const statement = window.repeats ? this.insertTextOnce! : this.insertText!;
      statement.bind([lines.join("\n"), seq, window.from, window.to]);
      return (await statement.run()).rowsChanged;
    } catch (error) {
      if (!isDataError(error)) throw error;
      if (lines.length > 1) {
        const half = Math.ceil(lines.length / 2);
        return (
          (await this.insertLines(lines.slice(0, half), seq, window)) +
          (await this.insertLines(lines.slice(half), seq, window))
        );
      }
      await this.reject(lines[0]!, message(error));
      return 0;
    }
  }

  /** An accepted event DuckDB refuses: counted, logged and handed to the dead-letter location. */
  private async reject(line: string, reason: string): Promise<void> {
    this.metrics.rejected.inc({ code: "store_rejected" });
    this.log("error", "local store: DuckDB refused an accepted event", { reason });
    let event: unknown = line;
    try {
      event = JSON.parse(line);
    } catch {
      // the line as it was
    }
    await this.deadLetter?.([{ code: "store_rejected", reason, event }]);
  }

  private updateGauges(): void {
    this.metrics.pendingRows.set(this.pendingRows);
    this.metrics.stagedRows.set(this.stagedRows);
    this.metrics.hotRows.set(this.hotRows);
    this.metrics.lakeFiles.set(this.lakeFiles);
    this.metrics.lakeBytes.set(this.lakeBytes);
  }

  // ---------------------------------------------------------------- maintenance

  private requestFlush(): void {
    if (this.flushQueued || this.closing) return;
    this.flushQueued = true;
    void this.background("flush", async () => {
      this.flushQueued = false;
      await this.flushNow();
    });
  }

  private async background(task: string, run: () => Promise<unknown>): Promise<void> {
    if (this.closing) return;
    try {
      await this.maintenance.run(async () => {
        if (!this.closing || task === "flush") await run();
      });
    } catch (error) {
      this.metrics.maintenanceErrors.inc({ task });
      this.log("error", `local store: ${task} failed`, { error: message(error) });
    }
  }

  /** Writes every accepted event to lake files now. */
  async flush(): Promise<FlushResult> {
    this.assertWritable();
    await this.refresh();
    return this.maintenance.run(() => this.flushNow());
  }

  /** Merges small files of closed hours now. */
  compact(): Promise<CompactionResult> {
    this.assertWritable();
    return this.maintenance.run(() => this.compactNow());
  }

  /** Applies hot and lake retention now. */
  applyRetention(): Promise<RetentionResult> {
    this.assertWritable();
    return this.maintenance.run(() => this.retentionNow());
  }

  private assertWritable(): void {
    if (this.readOnly) throw new LocalStoreError("store_read_only", "store opened read-only");
    if (this.stopping) throw new LocalStoreError("store_closed", "local store is shut down");
  }

  private async flushNow(): Promise<FlushResult> {
    const lo = this.flushedSeq;
    const hi = this.committedSeq;
    if (hi <= lo) return { files: 0, rows: 0 };
    const started = performance.now();
    const c = this.maint;
    const partitions = (await c.runAndReadAll(pendingPartitionsSql(), [lo, hi])).getRows().map((r) => ({
      partition: { service: String(r[0]), dt: String(r[1]), hour: String(r[2]) } as Partition,
      rows: bigintToNumber(r[3]!),
    }));
    const plans = partitions.map((p) => {
      const rel = `${partitionRelDir(p.partition)}/${partFileName(newEventId(this.now()))}`;
      return { ...p, rel, abs: absoluteLakePath(this.lakeDir, rel), bytes: 0 };
    });
    const paths = plans.map((p) => p.rel);
    if (plans.length > 0)
      await c.run("INSERT INTO lake_unlink SELECT unnest($1::VARCHAR[])", [listValue(paths)]);
    let committed = false;
    try {
      const dirs = new Set<string>();
      for (const plan of plans) {
        const dir = dirname(plan.abs);
        await mkdir(dir, { recursive: true });
        const temp = tempPathFor(plan.abs);
        await c.run(copyPartitionSql(temp), [
          lo,
          hi,
          plan.partition.service,
          partitionStart(plan.partition),
          partitionEnd(plan.partition),
        ]);
        await fsyncFile(temp);
        await rename(temp, plan.abs);
        plan.bytes = (await stat(plan.abs)).size;
        dirs.add(dir);
      }
      for (const dir of dirs) await fsyncDir(dir);
      await this.transaction(async () => {
        if (plans.length > 0) {
          await c.run("DELETE FROM lake_unlink WHERE path IN (SELECT unnest($1::VARCHAR[]))", [
            listValue(paths),
          ]);
          await this.recordFiles(
            plans.map((p) => ({ ...p.partition, path: p.rel, rows: p.rows, bytes: p.bytes })),
          );
        }
        await c.run("UPDATE store_meta SET value = $1::BIGINT WHERE key = 'flushed_seq'", [hi]);
      });
      committed = true;
    } finally {
      if (!committed)
        await this.discardFiles(
          plans.map((p) => p.abs),
          paths,
        );
    }
    const rows = plans.reduce((n, p) => n + p.rows, 0);
    this.flushedSeq = hi;
    this.pendingRows = Math.max(0, this.pendingRows - rows);
    this.lakeFiles += plans.length;
    this.lakeRows += rows;
    this.lakeBytes += plans.reduce((n, p) => n + p.bytes, 0);
    this.lastFlushAt = this.now();
    this.metrics.lakeFilesWritten.inc(undefined, plans.length);
    this.metrics.lakeRowsWritten.inc(undefined, rows);
    this.metrics.flushSeconds.observe((performance.now() - started) / 1000);
    this.updateGauges();
    return { files: plans.length, rows };
  }

  private async recordFiles(files: LakeFileEntry[]): Promise<void> {
    await this.maint.run(
      "INSERT INTO lake_files SELECT unnest($1::VARCHAR[]), unnest($2::VARCHAR[]), unnest($3::VARCHAR[]), unnest($4::VARCHAR[]), unnest($5::BIGINT[]), unnest($6::BIGINT[]), epoch_ms($7::BIGINT)",
      [
        listValue(files.map((f) => f.path)),
        listValue(files.map((f) => f.service)),
        listValue(files.map((f) => f.dt)),
        listValue(files.map((f) => f.hour)),
        listValue(files.map((f) => f.rows)),
        listValue(files.map((f) => f.bytes)),
        this.now(),
      ],
    );
  }

  private async transaction(body: () => Promise<void>): Promise<void> {
    await this.maint.run("BEGIN TRANSACTION");
    try {
      await body();
      await this.maint.run("COMMIT");
    } catch (error) {
      await this.maint.run("ROLLBACK").catch(() => undefined);
      throw error;
    }
  }

  /** Best-effort removal of files that were never committed; `lake_unlink` covers a failure here. */
  private async discardFiles(absPaths: string[], relPaths: string[]): Promise<void> {
    try {
      await this.lakeLock.exclusive(async () => {
        for (const abs of absPaths) {
          await unlinkIfExists(tempPathFor(abs));
          await unlinkIfExists(abs);
        }
      });
      if (relPaths.length > 0) {
        await this.maint.run("DELETE FROM lake_unlink WHERE path IN (SELECT unnest($1::VARCHAR[]))", [
          listValue(relPaths),
        ]);
      }
    } catch (error) {
      this.log("warn", "local store: could not remove uncommitted lake files; they go at the next start", {
        error: message(error),
      });
    }
  }

  private async compactNow(): Promise<CompactionResult> {
    const c = this.maint;
    const files: LakeFileEntry[] = (
      await c.runAndReadAll("SELECT path, service, dt, hour, rows, bytes FROM lake_files")
    )
      .getRows()
      .map((r) => ({
        path: String(r[0]),
        service: String(r[1]),
        dt: String(r[2]),
        hour: String(r[3]),
        rows: bigintToNumber(r[4]!),
        bytes: bigintToNumber(r[5]!),
      }));
    const jobs = planCompaction(files, {
      maxFiles: this.config.compaction.max_files,
      minFileBytes: this.config.compaction.min_file_bytes,
      closedBefore: currentHourStart(this.now()),
    });
    const result: CompactionResult = { partitions: 0, filesMerged: 0, rows: 0 };
    for (const job of jobs) {
      const rel = `${partitionRelDir(job.partition)}/${partFileName(newEventId(this.now()))}`;
      const abs = absoluteLakePath(this.lakeDir, rel);
      const temp = tempPathFor(abs);
      const inputs = job.inputs.map((f) => f.path);
      await c.run("INSERT INTO lake_unlink VALUES ($1)", [rel]);
      let committed = false;
      try {
        const written = await c.runAndReadAll(
          compactSql(
            inputs.map((p) => absoluteLakePath(this.lakeDir, p)),
            temp,
          ),
        );
        const rows = bigintToNumber(written.getRows()[0]?.[0] ?? 0);
        await fsyncFile(temp);
        const bytes = (await stat(temp)).size;
        await this.lakeLock.exclusive(async () => {
          await rename(temp, abs);
          await fsyncDir(dirname(abs));
          await this.transaction(async () => {
            await c.run("DELETE FROM lake_unlink WHERE path = $1", [rel]);
            await c.run("DELETE FROM lake_files WHERE path IN (SELECT unnest($1::VARCHAR[]))", [
              listValue(inputs),
            ]);
            await this.recordFiles([{ ...job.partition, path: rel, rows, bytes }]);
            await c.run("INSERT INTO lake_unlink SELECT unnest($1::VARCHAR[])", [listValue(inputs)]);
          });
          committed = true;
          for (const input of inputs) await unlinkIfExists(absoluteLakePath(this.lakeDir, input));
        });
        await c.run("DELETE FROM lake_unlink WHERE path IN (SELECT unnest($1::VARCHAR[]))", [
          listValue(inputs),
        ]);
        const before = job.inputs.reduce((n, f) => ({ rows: n.rows + f.rows, bytes: n.bytes + f.bytes }), {
          rows: 0,
          bytes: 0,
        });
        this.lakeFiles += 1 - inputs.length;
        this.lakeRows += rows - before.rows;
        this.lakeBytes += bytes - before.bytes;
        this.metrics.filesCompacted.inc(undefined, inputs.length);
        result.partitions++;
        result.filesMerged += inputs.length;
        result.rows += rows;
      } finally {
        if (!committed) await this.discardFiles([abs], [rel]);
      }
    }
    this.updateGauges();
    return result;
  }

  private async retentionNow(): Promise<RetentionResult> {
    const now = this.now();
    const hotCutoff = now - parseDuration(this.config.retention.hot);
    const deleted = (await this.maint.run(deleteExpiredHotSql(), [hotCutoff, this.flushedSeq])).rowsChanged;
    this.hotRows = Math.max(0, this.hotRows - deleted);
    this.metrics.retentionRows.inc(undefined, deleted);

    const lakeCutoff = now - parseDuration(this.config.retention.lake);
    const expired = (await listPartitionDirs(this.lakeDir)).filter((p) => partitionEnd(p) <= lakeCutoff);
    for (const partition of expired) {
      await this.lakeLock.exclusive(async () => {
        const gone = await this.maint.runAndReadAll(
          "DELETE FROM lake_files WHERE starts_with(path, $1) RETURNING rows, bytes",
          [`${partition.relDir}/`],
        );
        for (const [rows, bytes] of gone.getRows()) {
          this.lakeFiles--;
          this.lakeRows -= bigintToNumber(rows!);
          this.lakeBytes -= bigintToNumber(bytes!);
        }
        await removePartitionDir(this.lakeDir, partition.relDir);
      });
    }
    this.metrics.retentionPartitions.inc(undefined, expired.length);
    this.updateGauges();
    return { hotRowsDeleted: deleted, partitionsDeleted: expired.length };
  }

  // ---------------------------------------------------------------- queries

  /**
   * Runs `body` on a fresh connection while no compaction swaps files under it, after loading
   * the journal, so the query sees every event accepted before it (a failed load is logged, and
   * the query answers from what is loaded).
   */
  private async query<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.stopping) throw new LocalStoreError("store_closed", "local store is shut down");
    await this.refreshOrLog();
    return this.lakeLock.shared(async () => {
      const connection = await this.instance.connect();
      try {
        return await body(connection);
      } finally {
        connection.closeSync();
      }
    });
  }

  /** Runs a search or tail statement. Preparing it refuses a condition that smuggles in a second statement. */
  private static async read(connection: DuckDBConnection, statement: Statement) {
    let prepared: DuckDBPreparedStatement | undefined;
    try {
      prepared = await connection.prepare(statement.sql);
      if (prepared.statementType !== StatementType.SELECT) {
        throw new LocalQueryError("search_invalid", "the search condition is not part of a SELECT");
      }
      prepared.bind(statement.params.map(toParam));
      return await prepared.runAndReadAll();
    } catch (error) {
      if (error instanceof LocalQueryError) throw error;
      throw new LocalQueryError("search_invalid", message(error), { cause: error });
    } finally {
      prepared?.destroySync();
    }
  }

  /**
   * Events matching `where` (a condition over the events table with `$1..$n` placeholders, as
   * core/query compiles it), newest first.
   */
  search(where: CompiledWhere | undefined, options: SearchOptions): Promise<LogEvent[]> {
    const statement = searchSql(where, {
      sinceMs: options.since?.getTime(),
      untilMs: options.until?.getTime(),
      limit: options.limit,
    });
    return this.query(async (connection) => {
      const reader = await LocalStore.read(connection, statement);
      const names = reader.columnNames();
      return reader.getRows().map((row) => eventFromRow(names, row));
    });
  }

  /**
   * Events that arrived after `cursor`, oldest first. Without a cursor nothing is returned and
   * the cursor points at the newest arrival, so a tail starts at "now".
   */
  async tailAfter(cursor: string | undefined, options: TailOptions): Promise<TailResult> {
    if (cursor === undefined) {
      await this.refreshOrLog();
      return { events: [], cursor: encodeTailCursor({ seq: this.committedSeq }) };
    }
    const after = decodeTailCursor(cursor);
    if (after === undefined) throw new LocalQueryError("bad_cursor", `not a tail cursor: ${cursor}`);
    return this.tail(options.where, { after, limit: options.limit });
  }

  /** Events with `@timestamp` at or after `since`, in arrival order, with a cursor to follow on. */
  tailSince(since: Date, options: TailOptions): Promise<TailResult> {
    return this.tail(options.where, { after: { seq: 0 }, sinceMs: since.getTime(), limit: options.limit });
  }

  /** Up to the newest insert committed when the query starts, so the cursor continues exactly there. */
  private tail(
    where: CompiledWhere | undefined,
    options: Omit<TailSqlOptions, "upToSeq">,
  ): Promise<TailResult> {
    return this.query(async (connection) => {
      const upToSeq = this.committedSeq;
      const reader = await LocalStore.read(connection, tailSql(where, { ...options, upToSeq }));
      const names = reader.columnNames();
      const rows = reader.getRows();
      const events = rows.map((row) => eventFromRow(names, row));
      const last = rows.at(-1);
      const cursor =
        last && rows.length >= options.limit
          ? encodeTailCursor({ seq: bigintToNumber(last.at(-1)!), id: String(last[names.indexOf("id")]) })
          : encodeTailCursor({ seq: upToSeq });
      return { events, cursor };
    });
  }

  /**
   * Runs one read-only SQL statement. `logs` is the lake (every Parquet file, partition columns
   * `service`, `dt`, `hour` as strings, as in Athena) plus the rows not yet flushed, each id
   * once; `events` is the hot table. Anything but a SELECT (DESCRIBE, SHOW and SUMMARIZE are
   * SELECTs) is refused, and the database cannot read files outside the store and the lake.
   */
  sql(text: string, options: SqlOptions = {}): Promise<SqlQueryResult> {
    const maxRows = options.maxRows ?? this.config.sql_max_rows;
    if (text.trim() === "") return Promise.reject(new LocalQueryError("sql_empty", "no SQL statement given"));
    return this.query(async (connection) => {
      await connection.run(logsViewSql(await this.lakeSource()));
      let statements: Awaited<ReturnType<DuckDBConnection["extractStatements"]>>;
      try {
        statements = await connection.extractStatements(text);
      } catch (error) {
        // The bindings fail without a parser message when the text holds no statement at all.
        if (!/Parser Error|Failed to extract/i.test(message(error))) {
          throw new LocalQueryError("sql_empty", "no SQL statement given", { cause: error });
        }
        throw new LocalQueryError("sql_invalid", message(error), { cause: error });
      }
      if (statements.count === 0) throw new LocalQueryError("sql_empty", "no SQL statement given");
      if (statements.count > 1) {
        throw new LocalQueryError("sql_multiple_statements", "give one SQL statement at a time");
      }
      let prepared: DuckDBPreparedStatement;
      try {
        prepared = await statements.prepare(0);
      } catch (error) {
        throw new LocalQueryError("sql_invalid", message(error), { cause: error });
      }
      const onAbort = () => connection.interrupt();
      try {
        if (prepared.statementType !== StatementType.SELECT) {
          throw new LocalQueryError(
            "sql_not_read_only",
            `only read-only queries (SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE) are allowed, got ${StatementType[prepared.statementType] ?? "another statement"}`,
          );
        }
        if (options.signal?.aborted) throw new LocalQueryError("query_aborted", "query aborted");
        options.signal?.addEventListener("abort", onAbort, { once: true });
        let reader: Awaited<ReturnType<DuckDBPreparedStatement["streamAndReadUntil"]>>;
        try {
          reader = await prepared.streamAndReadUntil(maxRows + 1);
        } catch (error) {
          if (options.signal?.aborted)
            throw new LocalQueryError("query_aborted", "query aborted", { cause: error });
          throw new LocalQueryError("sql_invalid", message(error), { cause: error });
        }
        const names = reader.columnNames();
        const types = reader.columnTypes();
        const all = reader.getRows();
        return {
          columns: names.map((name, i) => ({ name, type: types[i]!.toString() })),
          rows: all.slice(0, maxRows).map((row) => row.map(jsonSafe)),
          truncated: all.length > maxRows,
        };
      } finally {
        options.signal?.removeEventListener("abort", onAbort);
        prepared.destroySync();
      }
    });
  }

  private async lakeSource(): Promise<LogsViewSource> {
    const root = join(this.lakeDir, LAKE_TABLE_DIR);
    if (!(await containsParquet(root))) return {};
    if (this.orphans.length === 0) return { files: lakeGlob(this.lakeDir) };
    const hidden = new Set(this.orphans);
    return { files: (await findParquet(root)).filter((f) => !hidden.has(f)) };
  }

  /** Counts kept in memory (exact while this process is the only writer); cheap enough for health checks. */
  stats(): LocalStoreStats {
    return {
      readOnly: this.readOnly,
      dir: this.dir,
      lakeDir: this.lakeDir,
      stagedRows: this.stagedRows,
      hotRows: this.hotRows,
      pendingRows: this.pendingRows,
      lakeFiles: this.lakeFiles,
      lakeRows: this.lakeRows,
      lakeBytes: this.lakeBytes,
      ...(this.lastFlushAt !== undefined ? { lastFlushAt: new Date(this.lastFlushAt).toISOString() } : {}),
    };
  }
}
