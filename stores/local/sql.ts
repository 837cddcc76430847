import { duckdbColumns, duckdbType, quoteDuckIdent } from "../../core/event/projections/duckdb.js";
import { SCHEMA_FIELDS, type SchemaField } from "../../core/event/schema.js";

/**
 * Every SQL statement of the local store, built here as text and parameter lists; no I/O. Column
 * lists are walked from the DuckDB projection, so a field added to the event schema flows
 * through inserts, searches, flushes and compaction without an edit here.
 */

export const EVENTS_TABLE = "events";
/**
 * Internal column of the hot table: the insert sequence number of the batch a row arrived in.
 * It orders `tail`, and `_seq > flushed_seq` is the set of rows not yet in lake files, so a row
 * is stored once and never copied to a second table.
 */
export const SEQ_COLUMN = "_seq";
export const LOGS_VIEW = "logs";

const q = quoteDuckIdent;
const COLUMNS = duckdbColumns();
export const EVENT_COLUMN_NAMES: readonly string[] = COLUMNS.map((c) => c.name);
const COLUMN_LIST = COLUMNS.map((c) => q(c.name)).join(", ");
const TS = q("@timestamp");
const ID = q("id");
const SEQ = q(SEQ_COLUMN);

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The hot table. No primary key: an index on `id` costs a third of an insert and grows in memory
 * with every row; `insertFileSql` finds redeliveries instead (see there).
 */
export function eventsTableDdl(table = EVENTS_TABLE): string {
  const columns = COLUMNS.map((c) => `${q(c.name)} ${c.type}${c.notNull ? " NOT NULL" : ""}`);
  return `CREATE TABLE IF NOT EXISTS ${q(table)} (${columns.join(", ")}, ${SEQ} BIGINT)`;
}

/** Tables of the store, oldest first; every statement is idempotent so `open` can always run them. */
export function schemaStatements(): string[] {
  return [
    eventsTableDdl(),
    // Tables made before the sequence column existed.
    `ALTER TABLE ${q(EVENTS_TABLE)} ADD COLUMN IF NOT EXISTS ${SEQ} BIGINT`,
    `CREATE TABLE IF NOT EXISTS store_meta (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL)`,
    `INSERT OR IGNORE INTO store_meta VALUES ('flushed_seq', 0)`,
    // The manifest of lake files this store wrote; paths are relative to the lake root.
    `CREATE TABLE IF NOT EXISTS lake_files (path VARCHAR PRIMARY KEY, service VARCHAR NOT NULL, dt VARCHAR NOT NULL, hour VARCHAR NOT NULL, rows BIGINT NOT NULL, bytes BIGINT NOT NULL, created_at TIMESTAMP_MS NOT NULL)`,
    // Files to delete if found at start-up: written but never committed, or dropped by a
    // committed compaction. Makes flush and compaction exactly-once across crashes.
    `CREATE TABLE IF NOT EXISTS lake_unlink (path VARCHAR PRIMARY KEY)`,
  ];
}

function jsonStructure(fields: readonly SchemaField[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((f) => [f.name, f.children ? jsonStructure(f.children) : duckdbType(f)] as const),
  );
}

/** The `from_json` structure of an event: the projection's types, nested for groups. */
export const EVENT_JSON_STRUCTURE = JSON.stringify(jsonStructure(SCHEMA_FIELDS));

/** Whether `events` still has the primary key of stores made before `eventsTableDdl`. */
export function hasPrimaryKeySql(): string {
  return `SELECT count(*)::BIGINT FROM duckdb_constraints() WHERE database_name = current_database() AND schema_name = 'main' AND table_name = ${sqlString(EVENTS_TABLE)} AND constraint_type = 'PRIMARY KEY'`;
}

/** Rebuilds `events` without its primary key (DuckDB cannot drop one); run inside a transaction. */
export function dropPrimaryKeyStatements(): string[] {
  const rebuilt = `${EVENTS_TABLE}_rebuilt`;
  return [
    `DROP TABLE IF EXISTS ${q(rebuilt)}`,
    eventsTableDdl(rebuilt),
    `INSERT INTO ${q(rebuilt)} (${COLUMN_LIST}, ${SEQ}) SELECT ${COLUMN_LIST}, ${SEQ} FROM ${q(EVENTS_TABLE)}`,
    `DROP TABLE ${q(EVENTS_TABLE)}`,
    `ALTER TABLE ${q(rebuilt)} RENAME TO ${q(EVENTS_TABLE)}`,
  ];
}

