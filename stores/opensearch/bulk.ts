import type { LogEvent } from "../../core/event/schema.js";
import { eventJson } from "../../core/event/sealed.js";
import { type IndexNaming, indexNameFor, isCanonicalUtc } from "./naming.js";

/**
 * The pure half of writing: events → `_bulk` NDJSON, cut into bodies bounded in bytes. Each
 * item is serialised once; its byte size is exact, so a body's size is the sum of its items.
 */

export type BulkOpType = "index" | "create";

export interface BulkItem {
  /** Position of the event in the batch given to `write`. */
  index: number;
  /** The `_id`: the event id, so a resent event never becomes a second document. */
  id: string;
  /** Target index or data stream. */
  target: string;
  /** `{"index":{...}}\n{source}\n`: the item's two NDJSON lines. */
  lines: string;
  /** UTF-8 bytes of `lines`. */
  bytes: number;
}

export interface BuiltItems {
  items: BulkItem[];
  /** Events that cannot be sent at all, by batch position. */
  rejected: Array<{ index: number; code: string; reason: string }>;
}

export function actionLine(op: BulkOpType, target: string, id: string): string {
  return `${actionPrefix(op, target)}${JSON.stringify(id)}}}`;
}

/** `{"index":{"_index":"<target>","_id":` — what `JSON.stringify` writes for the action up to the id. */
function actionPrefix(op: BulkOpType, target: string): string {
  return `{${JSON.stringify(op)}:{"_index":${JSON.stringify(target)},"_id":`;
}

/** A target and its action prefix, worked out once for a service (and, daily, one UTC date). */
interface TargetMemo {
  /** `YYYY-MM-DD` of the canonical timestamps the target is for; empty for data streams. */
  date: string;
  target: string;
  prefix: string;
}

export function buildBulkItems(
  batch: readonly LogEvent[],
  options: IndexNaming & { opType: BulkOpType },
): BuiltItems {
  const items: BulkItem[] = [];
  const rejected: BuiltItems["rejected"] = [];
  // Events of one batch share a few targets. For a canonical timestamp the target depends on
  // the service and the date part only, so it and its action prefix are worked out once each.
  const memo = new Map<string, TargetMemo>();
  for (let index = 0; index < batch.length; index++) {
    const event = batch[index]!;
    const problem = invalidReason(event);
    if (problem !== undefined) {
      rejected.push({ index, code: "invalid_event", reason: problem });
      continue;
    }
    const timestamp = event["@timestamp"];
    const canonical = options.dataStream || isCanonicalUtc(timestamp);
    let known = canonical ? memo.get(event.service) : undefined;
    if (known !== undefined && !options.dataStream && !timestamp.startsWith(known.date)) known = undefined;
    let target: string | undefined;
    let prefix: string;
    if (known !== undefined) {
      target = known.target;
      prefix = known.prefix;
    } else {
      target = indexNameFor(event, options);
      if (target === undefined) {
        rejected.push({
          index,
          code: "invalid_event",
          reason: `@timestamp ${JSON.stringify(timestamp)} does not name a day for the daily index`,
        });
        continue;
      }
      prefix = actionPrefix(options.opType, target);
      if (canonical)
        memo.set(event.service, {
          date: options.dataStream ? "" : timestamp.slice(0, 10),
          target,
          prefix,
        });
    }
    const action = `${prefix}${JSON.stringify(event.id)}}}`;
    const json = eventJson(event);
    // Counted in parts: measuring the joined text would flatten it into one more copy.
    const bytes = Buffer.byteLength(action) + Buffer.byteLength(json) + 2;
    items.push({ index, id: event.id, target, lines: `${action}\n${json}\n`, bytes });
  }
  return { items, rejected };
}

/** The few things without which an event cannot be addressed; the schema guarantees the rest. */
function invalidReason(event: LogEvent): string | undefined {
  if (typeof event !== "object" || event === null) return "the event is not an object";
  if (typeof event.id !== "string" || event.id.length === 0) return "the event has no id";
  // OpenSearch refuses an _id over 512 bytes.
  if (event.id.length * 3 > 512 && Buffer.byteLength(event.id) > 512)
    return "the event id is longer than 512 bytes";
  if (typeof event.service !== "string") return "the event has no service";
  if (typeof event["@timestamp"] !== "string") return "the event has no @timestamp";
  return undefined;
}

/**
 * Cuts items, in order, into bodies of at most `maxBytes`. An item larger than `maxBytes`
 * travels alone: the server, not this setting, decides whether it is too large (413).
 */
export function chunkBulk(items: readonly BulkItem[], maxBytes: number): BulkItem[][] {
  const chunks: BulkItem[][] = [];
  let current: BulkItem[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length > 0 && size + item.bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += item.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function renderBulkBody(items: readonly BulkItem[]): string {
  let body = "";
  for (const item of items) body += item.lines;
  return body;
}

export function bodyBytes(items: readonly BulkItem[]): number {
  let total = 0;
  for (const item of items) total += item.bytes;
  return total;
}

/**
 * Splits a request answered 413 into two halves of about equal bytes (never empty), so one
 * large item does not leave the other half nearly as big as the whole.
 */
export function splitInHalf<T extends { bytes: number }>(items: readonly T[]): [T[], T[]] {
  if (items.length < 2) throw new Error("cannot split fewer than two items");
  const total = items.reduce((sum, item) => sum + item.bytes, 0);
  let at = 0;
  let size = 0;
  while (at < items.length - 1 && size + items[at]!.bytes <= total / 2) {
    size += items[at]!.bytes;
    at++;
  }
  at = Math.min(Math.max(at, 1), items.length - 1);
  return [items.slice(0, at), items.slice(at)];
}

export { EVENT_JSON, eventJson } from "../../core/event/sealed.js";
