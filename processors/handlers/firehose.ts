import { createHash } from "node:crypto";
import { chunkEventId, type IncomingRecord } from "../../core/event/incoming.js";
import { FIREHOSE } from "../../core/limits.js";
import { type LakePartition, partitionOfEvent } from "../../stores/lake/index.js";
import type { Transform, TransformContext } from "../transforms/index.js";
import type {
  FirehoseTransformationEvent,
  FirehoseTransformationRecord,
  FirehoseTransformationResult,
  FirehoseTransformationResultRecord,
  SubscriptionLogEvent,
} from "./aws-events.js";
import type { DeadLetterEntry } from "./dead-letter.js";
import {
  checkSubscriptionMessage,
  DEFAULT_MAX_DECODED_BYTES,
  gunzipPayload,
  invalidLogEvent,
  strictBase64,
} from "./decode.js";
import { contextOf, logEventInput, logGroupTag } from "./log-events.js";

/**
 * The Firehose data-transformation step, pure: records in, the response Firehose expects out,
 * plus what the handler must do besides answering (records to put back into the stream, dead
 * letters). No I/O here.
 *
 * Records. A record is newline-delimited text, one event per line (the forwarder's Firehose output
 * packs many events into one record, because Direct PUT is billed per 5 KB of record), or a gzip
 * CloudWatch Logs subscription payload (a subscription filter whose destination is the stream).
 * Each line or log event goes through the transforms and comes out as one LogEvent JSON line: the
 * answer's `data` is NDJSON in the lake schema.
 *
 * Results. Every `recordId` is answered exactly once, in input order:
 * - `Ok` when at least one event was kept. Lines the transforms could not use are written to the
 *   dead-letter location with their reason (Firehose has no per-line failure); lines dropped on
 *   purpose (`drop_levels`) are only counted.
 * - `Dropped` when every event was dropped on purpose, the record is empty or a control message,
 *   or when the record's events were put back into the stream (below): Firehose counts Dropped as
 *   delivered, and nothing is lost because the events travel again.
 * - `ProcessingFailed` when the record cannot be decoded or none of its events could be used:
 *   Firehose writes the original record to the stream's error output prefix.
 *
 * Partitions. With dynamic partitioning, each answer carries one key set {service, dt, hour}, but
 * a packed record may hold events of several services or hours. Such a record keeps its largest
 * partition in the answer and its other events are put back into the stream, one record per
 * partition, so every event lands under its own prefix and Athena's partition projection finds
 * it. The events put back are already transformed; transforming a LogEvent again yields the same
 * event (same id, same time), so the second pass answers them `Ok` in one partition.
 *
 * Size. A Lambda response is at most 6 MB (the JSON, data base64-inflated by 4/3). Answers are
 * given in input order while they fit; a record whose answer no longer fits is answered `Dropped`
 * and its events are put back into the stream, the approach of the AWS blueprints for this limit.
 * Room for a minimal answer of every record is reserved first, so every record is answered. When
 * putting back is off (or the stream's source is a Kinesis data stream, where Firehose takes no
 * PutRecordBatch), those records are answered `ProcessingFailed` instead and reach the error
 * output whole; records mixing partitions then stay whole under their largest partition's keys,
 * and the events filed elsewhere are counted (`misfiled`).
 */

/** Bytes kept free below the Lambda response cap, for the runtime's framing. */
export const RESPONSE_HEADROOM_BYTES = 64 * 1024;

export interface FirehoseLimits {
  /** Largest response JSON, in bytes. */
  maxResponseBytes: number;
  /** Largest record put back into the stream. */
  maxRecordBytes: number;
  /** Most bytes a gzip record may inflate to. */
  maxDecodedBytes: number;
}

export const DEFAULT_FIREHOSE_LIMITS: FirehoseLimits = {
  maxResponseBytes: FIREHOSE.TRANSFORM_RESPONSE_MAX_BYTES - RESPONSE_HEADROOM_BYTES,
  maxRecordBytes: FIREHOSE.MAX_RECORD_BYTES,
  maxDecodedBytes: DEFAULT_MAX_DECODED_BYTES,
};

export interface FirehoseProcessOptions {
  /** Answer `metadata.partitionKeys` (dynamic partitioning). */
  partitionKeys: boolean;
  /** Whether events may be put back into the stream (see the module comment). */
  reingest: boolean;
  limits?: Partial<FirehoseLimits>;
  serviceFromLogGroup?: RegExp | undefined;
  /** The transforms' `id_field`, so extracted fields never stand in for the message's id. */
  idField?: string | null;
  /** Dead-letter time; defaults to the wall clock. */
  now?: number;
}

