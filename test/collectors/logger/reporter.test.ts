import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Reporter } from "../../../collectors/logger/reporter.js";

interface Line {
  level: string;
  message: string;
  fields?: Record<string, unknown> | undefined;
}

let lines: Line[];
let reporter: Reporter;

beforeEach(() => {
  vi.useFakeTimers();
  lines = [];
  reporter = new Reporter(
    10_000,
    (level, message, fields) => lines.push({ level, message, fields }),
    Date.now,
  );
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Reporter", () => {
  test("drops in one tick become a single warning with their count", () => {
    for (let i = 0; i < 7; i++) reporter.dropped("queue_full");
    expect(lines).toHaveLength(0);
    vi.advanceTimersByTime(0);
    expect(lines).toEqual([
      {
        level: "warn",
        message: "dropped 7 events (queue_full: 7); 7 dropped in total",
        fields: { dropped: 7, queue_full: 7, total_dropped: 7 },
      },
    ]);
  });

  test("drops within the interval wait for its end, then are reported with the running total", () => {
    reporter.dropped("queue_full");
    vi.advanceTimersByTime(0);
    reporter.dropped("oversized", 3);
    vi.advanceTimersByTime(9_000);
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(1_000);
    expect(lines).toHaveLength(2);
    expect(lines[1]!.message).toBe("dropped 3 events (oversized: 3); 4 dropped in total");
  });

  test("nothing dropped means nothing reported", () => {
    vi.advanceTimersByTime(60_000);
    reporter.close();
    expect(lines).toHaveLength(0);
  });

  test("failures are reported as errors with the last reason", () => {
    reporter.gaveUp(2, "no ack");
    reporter.gaveUp(1, "connection refused");
    vi.advanceTimersByTime(0);
    expect(lines).toEqual([
      {
        level: "error",
        message:
          "gave up on 3 events the forwarder did not acknowledge: connection refused; 3 failed in total",
        fields: { failed: 3, reason: "connection refused", total_failed: 3 },
      },
    ]);
  });

  test("close reports what is pending at once, even inside the interval", () => {
    reporter.dropped("closed");
    vi.advanceTimersByTime(0);
    reporter.dropped("closed");
    reporter.close();
    expect(lines.map((l) => l.fields?.["dropped"])).toEqual([1, 1]);
    vi.advanceTimersByTime(60_000);
    expect(lines).toHaveLength(2);
  });
});
