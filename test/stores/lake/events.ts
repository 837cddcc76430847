import type { LogEvent } from "../../../core/event/schema.js";

let counter = 0;

/** A valid LogEvent with a unique id; fields can be overridden. */
export function makeEvent(overrides: Partial<LogEvent> = {}): LogEvent {
  counter++;
  return {
    id: `evt-${counter.toString().padStart(6, "0")}`,
    "@timestamp": "2026-01-05T10:15:00.000Z",
    service: "checkout",
    level: "info",
    message: `message ${counter}`,
    ...overrides,
  };
}
