import {
  DuckDBArrayValue,
  DuckDBDecimalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUnionValue,
  type DuckDBValue,
} from "@duckdb/node-api";
import { type LogEvent, SCHEMA_FIELDS, type SchemaField } from "../../core/event/schema.js";

/**
 * DuckDB values to JSON-safe values: what `sql()` answers and what `search()` shapes into
 * events. Pure; no connection needed.
 */

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function isoFromMillis(millis: bigint, fallback: () => string): string {
  const ms = Number(millis);
  const date = new Date(ms);
  return Number.isFinite(date.getTime()) ? date.toISOString() : fallback();
}

function timestampIso(value: DuckDBValue): string | undefined {
  if (value instanceof DuckDBTimestampMillisecondsValue) {
    return value.isFinite ? isoFromMillis(value.millis, () => value.toString()) : value.toString();
  }
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return value.isFinite
      ? isoFromMillis(floorDiv(value.micros, 1000n), () => value.toString())
      : value.toString();
  }
  if (value instanceof DuckDBTimestampNanosecondsValue) {
    return value.isFinite
      ? isoFromMillis(floorDiv(value.nanos, 1_000_000n), () => value.toString())
      : value.toString();
  }
  if (value instanceof DuckDBTimestampSecondsValue) {
    return value.isFinite ? isoFromMillis(value.seconds * 1000n, () => value.toString()) : value.toString();
  }
  return undefined;
}

/**
 * JSON-safe form: integers beyond 2^53 and non-finite doubles as strings, timestamps as ISO-8601
 * UTC, maps with string keys as objects, other exotic types (dates, intervals, blobs, UUIDs) as
 * DuckDB's own text.
 */
export function jsonSafe(value: DuckDBValue): unknown {
  if (value === null || typeof value === "boolean" || typeof value === "string") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  const iso = timestampIso(value);
  if (iso !== undefined) return iso;
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) return value.items.map(jsonSafe);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, jsonSafe(v)]));
  }
  if (value instanceof DuckDBMapValue) {
    const keys = value.entries.map((e) => e.key);
    if (keys.every((k) => typeof k === "string") && new Set(keys).size === keys.length) {
      return Object.fromEntries(value.entries.map((e) => [e.key as string, jsonSafe(e.value)]));
    }
    return value.entries.map((e) => ({ key: jsonSafe(e.key), value: jsonSafe(e.value) }));
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBUnionValue) return jsonSafe(value.value);
  return value.toString();
}

const FIELD_BY_NAME = new Map(SCHEMA_FIELDS.map((f) => [f.name, f]));

function shapeField(field: SchemaField, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (field.children) {
    if (typeof value !== "object") return undefined;
    const members = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const child of field.children) {
      const v = shapeField(child, members[child.name]);
      if (v !== undefined) out[child.name] = v;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

/**
 * A row of the events table back to the shape of a `LogEvent`: NULL columns omitted, the http
 * struct omitted when all of it is NULL, attrs as an object. Columns that are not fields of the
 * schema (such as `_seq`) are ignored.
 */
export function eventFromRow(names: readonly string[], row: readonly DuckDBValue[]): LogEvent {
  const event: Record<string, unknown> = {};
  for (let i = 0; i < names.length; i++) {
    const field = FIELD_BY_NAME.get(names[i]!);
    if (!field) continue;
    const value = shapeField(field, jsonSafe(row[i] ?? null));
    if (value !== undefined) event[field.name] = value;
  }
  return event as LogEvent;
}