/** `read_json`'s `columns`: the projection's types by column name, nested groups as STRUCTs. */
const READ_JSON_COLUMNS = `{${COLUMNS.map((c) => `${sqlString(c.name)}: ${sqlString(c.type)}`).join(", ")}}`;

/**
 * A row of the batch `b` is new unless the hot table holds its id at the same `@timestamp`. The
 * window `[$3, $4]` (epoch ms, the batch's oldest and newest `@timestamp`) lets DuckDB skip every
 * row group outside it, so the check reads a handful of recent rows, not the table; the bounds
 * are cast to the column's type, as a cast on the column side would defeat that. A batch spread
 * over a long time (old events mixed with new ones) makes the check read every row group in
 * between, so it costs more but stays correct.
 */
const NOT_STORED = [
  `NOT EXISTS (SELECT 1 FROM ${q(EVENTS_TABLE)} h`,
  `WHERE h.${TS} BETWEEN epoch_ms($3::BIGINT)::TIMESTAMP_MS AND epoch_ms($4::BIGINT)::TIMESTAMP_MS`,
  `AND h.${ID} = b.${ID} AND h.${TS} = b.${TS})`,
].join(" ");

/** The NDJSON file `$1` as rows of the projection's columns, read strictly. */
const READ_FILE = `read_json($1::VARCHAR, format = 'newline_delimited', records = true, columns = ${READ_JSON_COLUMNS})`;

/** Keeps the first row of each `(id, @timestamp)` of a source that may repeat one. */
const onceEach = (source: string) =>
  `(SELECT * FROM ${source} QUALIFY row_number() OVER (PARTITION BY ${ID}, ${TS}) = 1)`;

/** The NDJSON string `$1` as rows of the projection's columns, a value of the wrong type as NULL. */
const READ_TEXT = `(SELECT unnest(from_json(line, ${sqlString(EVENT_JSON_STRUCTURE)})) FROM (SELECT unnest(string_split($1, chr(10))) AS line))`;

/**
 * Inserts the rows of `source` under sequence number `$2`, skipping events already stored (see
 * `NOT_STORED`). `repeats`: the source may hold an event twice, and only its first copy is
 * inserted (this costs more than the insert itself, so it is asked for only then).
 */
function insertRowsSql(source: string, repeats: boolean): string {
  return [
    `INSERT INTO ${q(EVENTS_TABLE)} (${COLUMN_LIST}, ${SEQ})`,
    `SELECT ${COLUMNS.map((c) => `b.${q(c.name)}`).join(", ")}, $2::BIGINT`,
    `FROM ${repeats ? onceEach(source) : source} b`,
    `WHERE ${NOT_STORED}`,
  ].join(" ");
}

/**
 * Inserts the NDJSON file `$1` (one event per line); see `insertRowsSql`. DuckDB's JSON reader
 * parses the file straight into column vectors: no value crosses from JS, and nothing is parsed
 * on the JS thread. It is strict, so a value of the wrong type fails the statement; `insertSql`
 * then takes the lines.
 */
export function insertFileSql(repeats = false): string {
  return insertRowsSql(READ_FILE, repeats);
}

/**
 * `insertFileSql` for lines given as one NDJSON string (`$1`): slower (the string is copied into
 * DuckDB on the JS thread), but lenient like a cast, a value of the wrong type becoming NULL,
 * which keeps one odd event from failing its batch.
 */
export function insertSql(repeats = false): string {
  return insertRowsSql(READ_TEXT, repeats);
}

/**
 * Lines, oldest and newest `@timestamp` (epoch ms) of the NDJSON file `$1`, read as
 * `insertFileSql` reads it: the redelivery window of a journal file a crash left behind.
 */
export function journalWindowSql(): string {
  return `SELECT count(*)::BIGINT, epoch_ms(min(${TS}))::BIGINT, epoch_ms(max(${TS}))::BIGINT FROM ${READ_FILE}`;
}

/** A compiled condition over the events table with `$1..$n` placeholders (from core/query). */
export interface CompiledWhere {
  where: string;
  params: readonly unknown[];
}

export interface Statement {
  sql: string;
  params: unknown[];
}