export interface FirehoseStats {
  records: number;
  ok: number;
  dropped: number;
  failed: number;
  /** Events kept and answered in this response. */
  events: number;
  droppedIntentionally: number;
  deadLettered: number;
  /** Events put back into the stream. */
  reingestedEvents: number;
  /** Records answered Dropped or ProcessingFailed because their answer did not fit the response. */
  overflowed: number;
  /** Events answered under another partition's keys (putting back unavailable). */
  misfiled: number;
}

export interface FirehoseOutcome {
  response: FirehoseTransformationResult;
  /** Records to put back into the delivery stream, each at most `maxRecordBytes`. */
  reingest: Buffer[];
  deadLetters: DeadLetterEntry[];
  stats: FirehoseStats;
}

/** The event is not a Firehose transformation event: no answer can be built for it. */
export class FirehoseEventError extends Error {
  override name = "FirehoseEventError";
  readonly stage = "receiving" as const;
  readonly code = "invalid_event";
}

export const FIREHOSE_DEAD_LETTER_OUTPUT = "firehose_transform";

/** A kept event's line, with where it belongs. */
interface Line {
  text: string;
  bytes: number;
  partition: LakePartition | undefined;
  key: string;
}

/** One event of a record as transform input, or why it cannot be one; `raw` is what a dead letter shows. */
type Unit =
  | { input: IncomingRecord; raw: Record<string, unknown> }
  | { invalid: string; raw: Record<string, unknown> };

type Decoded =
  | { kind: "failed"; reason: string }
  | { kind: "control" }
  | { kind: "units"; units: Unit[]; context: TransformContext | undefined };

const CONTROL = "CONTROL_MESSAGE";

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `{"recordId":…,"result":"ProcessingFailed","data":""},`: what any answer costs at least. */
function minimalEntryBytes(recordId: string): number {
  return Buffer.byteLength(JSON.stringify({ recordId, result: "ProcessingFailed", data: "" })) + 1;
}

function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function partitionKeysOf(p: LakePartition): Record<string, string> {
  return { service: p.service, dt: p.dt, hour: p.hour };
}

function checkEvent(event: unknown): FirehoseTransformationRecord[] {
  const records = (event as { records?: unknown } | null | undefined)?.records;
  if (!Array.isArray(records)) throw new FirehoseEventError("the event has no records array");
  records.forEach((record, i) => {
    const id = (record as { recordId?: unknown } | null | undefined)?.recordId;
    if (typeof id !== "string" || id === "")
      throw new FirehoseEventError(`records[${i}] has no recordId string`);
  });
  return records as FirehoseTransformationRecord[];
}

