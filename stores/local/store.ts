import { existsSync } from "node:fs";
import { mkdir, rename, rm, stat, unlink, writeFile } from "node:fs/promises";
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
import { type ByteWriter, ByteWriterPool } from "../../core/bytes.js";
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
  type LogsViewSource,
  logsViewSql,
  pendingPartitionsSql,
  type Statement,
  schemaStatements,
  searchSql,
  tailSql,
} from "./sql.js";
import { eventFromRow, jsonSafe } from "./values.js";

/**
 * The embedded store: plays OpenSearch (search over the hot `events` table) and S3 + Athena
 * (Parquet lake files in the S3 layout, queried with SQL through the `logs` view).
 *
 * Writes. A batch becomes one NDJSON file (the JSON text a sealed event carries, so nothing is
 * serialised twice) that DuckDB's JSON reader inserts in one statement, stamped with a batch
 * sequence number (`_seq`). Nothing is parsed or copied value by value on the JS thread: binding
 * the batch as one string parameter took half as long as DuckDB's parse of it, all of it on the
 * JS thread, and the Appender took longer than the whole insert. The table has no primary key
 * (its index cost a fifth of every insert and grew in memory with the table); instead the
 * insert skips rows whose id is stored already at the same `@timestamp`, looking only at the
 * batch's time window, so a redelivered event is accepted and stored once. Writes that arrive while one runs are merged
 * into the next statement. `write` answers once DuckDB has committed the rows to its
 * write-ahead log.
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

export interface LocalStoreDeps {
  metrics: MetricsRegistry;
  log?: StoreLog;
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
/** Directory under the store dir for the NDJSON file of the insert that runs; emptied at open. */
const INGEST_DIR = "ingest";
const MAX_KEPT_INGEST_BUFFER = 64 * 1024 * 1024;
/** Writes merged into one insert at most; bounds one insert's file and encoding buffer. */
const MAX_GROUP_ROWS = 50_000;
const FLUSH_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60];

/** Oldest and newest `@timestamp` of a batch, epoch ms. */
interface TimeWindow {
  from: number;
  to: number;
}

interface QueuedWrite {
  events: LogEvent[];
  resolve: (outcomes: ItemOutcome[]) => void;
}

