/**
 * Athena's result pages as rows of JS values. Athena answers every value as a string
 * (`VarCharValue`) and marks NULL by leaving the value out; the column's type says how to read it.
 * Pure: no SDK calls.
 */

export interface AthenaColumn {
  name: string;
  type: string;
}

/** The parts of Athena's `Row` this module reads (structurally the SDK's type). */
export interface AthenaRow {
  Data?: { VarCharValue?: string | undefined }[] | undefined;
}

const INTEGER_TYPES = new Set(["tinyint", "smallint", "integer", "int", "bigint"]);
const FLOAT_TYPES = new Set(["double", "float", "real"]);

/**
 * One value by its Athena type: integers and floating point become numbers (a `bigint` beyond
 * 2^53 stays a string rather than silently losing digits), booleans become booleans, NULL is
 * null, and everything else (varchar, decimal, date, timestamp, arrays, maps, rows, json) stays
 * the string Athena sent, `decimal` included so no precision is lost.
 */
export function convertAthenaValue(value: string | undefined, type: string): unknown {
  if (value === undefined) return null;
  const base = type.toLowerCase().replace(/\(.*$/, "").trim();
  if (INTEGER_TYPES.has(base)) {
    const n = Number(value);
    return /^-?\d+$/.test(value.trim()) && Number.isSafeInteger(n) ? n : value;
  }
  if (FLOAT_TYPES.has(base)) {
    const n = Number(value);
    if (!Number.isNaN(n) || value === "NaN") return n;
    return value;
  }
  if (base === "boolean") {
    if (value === "true") return true;
    if (value === "false") return false;
    return value;
  }
  return value;
}

export function rowValues(row: AthenaRow): (string | undefined)[] {
  return (row.Data ?? []).map((d) => d.VarCharValue);
}

/**
 * Whether the first row of the first page is the column header Athena puts there for queries
 * that produce a result table. Compared with the column names rather than assumed, because DDL
 * and utility statements answer without one.
 */
export function isHeaderRow(row: AthenaRow | undefined, columns: readonly AthenaColumn[]): boolean {
  if (!row) return false;
  const values = rowValues(row);
  return values.length === columns.length && values.every((v, i) => v === columns[i]!.name);
}

export function convertRow(row: AthenaRow, columns: readonly AthenaColumn[]): unknown[] {
  const values = rowValues(row);
  return columns.map((c, i) => convertAthenaValue(values[i], c.type));
}