export function processFirehoseRecords(
  event: FirehoseTransformationEvent,
  transform: Transform,
  options: FirehoseProcessOptions,
): FirehoseOutcome {
  const records = checkEvent(event);
  const limits: FirehoseLimits = { ...DEFAULT_FIREHOSE_LIMITS, ...options.limits };
  const nowIso = new Date(options.now ?? Date.now()).toISOString();
  const idField = options.idField === undefined ? "id" : options.idField;
  // A Kinesis-sourced stream takes no PutRecordBatch, so nothing can be put back into it.
  const canReingest = options.reingest && event.sourceKinesisStreamArn === undefined;

  const stats: FirehoseStats = {
    records: records.length,
    ok: 0,
    dropped: 0,
    failed: 0,
    events: 0,
    droppedIntentionally: 0,
    deadLettered: 0,
    reingestedEvents: 0,
    overflowed: 0,
    misfiled: 0,
  };
  const answers: FirehoseTransformationResultRecord[] = [];
  const deadLetters: DeadLetterEntry[] = [];
  const reingestLines = new Map<string, Line[]>();

  let spare = limits.maxResponseBytes - Buffer.byteLength('{"records":[]}');
  for (const record of records) spare -= minimalEntryBytes(record.recordId);

  const putBack = (lines: readonly Line[], recordDeadLetters: DeadLetterEntry[], recordId: string): void => {
    for (const line of lines) {
      if (line.bytes > limits.maxRecordBytes) {
        // Larger than any record the stream accepts; it cannot travel again.
        recordDeadLetters.push({
          output: FIREHOSE_DEAD_LETTER_OUTPUT,
          code: "too_large_to_reingest",
          reason: `transformed event of ${line.bytes} bytes exceeds the ${limits.maxRecordBytes}-byte record cap and could not be answered in this response`,
          time: nowIso,
          event: { recordId, line: line.text },
        });
        continue;
      }
      const key = options.partitionKeys ? line.key : "";
      let list = reingestLines.get(key);
      if (list === undefined) {
        list = [];
        reingestLines.set(key, list);
      }
      list.push(line);
      stats.reingestedEvents++;
    }
  };

  for (const record of records) {
    const decoded = decodeRecord(record, limits, options, idField);
    if (decoded.kind === "failed") {
      stats.failed++;
      answers.push({ recordId: record.recordId, result: "ProcessingFailed", data: "" });
      continue;
    }
    if (decoded.kind === "control") {
      stats.dropped++;
      answers.push({ recordId: record.recordId, result: "Dropped", data: "" });
      continue;
    }

    const lines: Line[] = [];
    const recordDeadLetters: DeadLetterEntry[] = [];
    let intentional = 0;
    for (const unit of decoded.units) {
      if ("invalid" in unit) {
        recordDeadLetters.push({
          output: FIREHOSE_DEAD_LETTER_OUTPUT,
          code: "invalid_log_event",
          reason: unit.invalid,
          time: nowIso,
          event: { recordId: record.recordId, ...unit.raw },
        });
        continue;
      }
      const result = transform(unit.input, decoded.context);
      if (!result.ok) {
        if (result.intentional) intentional++;
        else
          recordDeadLetters.push({
            output: FIREHOSE_DEAD_LETTER_OUTPUT,
            code: result.code,
            reason: result.reason,
            time: nowIso,
            event: { recordId: record.recordId, ...unit.raw },
          });
        continue;
      }
      const text = `${JSON.stringify(result.event)}\n`;
      const partition = options.partitionKeys ? partitionOfEvent(result.event) : undefined;
      if (options.partitionKeys && partition === undefined) {
        recordDeadLetters.push({
          output: FIREHOSE_DEAD_LETTER_OUTPUT,
          code: "invalid_timestamp",
          reason: "the event's @timestamp names no partition",
          time: nowIso,
          event: result.event,
        });
        continue;
      }
      const key = partition ? `${partition.service}/${partition.dt}/${partition.hour}` : "";
      lines.push({ text, bytes: Buffer.byteLength(text), partition, key });
    }

    if (lines.length === 0) {
      if (recordDeadLetters.length > 0) {
        // Nothing usable: Firehose keeps the original in its error output, so the lines are not
        // dead-lettered a second time.
        stats.failed++;
        answers.push({ recordId: record.recordId, result: "ProcessingFailed", data: "" });
      } else {
        stats.dropped++;
        stats.droppedIntentionally += intentional;
        answers.push({ recordId: record.recordId, result: "Dropped", data: "" });
      }
      continue;
    }
    stats.droppedIntentionally += intentional;

    // Which lines stay in this answer, under which keys.
    let kept = lines;
    let keys: LakePartition | undefined = lines[0]!.partition;
    if (options.partitionKeys) {
      const groups = new Map<string, { lines: Line[]; bytes: number }>();
      for (const line of lines) {
        let group = groups.get(line.key);
        if (group === undefined) {
          group = { lines: [], bytes: 0 };
          groups.set(line.key, group);
        }
        group.lines.push(line);
        group.bytes += line.bytes;
      }
      if (groups.size > 1) {
        let largest: { lines: Line[]; bytes: number } | undefined;
        for (const group of groups.values())
          if (largest === undefined || group.bytes > largest.bytes) largest = group;
        keys = largest!.lines[0]!.partition;
        if (canReingest) {
          kept = largest!.lines;
          putBack(
            lines.filter((line) => line.key !== largest!.lines[0]!.key),
            recordDeadLetters,
            record.recordId,
          );
        } else stats.misfiled += lines.length - largest!.lines.length;
      }
    }

    let dataBytes = 0;
    for (const line of kept) dataBytes += line.bytes;
    const metadata = keys !== undefined ? { partitionKeys: partitionKeysOf(keys) } : undefined;
    const entryBytes =
      Buffer.byteLength(JSON.stringify({ recordId: record.recordId, result: "Ok", data: "", metadata })) +
      base64Length(dataBytes) +
      1;
    const extra = entryBytes - minimalEntryBytes(record.recordId);
    if (extra <= spare) {
      spare -= extra;
      const data = kept.length === 1 ? kept[0]!.text : kept.map((line) => line.text).join("");
      answers.push({
        recordId: record.recordId,
        result: "Ok",
        data: Buffer.from(data, "utf8").toString("base64"),
        ...(metadata ? { metadata } : {}),
      });
      stats.ok++;
      stats.events += kept.length;
    } else if (canReingest) {
      putBack(kept, recordDeadLetters, record.recordId);
      answers.push({ recordId: record.recordId, result: "Dropped", data: "" });
      stats.dropped++;
      stats.overflowed++;
    } else {
      answers.push({ recordId: record.recordId, result: "ProcessingFailed", data: "" });
      stats.failed++;
      stats.overflowed++;
      // The original goes to the error output whole; its lines need no separate dead letter.
      recordDeadLetters.length = 0;
    }
    deadLetters.push(...recordDeadLetters);
  }

  stats.deadLettered = deadLetters.length;
  const reingest: Buffer[] = [];
  for (const lines of reingestLines.values()) reingest.push(...packLines(lines, limits.maxRecordBytes));
  return { response: { records: answers }, reingest, deadLetters, stats };
}