interface StoreMetrics {
  rowsWritten: Counter;
  duplicates: Counter;
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
  private insertFile: DuckDBPreparedStatement | undefined;
  private insertText: DuckDBPreparedStatement | undefined;
  /** Names each insert's file; never reused, as DuckDB may cache a file it read by its path. */
  private ingestFiles = 0;
  /**
   * Where an insert's lines are encoded, kept from one insert to the next (they run one at a
   * time): joining the lines into one string and encoding that allocates fresh memory twice per
   * batch, and that cost more than DuckDB's parse of it. One oversized batch is not kept.
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
    if (config.threads !== undefined) options.threads = String(config.threads);
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
      await rm(this.ingestDir, { recursive: true, force: true });
      await mkdir(this.ingestDir, { recursive: true });
      this.insertFile = await this.writer!.prepare(insertFileSql());
      this.insertText = await this.writer!.prepare(insertSql());
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
  }

  private get ingestDir(): string {
    return join(this.dir, INGEST_DIR);
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
          this.insertFile?.destroySync();
          this.insertText?.destroySync();
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

  private async drain(): Promise<void> {
    while (this.writeQueue.length > 0) {
      const group: QueuedWrite[] = [this.writeQueue.shift()!];
      let rows = group[0]!.events.length;
      while (this.writeQueue.length > 0 && rows + this.writeQueue[0]!.events.length <= MAX_GROUP_ROWS) {
        const next = this.writeQueue.shift()!;
        rows += next.events.length;
        group.push(next);
      }
      const outcomes = await this.insertEvents(group.flatMap((w) => w.events));
      let offset = 0;
      for (const w of group) {
        w.resolve(outcomes.slice(offset, offset + w.events.length));
        offset += w.events.length;
      }
    }
  }

  /** Inserts events (never throws): one outcome per event. */
  private async insertEvents(events: LogEvent[]): Promise<ItemOutcome[]> {
    const accepted: ItemOutcome = { status: "accepted" };
    const outcomes: ItemOutcome[] = new Array(events.length).fill(accepted);
    const seen = new Set<string>();
    const unique: number[] = [];
    const lines: string[] = [];
    // The fixed ISO-8601 form `write` checked sorts as text in time order.
    let oldest = "";
    let newest = "";
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (seen.has(event.id)) continue;
      seen.add(event.id);
      unique.push(i);
      lines.push(encodeEvent(event));
      const at = event["@timestamp"];
      if (oldest === "" || at < oldest) oldest = at;
      if (at > newest) newest = at;
    }
    const inBatchDuplicates = events.length - unique.length;
    if (inBatchDuplicates > 0) this.metrics.duplicates.inc(undefined, inBatchDuplicates);
    await this.insertLines(lines, unique, { from: Date.parse(oldest), to: Date.parse(newest) }, outcomes);
    return outcomes;
  }

  /**
   * Inserts `lines` (events at `indexes`, `@timestamp` within `window`), filling `outcomes` for
   * those that fail. A batch that fails because of its content is split in halves until the
   * offending events are isolated.
   */
  private async insertLines(
    lines: string[],
    indexes: number[],
    window: TimeWindow,
    outcomes: ItemOutcome[],
  ): Promise<void> {
    try {
      const inserted = await this.runInsert(lines, window);
      const duplicates = lines.length - inserted;
      this.metrics.rowsWritten.inc(undefined, inserted);
      if (duplicates > 0) this.metrics.duplicates.inc(undefined, duplicates);
      this.hotRows += inserted;
      this.pendingRows += inserted;
      this.updateGauges();
      if (this.pendingRows >= this.config.flush.max_rows) this.requestFlush();
    } catch (error) {
      if (isDataError(error) && lines.length > 1) {
        const half = Math.ceil(lines.length / 2);
        await this.insertLines(lines.slice(0, half), indexes.slice(0, half), window, outcomes);
        await this.insertLines(lines.slice(half), indexes.slice(half), window, outcomes);
        return;
      }
      if (isDataError(error)) {
        outcomes[indexes[0]!] = { status: "rejected", code: "store_rejected", reason: message(error) };
        this.metrics.rejected.inc({ code: "store_rejected" });
        return;
      }
      this.metrics.writeErrors.inc();
      const reason = `local store insert failed: ${message(error)}`;
      for (const i of indexes) outcomes[i] = { status: "retryable", reason };
    }
  }

  /**
   * One insert statement under a new sequence number; returns the rows stored. The file is only
   * the statement's input: the rows are durable once DuckDB commits them to its log, so it is
   * neither synced nor kept.
   */
  private async runInsert(lines: readonly string[], window: TimeWindow): Promise<number> {
    const seq = this.committedSeq + 1;
    const run = async (statement: DuckDBPreparedStatement, input: string) => {
      statement.bind([input, seq, window.from, window.to]);
      return (await statement.run()).rowsChanged;
    };
    const path = join(this.ingestDir, `${++this.ingestFiles}.ndjson`);
    const writer = this.ingestBuffers.writer();
    let inserted: number;
    try {
      await writeFile(path, LocalStore.encodeLines(lines, writer));
      inserted = await run(this.insertFile!, path);
    } catch (error) {
      // The JSON reader refuses a value of the wrong type that the lenient parse turns into NULL.
      if (!isDataError(error)) throw error;
      inserted = await run(this.insertText!, lines.join("\n"));
    } finally {
      this.ingestBuffers.release(writer);
      await unlink(path).catch(() => undefined);
    }
    this.committedSeq = seq;
    return inserted;
  }

  /** `lines` as UTF-8 NDJSON, in the writer's kept buffer. */
  private static encodeLines(lines: readonly string[], writer: ByteWriter): Buffer {
    for (const line of lines) {
      writer.write(line);
      writer.writeByte(0x0a);
    }
    return writer.bytes();
  }

  private updateGauges(): void {
    this.metrics.pendingRows.set(this.pendingRows);
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

  /** Writes every pending row to lake files now. */
  flush(): Promise<FlushResult> {
    this.assertWritable();
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

  /** Runs `body` on a fresh connection while no compaction swaps files under it. */
  private query<T>(body: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    if (this.stopping) return Promise.reject(new LocalStoreError("store_closed", "local store is shut down"));
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
  tailAfter(cursor: string | undefined, options: TailOptions): Promise<TailResult> {
    const upTo = this.committedSeq;
    if (cursor === undefined) return Promise.resolve({ events: [], cursor: encodeTailCursor({ seq: upTo }) });
    const after = decodeTailCursor(cursor);
    if (after === undefined)
      return Promise.reject(new LocalQueryError("bad_cursor", `not a tail cursor: ${cursor}`));
    return this.tail(options.where, { after, upToSeq: upTo, limit: options.limit });
  }

  /** Events with `@timestamp` at or after `since`, in arrival order, with a cursor to follow on. */
  tailSince(since: Date, options: TailOptions): Promise<TailResult> {
    return this.tail(options.where, {
      after: { seq: 0 },
      upToSeq: this.committedSeq,
      sinceMs: since.getTime(),
      limit: options.limit,
    });
  }

  private tail(
    where: CompiledWhere | undefined,
    options: Parameters<typeof tailSql>[1],
  ): Promise<TailResult> {
    const statement = tailSql(where, options);
    return this.query(async (connection) => {
      const reader = await LocalStore.read(connection, statement);
      const names = reader.columnNames();
      const rows = reader.getRows();
      const events = rows.map((row) => eventFromRow(names, row));
      const last = rows.at(-1);
      const cursor =
        last && rows.length >= options.limit
          ? encodeTailCursor({ seq: bigintToNumber(last.at(-1)!), id: String(last[names.indexOf("id")]) })
          : encodeTailCursor({ seq: options.upToSeq });
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
      hotRows: this.hotRows,
      pendingRows: this.pendingRows,
      lakeFiles: this.lakeFiles,
      lakeRows: this.lakeRows,
      lakeBytes: this.lakeBytes,
      ...(this.lastFlushAt !== undefined ? { lastFlushAt: new Date(this.lastFlushAt).toISOString() } : {}),
    };
  }
}
