import { FirehoseClient } from "@aws-sdk/client-firehose";
import type { LogEvent } from "../../../../core/event/schema.js";
import type { Clock } from "../../../../core/retry.js";
import type { FakeFirehose } from "../../../support/fake-firehose.js";

export const T0 = Date.parse("2026-03-10T12:00:00.000Z");

let counter = 0;

/** A valid LogEvent with a fresh id unless told otherwise. */
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

export function makeEvents(count: number, overrides: Partial<LogEvent> = {}): LogEvent[] {
  return Array.from({ length: count }, () => makeEvent(overrides));
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

/**
 * The real SDK client pointed at the fake. `maxAttempts: 1` as in production (client.ts): the
 * output's retry loop does the retrying, so the tests see exactly the calls the output makes.
 */
export function sdkClient(fake: FakeFirehose): FirehoseClient {
  return new FirehoseClient({
    endpoint: fake.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake-secret" },
    maxAttempts: 1,
  });
}