function conditions(where: CompiledWhere | undefined): { parts: string[]; params: unknown[] } {
  const text = where?.where.trim();
  if (!where || !text) return { parts: [], params: [] };
  return { parts: [`(${text})`], params: [...where.params] };
}

function checkLimit(limit: number): number {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer`);
  return limit;
}

export interface SearchSqlOptions {
  /** Inclusive lower bound on `@timestamp`, epoch ms. */
  sinceMs?: number | undefined;
  /** Exclusive upper bound on `@timestamp`, epoch ms. */
  untilMs?: number | undefined;
  limit: number;
}

/** Newest first. The caller's placeholders keep their numbers; the time bounds come after them. */
export function searchSql(where: CompiledWhere | undefined, options: SearchSqlOptions): Statement {
  const { parts, params } = conditions(where);
  const bind = (value: unknown) => `$${params.push(value)}`;
  if (options.sinceMs !== undefined) parts.push(`${TS} >= epoch_ms(${bind(options.sinceMs)}::BIGINT)`);
  if (options.untilMs !== undefined) parts.push(`${TS} < epoch_ms(${bind(options.untilMs)}::BIGINT)`);
  const filter = parts.length ? ` WHERE ${parts.join(" AND ")}` : "";
  return {
    sql: `SELECT ${COLUMN_LIST} FROM ${q(EVENTS_TABLE)}${filter} ORDER BY ${TS} DESC, ${ID} DESC LIMIT ${checkLimit(options.limit)}`,
    params,
  };
}

/** Position in arrival order: after every row of batch `seq` (no id), or after `id` within it. */
export interface TailPosition {
  seq: number;
  id?: string | undefined;
}

export function encodeTailCursor(position: TailPosition): string {
  return position.id === undefined ? String(position.seq) : `${position.seq}:${position.id}`;
}

/** Undefined for anything that is not a cursor this store handed out. */
export function decodeTailCursor(cursor: string): TailPosition | undefined {
  const m = /^(\d{1,15})(?::([\s\S]+))?$/.exec(cursor);
  if (!m) return undefined;
  return m[2] === undefined ? { seq: Number(m[1]) } : { seq: Number(m[1]), id: m[2] };
}

export interface TailSqlOptions {
  after: TailPosition;
  /** Highest batch to include, so a later call continues exactly where this one stopped. */
  upToSeq: number;
  sinceMs?: number | undefined;
  limit: number;
}

/** Events after a position, oldest arrival first; the last column is `_seq`. */
export function tailSql(where: CompiledWhere | undefined, options: TailSqlOptions): Statement {
  const { parts, params } = conditions(where);
  const bind = (value: unknown) => `$${params.push(value)}`;
  const seq = bind(options.after.seq);
  parts.push(
    options.after.id === undefined
      ? `${SEQ} > ${seq}::BIGINT`
      : `(${SEQ} > ${seq}::BIGINT OR (${SEQ} = ${seq}::BIGINT AND ${ID} > ${bind(options.after.id)}))`,
  );
  parts.push(`${SEQ} <= ${bind(options.upToSeq)}::BIGINT`);
  if (options.sinceMs !== undefined) parts.push(`${TS} >= epoch_ms(${bind(options.sinceMs)}::BIGINT)`);
  return {
    sql: `SELECT ${COLUMN_LIST}, ${SEQ} FROM ${q(EVENTS_TABLE)} WHERE ${parts.join(" AND ")} ORDER BY ${SEQ}, ${ID} LIMIT ${checkLimit(options.limit)}`,
    params,
  };
}

const DT_EXPR = (ts: string) => `strftime(${ts}, '%Y-%m-%d')`;
const HOUR_EXPR = (ts: string) => `strftime(${ts}, '%H')`;

export interface LogsViewSource {
  /** Lake files to read: a glob, or an explicit list; undefined when the lake has none yet. */
  files?: string | readonly string[] | undefined;
}

function readLake(files: string | readonly string[]): string {
  const list = typeof files === "string" ? sqlString(files) : `[${files.map(sqlString).join(", ")}]`;
  // Partition values are read from the path as strings, the way Athena's partition keys are.
  return `read_parquet(${list}, hive_partitioning = true, union_by_name = true, hive_types_autocast = false)`;
}

/**
 * The `logs` view: every lake file, plus the hot rows not yet flushed that no lake file holds
 * already. The lake is exactly-once by construction (see store.ts), so only the short overlap
 * while a flush commits needs removing, and a per-partition anti-join does that cheaply
 * (DuckDB prunes the lake side with the pending rows' partition bounds).
 */
export function logsViewSql(source: LogsViewSource): string {
  const pending = [
    `SELECT ${COLUMNS.map((c) => `p.${q(c.name)}`).join(", ")}, ${DT_EXPR(`p.${TS}`)} AS "dt", ${HOUR_EXPR(`p.${TS}`)} AS "hour"`,
    `FROM ${q(EVENTS_TABLE)} p`,
    `WHERE p.${SEQ} > (SELECT value FROM store_meta WHERE key = 'flushed_seq')`,
  ].join(" ");
  const files = source.files;
  if (files === undefined || (typeof files !== "string" && files.length === 0)) {
    return `CREATE OR REPLACE TEMP VIEW ${LOGS_VIEW} AS ${pending}`;
  }
  const lake = readLake(files);
  const notInLake = [
    `NOT EXISTS (SELECT 1 FROM ${lake} l WHERE l."service" = p."service"`,
    `AND l."dt" = ${DT_EXPR(`p.${TS}`)} AND l."hour" = ${HOUR_EXPR(`p.${TS}`)} AND l.${ID} = p.${ID})`,
  ].join(" ");
  return `CREATE OR REPLACE TEMP VIEW ${LOGS_VIEW} AS SELECT * FROM ${lake} UNION ALL BY NAME ${pending} AND ${notInLake}`;
}

/** Partitions of the rows in batches `($1, $2]`, with their row counts. */
export function pendingPartitionsSql(): string {
  return `SELECT "service", ${DT_EXPR(TS)} AS dt, ${HOUR_EXPR(TS)} AS hour, count(*)::BIGINT AS n FROM ${q(EVENTS_TABLE)} WHERE ${SEQ} > $1::BIGINT AND ${SEQ} <= $2::BIGINT GROUP BY ALL ORDER BY ALL`;
}

const PARQUET_OPTIONS = "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)";

/**
 * Writes one partition's rows of batches `($1, $2]` to `target`: service `$3`, `@timestamp` in
 * `[$4, $5)` epoch ms. Columns in projection order, so the file matches the Parquet projection.
 */
export function copyPartitionSql(target: string): string {
  return [
    `COPY (SELECT ${COLUMN_LIST} FROM ${q(EVENTS_TABLE)}`,
    `WHERE ${SEQ} > $1::BIGINT AND ${SEQ} <= $2::BIGINT AND "service" = $3`,
    `AND ${TS} >= epoch_ms($4::BIGINT) AND ${TS} < epoch_ms($5::BIGINT)`,
    `ORDER BY ${TS}, ${ID})`,
    `TO ${sqlString(target)} ${PARQUET_OPTIONS}`,
  ].join(" ");
}

/**
 * Merges lake files into `target`, one row per id. Columns are cast back to the projection's
 * types: DuckDB reads a millisecond timestamp from Parquet as microseconds.
 */
export function compactSql(inputs: readonly string[], target: string): string {
  const select = COLUMNS.map((c) => `CAST(${q(c.name)} AS ${c.type}) AS ${q(c.name)}`).join(", ");
  const source = `read_parquet([${inputs.map(sqlString).join(", ")}], hive_partitioning = false, union_by_name = true)`;
  return [
    `COPY (SELECT ${select} FROM ${source}`,
    `QUALIFY row_number() OVER (PARTITION BY ${ID} ORDER BY ${TS}) = 1`,
    `ORDER BY ${TS}, ${ID})`,
    `TO ${sqlString(target)} ${PARQUET_OPTIONS}`,
  ].join(" ");
}

/** Hot rows older than `$1` (epoch ms) that are already in lake files (`_seq <= $2`). */
export function deleteExpiredHotSql(): string {
  return `DELETE FROM ${q(EVENTS_TABLE)} WHERE ${TS} < epoch_ms($1::BIGINT) AND ${SEQ} <= $2::BIGINT`;
}

/** Rows stored, and rows not yet in lake files. */
export function countsSql(): string {
  return `SELECT count(*)::BIGINT, count(*) FILTER (WHERE ${SEQ} > (SELECT value FROM store_meta WHERE key = 'flushed_seq'))::BIGINT, coalesce(max(${SEQ}), 0)::BIGINT FROM ${q(EVENTS_TABLE)}`;
}
