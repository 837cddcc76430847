import type { LogEvent } from "../../core/event/schema.js";
import { eventJson } from "../../core/event/sealed.js";
import { type LakePartition, partitionId, partitionOfEvent } from "./layout.js";

/**
 * The writer's pure half: which partition each event of a batch belongs to, and the NDJSON
 * body of each partition's object. No compression and no S3 here.
 */

export interface PartitionGroup {
  partition: LakePartition;
  /** Positions in the original batch, in batch order. */
  indices: number[];
  /** One JSON document per event, each followed by `\n`. */
  body: string;
}

export interface InvalidItem {
  index: number;
  code: string;
  reason: string;
}

export interface GroupedBatch {
  groups: PartitionGroup[];
  /** Events that can never be written (no usable time, not serialisable): rejected, not retried. */
  invalid: InvalidItem[];
}

/**
 * Splits a batch by (service, dt, hour), keeping batch order inside each group. Groups come out
 * in the order their first event appears, so the puts of one write are deterministic.
 */
export function groupByPartition(batch: readonly LogEvent[]): GroupedBatch {
  const byId = new Map<string, { partition: LakePartition; indices: number[]; body: string }>();
  const invalid: InvalidItem[] = [];
  for (let index = 0; index < batch.length; index++) {
    const event = batch[index]!;
    if (typeof event.service !== "string" || event.service.length === 0) {
      invalid.push({ index, code: "invalid_service", reason: "event has no service name" });
      continue;
    }
    const partition = typeof event["@timestamp"] === "string" ? partitionOfEvent(event) : undefined;
    if (!partition) {
      invalid.push({
        index,
        code: "invalid_timestamp",
        reason: `@timestamp ${JSON.stringify(String(event["@timestamp"]).slice(0, 64))} is not a time in years 0000-9999`,
      });
      continue;
    }
    let line: string;
    try {
      line = eventJson(event);
    } catch (error) {
      invalid.push({
        index,
        code: "unserializable",
        reason: `event cannot be encoded as JSON: ${error instanceof Error ? error.message : String(error)}`,
      });
      continue;
    }
    const id = partitionId(partition);
    let group = byId.get(id);
    if (!group) {
      group = { partition, indices: [], body: "" };
      byId.set(id, group);
    }
    group.indices.push(index);
    // Appending builds a rope that is flattened once, when the body is encoded for the put;
    // `Array#join` would copy every line into a new string right here as well.
    group.body += `${line}\n`;
  }
  return { groups: [...byId.values()], invalid };
}

export { EVENT_JSON, eventJson } from "../../core/event/sealed.js";
