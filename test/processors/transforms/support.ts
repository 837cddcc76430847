import { expect } from "vitest";
import type { IncomingRecord } from "../../../core/event/incoming.js";
import { type LogEvent, LogEventSchema } from "../../../core/event/schema.js";
import type { Transform, TransformContext } from "../../../processors/transforms/index.js";

/** 2025-12-05T18:00:00.000Z */
export const T0 = Date.UTC(2025, 11, 5, 18, 0, 0, 0);

export function incoming(record: unknown, overrides: Partial<IncomingRecord> = {}): IncomingRecord {
  return {
    id: "01JEXAMPLE0000000000000000",
    time: T0,
    receivedAt: T0 + 500,
    tag: "checkout.access",
    source: "forward",
    record: record as Record<string, unknown>,
    ...overrides,
  };
}

/** Transforms `record`, asserts it was kept and is a valid `LogEvent`, and returns the event. */
export function keep(
  transform: Transform,
  record: unknown,
  overrides: Partial<IncomingRecord> = {},
  context?: TransformContext,
): LogEvent {
  const result = transform(incoming(record, overrides), context);
  if (!result.ok) throw new Error(`dropped: ${result.code} ${result.reason}`);
  expect(() => LogEventSchema.parse(result.event)).not.toThrow();
  return result.event;
}

/** A record as an application writes it on one line, as Docker / Fluent Bit wrap it. */
export function dockerLine(fields: Record<string, unknown>): Record<string, unknown> {
  return { log: `${JSON.stringify(fields)}\n`, stream: "stdout", time: "2025-12-05T18:00:09.000000000Z" };
}
