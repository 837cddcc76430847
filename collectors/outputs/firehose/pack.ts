import type { LogEvent } from "../../../core/event/schema.js";
import { encodeEvent } from "../cloudwatch-logs/encode.js";

/**
 * Pure packing of events into PutRecordBatch calls. Each event becomes one line of
 * newline-delimited JSON; lines are packed into records up to the record cap (Direct PUT is
 * billed per record in 5 KB steps, so one 900 KB record costs far less than 9,000 small ones),
 * and records into calls within the call's record and byte caps. Every record remembers which
 * events it carries, so a record Firehose refuses can be resent, or answered, on its own.
 */

export interface PackLimits {
  /** Largest record, in bytes of data (before base64). */
  maxRecordBytes: number;
  /** Most records per call. */
  maxBatchRecords: number;
  /** Most bytes of record data per call. */
  maxBatchBytes: number;
  /** One line per record instead of packing, for dynamic partitioning without deaggregation. */
  oneEventPerRecord: boolean;
}

/** One event's line, sized: its position in the write batch and its UTF-8 bytes (newline included). */
export interface Line {
  index: number;
  bytes: number;
}

/** Which lines one record carries, and its size. */
export interface RecordPlan {
  /** Positions in the write batch, in order. */
  events: number[];
  bytes: number;
}

/** A record ready to send. */
export interface PackedRecord extends RecordPlan {
  data: Buffer;
}

export interface Rejection {
  code: string;
  reason: string;
}

export interface Packed {
  /** The records of each PutRecordBatch call, in batch order. */
  calls: PackedRecord[][];
  /** Events that cannot be sent at all, by position in the batch. */
  rejected: Map<number, Rejection>;
  /** How many events were shortened to fit one record, by what was cut. */
  truncated: { message: number; attrs: number };
}

/**
 * Groups lines into records, keeping their order: a record is closed when the next line would
 * take it past `maxRecordBytes` (or after every line, in one-event-per-record mode). A line over
 * the cap on its own is a caller error (events are truncated before packing), so it throws
 * rather than build a record Firehose would refuse.
 */
export function planRecords(
  lines: readonly Line[],
  maxRecordBytes: number,
  oneEventPerRecord: boolean,
): RecordPlan[] {
  const records: RecordPlan[] = [];
  let current: RecordPlan | undefined;
  for (const line of lines) {
    if (line.bytes > maxRecordBytes) {
      throw new RangeError(`line of ${line.bytes} bytes cannot fit a record of ${maxRecordBytes} bytes`);
    }
    if (!current || oneEventPerRecord || current.bytes + line.bytes > maxRecordBytes) {
      current = { events: [], bytes: 0 };
      records.push(current);
    }
    current.events.push(line.index);
    current.bytes += line.bytes;
  }
  return records;
}

/**
 * Groups records into calls, keeping their order, each within `maxRecords` records and
 * `maxBytes` bytes of data. A record over `maxBytes` on its own throws (the config keeps the
 * record cap below the call cap).
 */
export function planCalls<R extends { bytes: number }>(
  records: readonly R[],
  maxRecords: number,
  maxBytes: number,
): R[][] {
  const calls: R[][] = [];
  let current: R[] | undefined;
  let bytes = 0;
  for (const record of records) {
    if (record.bytes > maxBytes) {
      throw new RangeError(`record of ${record.bytes} bytes cannot fit a call of ${maxBytes} bytes`);
    }
    if (!current || current.length >= maxRecords || bytes + record.bytes > maxBytes) {
      current = [];
      bytes = 0;
      calls.push(current);
    }
    current.push(record);
    bytes += record.bytes;
  }
  return calls;
}

/** Bytes of the newline that ends every line, so records stay splittable after concatenation. */
const NEWLINE_BYTES = 1;

/**
 * A record's data: its lines encoded straight into one buffer of the planned size. Joining the
 * lines into one string first cost more than serialising the events.
 */
function writeLines(plan: RecordPlan, text: readonly string[]): Buffer {
  const data = Buffer.allocUnsafe(plan.bytes);
  let offset = 0;
  for (const index of plan.events) {
    offset += data.write(text[index]!, offset, "utf8");
    data[offset++] = 0x0a;
  }
  // allocUnsafe: a miscount would send stale memory, so it is an error rather than a short record.
  if (offset !== plan.bytes) throw new RangeError(`record planned at ${plan.bytes} bytes came to ${offset}`);
  return data;
}

/**
 * Turns a batch of events into PutRecordBatch calls. Each event is `JSON.stringify(event) + "\n"`
 * (the newline is kept in one-event-per-record mode too, so objects Firehose concatenates into
 * one S3 object stay separable). An event whose line is over the record cap is truncated with a
 * marker (message first, then attrs) so it stays valid JSON; one that cannot be made to fit is
 * rejected `too_large`.
 */
export function packEvents(events: readonly LogEvent[], limits: PackLimits): Packed {
  const rejected = new Map<number, Rejection>();
  const truncated = { message: 0, attrs: 0 };
  const text: string[] = [];
  const lines: Line[] = [];
  events.forEach((event, index) => {
    let encoded: ReturnType<typeof encodeEvent>;
    try {
      encoded = encodeEvent(event, limits.maxRecordBytes - NEWLINE_BYTES);
    } catch (error) {
      // Schema-valid events always serialise; this guards against a transform handing over
      // something else (a BigInt, a cycle) so it costs one event, not the batch.
      rejected.set(index, {
        code: "unencodable",
        reason: `event cannot be serialised as JSON: ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    if (!encoded.ok) {
      rejected.set(index, { code: encoded.code, reason: encoded.reason });
      return;
    }
    if (encoded.truncated !== "none") truncated[encoded.truncated]++;
    text[index] = encoded.message;
    lines.push({ index, bytes: encoded.bytes + NEWLINE_BYTES });
  });
  const records = planRecords(lines, limits.maxRecordBytes, limits.oneEventPerRecord).map(
    (plan): PackedRecord => ({ ...plan, data: writeLines(plan, text) }),
  );
  return { calls: planCalls(records, limits.maxBatchRecords, limits.maxBatchBytes), rejected, truncated };
}
