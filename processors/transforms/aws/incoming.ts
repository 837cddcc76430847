import type { IncomingRecord } from "../../../core/event/incoming.js";
import type { ParsedServiceLog } from "./types.js";

/** Where a parsed service log came from, as the handler knows it. */
export interface ServiceLogOrigin {
  /**
   * Fallback event id: the CloudWatch Logs event id, or for an S3 object
   * `chunkEventId(<digest of bucket, key and ETag>, entry.index)`.
   */
  id: string;
  /** When the handler received the payload, epoch milliseconds. */
  receivedAt: number;
  /** Input name recorded as the event's `source`: `cloudwatch`, `firehose`, `s3`. */
  source: string;
  /** Delivery time (the CloudWatch Logs event timestamp), used when the line has no time of its own. */
  time?: number;
}

/**
 * The transform input of a parsed service log. The log's own id (CloudTrail `eventID`) wins over
 * the origin's, so one event delivered both to S3 and to CloudWatch Logs is stored once.
 */
export function toIncomingRecord(parsed: ParsedServiceLog, origin: ServiceLogOrigin): IncomingRecord {
  return {
    id: parsed.id ?? origin.id,
    time: parsed.timeMs ?? origin.time ?? origin.receivedAt,
    receivedAt: origin.receivedAt,
    tag: parsed.record.service,
    source: origin.source,
    record: parsed.record,
  };
}
