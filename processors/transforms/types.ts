import type { IncomingRecord } from "../../core/event/incoming.js";
import type { LogEvent } from "../../core/event/schema.js";

/** Where the record came through, when an AWS handler knows it (CloudWatch Logs subscription). */
export interface TransformContext {
  log_group?: string;
  log_stream?: string;
}

/** What the transform changed in an event that was kept, for metrics. Absent when nothing. */
export interface TransformStats {
  /** Redactions per kind. */
  redactions?: Record<string, number>;
  /** Strings cut to their size bound. */
  truncated?: number;
  /** Attribute keys folded into `attrs._overflow`. */
  overflowKeys?: number;
}

/** Stable codes of drops. `dropped_level` is intentional; the others mean unusable input. */
export type DropCode = "dropped_level" | "invalid_id" | "invalid_time" | "transform_error";

export type TransformResult =
  | { ok: true; event: LogEvent; stats?: TransformStats }
  | { ok: false; code: DropCode; reason: string; intentional: boolean };

/** A configured transform: one received record → one event, or a drop with its reason. */
export type Transform = (input: IncomingRecord, context?: TransformContext) => TransformResult;
