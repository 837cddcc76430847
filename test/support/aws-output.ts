import { afterEach, beforeEach } from "vitest";
import type { LogEvent } from "../../core/event/schema.js";
import type { Clock } from "../../core/retry.js";

/** The time the AWS output tests run at. */
export const T0 = Date.parse("2026-03-10T12:00:00.000Z");

let counter = 0;

/** A valid LogEvent at `T0` with a fresh id unless told otherwise. */
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
 * Around each test of the suite: static credentials in the environment (they keep the SDK's
 * provider chain off the network) and none of `endpointVariables` set; the environment as it
 * was afterwards.
 */
export function isolateAwsEnvironment(endpointVariables: readonly string[]): void {
  const keys = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    ...endpointVariables,
  ];
  const saved = new Map<string, string | undefined>();
  beforeEach(() => {
    for (const key of keys) {
      saved.set(key, process.env[key]);
      delete process.env[key];
    }
    process.env.AWS_ACCESS_KEY_ID = "AKIDFAKE";
    process.env.AWS_SECRET_ACCESS_KEY = "fake-secret";
  });
  afterEach(() => {
    for (const key of keys) {
      const value = saved.get(key);
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });
}
