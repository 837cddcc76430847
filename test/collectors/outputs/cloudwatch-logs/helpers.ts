import type { LogEvent } from "../../../../core/event/schema.js";
import type { Clock } from "../../../../core/retry.js";

export const T0 = Date.parse("2026-03-10T12:00:00.000Z");

let counter = 0;

/** A valid LogEvent at `T0` unless told otherwise. */
export function makeEvent(overrides: Partial<LogEvent> = {}): LogEvent {
  counter++;
  return {
    id: `evt-${counter.toString().padStart(6, "0")}`,
    "@timestamp": new Date(T0).toISOString(),
    service: "checkout",
    host: "web-1",
    level: "info",
    message: `message ${counter}`,
    ...overrides,
  };
}

export function at(ms: number): string {
  return new Date(ms).toISOString();
}

/** A retry clock whose sleeps return at once and move time forward, so backoffs cost nothing. */
export function instantClock(start = T0): Clock & { slept: number[] } {
  let now = start;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      slept.push(ms);
      now += ms;
    },
  };
}
