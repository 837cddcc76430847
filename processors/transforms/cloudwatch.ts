import type { IncomingRecord } from "../../core/event/incoming.js";
import type { TransformContext } from "./types.js";

/** One log event of a CloudWatch Logs subscription payload (`logEvents[]`). */
export interface CloudWatchLogEvent {
  id: string;
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

export interface CloudWatchOrigin {
  logGroup: string;
  logStream: string;
  /** When the handler received the payload, epoch milliseconds. */
  receivedAt: number;
  /** Defaults to `cloudwatch`. */
  source?: string;
}

/**
 * The last non-empty segment of a log group name, used as the tag (`/aws/lambda/checkout-api` →
 * `checkout-api`, `/ecs/checkout.web` → `checkout.web`), so services without a `service` field
 * are still told apart.
 */
export function tagFromLogGroup(logGroup: string): string {
  const segments = logGroup.split("/").filter((s) => s.length > 0);
  return segments[segments.length - 1] ?? "";
}

/**
 * A CloudWatch Logs event as transform input. The CloudWatch event id is the fallback id: an id
 * the forwarder stamped inside the message (a JSON line) wins when the transform lifts it.
 */
export function fromCloudWatchLogEvent(
  event: CloudWatchLogEvent,
  origin: CloudWatchOrigin,
): { input: IncomingRecord; context: TransformContext } {
  return {
    input: {
      id: event.id,
      time: event.timestamp,
      receivedAt: origin.receivedAt,
      tag: tagFromLogGroup(origin.logGroup),
      source: origin.source ?? "cloudwatch",
      record: { message: event.message },
    },
    context: { log_group: origin.logGroup, log_stream: origin.logStream },
  };
}