/** Lines packed in order into records of at most `maxBytes` (each line fits on its own). */
function packLines(lines: readonly Line[], maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const line of lines) {
    if (parts.length > 0 && size + line.bytes > maxBytes) {
      out.push(Buffer.from(parts.join(""), "utf8"));
      parts = [];
      size = 0;
    }
    parts.push(line.text);
    size += line.bytes;
  }
  if (parts.length > 0) out.push(Buffer.from(parts.join(""), "utf8"));
  return out;
}

function decodeRecord(
  record: FirehoseTransformationRecord,
  limits: FirehoseLimits,
  options: FirehoseProcessOptions,
  idField: string | null,
): Decoded {
  if (typeof record.data !== "string") return { kind: "failed", reason: "the record has no data string" };
  const bytes = strictBase64(record.data);
  if (bytes === undefined) return { kind: "failed", reason: "the record's data is not valid base64" };
  const arrival =
    typeof record.approximateArrivalTimestamp === "number" &&
    Number.isFinite(record.approximateArrivalTimestamp)
      ? record.approximateArrivalTimestamp
      : Date.now();

  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let text: Buffer;
    try {
      text = gunzipPayload(bytes, limits.maxDecodedBytes);
    } catch (error) {
      return { kind: "failed", reason: describe(error) };
    }
    const subscription = subscriptionUnits(text, arrival, options, idField);
    if (subscription !== undefined) return subscription;
    return {
      kind: "units",
      units: lineUnits(text.toString("utf8"), record.data, arrival),
      context: undefined,
    };
  }
  return {
    kind: "units",
    units: lineUnits(bytes.toString("utf8"), record.data, arrival),
    context: undefined,
  };
}

/** A gzip record holding a CloudWatch Logs subscription payload, or undefined when it is not one. */
function subscriptionUnits(
  text: Buffer,
  arrival: number,
  options: FirehoseProcessOptions,
  idField: string | null,
): Decoded | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || !("messageType" in parsed)) return undefined;
  let message: ReturnType<typeof checkSubscriptionMessage>;
  try {
    message = checkSubscriptionMessage(parsed);
  } catch (error) {
    return { kind: "failed", reason: describe(error) };
  }
  if (message.messageType === CONTROL) return { kind: "control" };
  const origin = { logGroup: message.logGroup, logStream: message.logStream, receivedAt: arrival, idField };
  const tag = logGroupTag(message.logGroup, { serviceFromLogGroup: options.serviceFromLogGroup });
  const units: Unit[] = [];
  for (const raw of message.logEvents as unknown[]) {
    const problem = invalidLogEvent(raw);
    if (problem !== undefined) {
      units.push({ invalid: problem, raw: { logEvent: raw } });
      continue;
    }
    units.push({ input: logEventInput(raw as SubscriptionLogEvent, origin, tag), raw: { logEvent: raw } });
  }
  return { kind: "units", units, context: contextOf(origin) };
}

/**
 * Newline-delimited lines as transform input. A line's JSON is lifted by the transforms; lines
 * without an id get one derived from the record's content and the line's position, so a record
 * Firehose hands over again gets the same ids.
 */
function lineUnits(text: string, data: string, arrival: number): Unit[] {
  let digest: string | undefined;
  const units: Unit[] = [];
  let start = 0;
  let index = 0;
  while (start <= text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let line = text.slice(start, end);
    if (line.endsWith("\r")) line = line.slice(0, -1);
    start = end + 1;
    if (line.trim() === "") continue;
    digest ??= createHash("sha256").update(data).digest("hex").slice(0, 32);
    units.push({
      input: {
        id: chunkEventId(digest, index),
        time: arrival,
        receivedAt: arrival,
        tag: "",
        source: "firehose",
        record: { message: line },
      },
      raw: { line },
    });
    index++;
  }
  return units;
}
