import { describe, expect, test } from "vitest";
import { LoggerLimitsSchema } from "../../../collectors/logger/config.js";
import { levelFromPino } from "../../../collectors/logger/levels.js";
import { LineSplitter, type PinoMapping, pinoEvent, pinoTime } from "../../../collectors/logger/pino.js";

const NOW = Date.UTC(2026, 5, 1, 0, 0, 0, 0);
const mapping: PinoMapping = {
  service: "checkout",
  env: "prod",
  host: "fallback-host",
  messageKey: "msg",
  errorKey: "err",
  limits: LoggerLimitsSchema.parse({}),
  now: () => NOW,
};

describe("levelFromPino", () => {
  test("pino's numbers map onto the six levels, values in between round down", () => {
    expect([10, 20, 30, 40, 50, 60].map(levelFromPino)).toEqual([
      "trace",
      "debug",
      "info",
      "warn",
      "error",
      "fatal",
    ]);
    expect([35, 59, 70, 5, 0].map(levelFromPino)).toEqual(["info", "error", "fatal", "trace", "trace"]);
  });

  test("labels written by a level formatter are accepted in any case", () => {
    expect(["ERROR", "Warn", "warning", "err", "fatal"].map(levelFromPino)).toEqual([
      "error",
      "warn",
      "warn",
      "error",
      "fatal",
    ]);
  });

  test("anything else is unknown", () => {
    expect([Number.NaN, "loud", null, {}, undefined].map(levelFromPino)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("pinoTime", () => {
  test("epoch milliseconds, digit strings and ISO strings are accepted", () => {
    expect(pinoTime(1_700_000_000_123)).toBe(1_700_000_000_123);
    expect(pinoTime("1700000000123")).toBe(1_700_000_000_123);
    expect(pinoTime("2026-01-02T03:04:05.678Z")).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 678));
  });

  test("times a Fluent EventTime cannot carry, or that are not times, are refused", () => {
    expect([-1, 1e300, Number.NaN, "soon", "", null, true].map(pinoTime)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe("pinoEvent", () => {
  test("maps a full pino record", () => {
    const event = pinoEvent(
      {
        level: 40,
        time: 1_700_000_000_000,
        pid: 7,
        hostname: "pod-1",
        name: "api",
        msg: "slow",
        route: "/x",
      },
      mapping,
    );
    expect(event.timeMs).toBe(1_700_000_000_000);
    expect(event.record).toEqual({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      level: "warn",
      message: "slow",
      service: "checkout",
      env: "prod",
      host: "pod-1",
      pid: 7,
      name: "api",
      route: "/x",
    });
    expect(event.bytes).toBeGreaterThan(50);
  });

  test("without a time or hostname, the receive time and the configured host are used", () => {
    const event = pinoEvent({ level: 30, msg: "bare" }, mapping);
    expect(event.timeMs).toBe(NOW);
    expect(event.record["host"]).toBe("fallback-host");
  });

  test("without msg, a logged error's message becomes the message", () => {
    const event = pinoEvent(
      { level: 50, err: { type: "Error", message: "only error", stack: "Error: only error" } },
      mapping,
    );
    expect(event.record).toMatchObject({ message: "only error", "error.message": "only error" });
  });

  test("an unknown level is logged as info with the original in level_raw", () => {
    expect(pinoEvent({ level: "verbose-ish", msg: "?" }, mapping).record).toMatchObject({
      level: "info",
      level_raw: "verbose-ish",
    });
  });

  test("a non-object record becomes its message", () => {
    expect(pinoEvent("plain text", mapping).record).toMatchObject({ message: "plain text", level: "info" });
  });

  test("an err that is not an error stays a field", () => {
    expect(pinoEvent({ level: 50, msg: "m", err: "string err" }, mapping).record).toMatchObject({
      err: "string err",
    });
  });

  test("a bound `id` does not replace the event id", () => {
    const record = pinoEvent({ level: 30, msg: "m", id: "user-supplied" }, mapping).record;
    expect(record["fields.id"]).toBe("user-supplied");
    expect(record["id"]).not.toBe("user-supplied");
  });
});

describe("LineSplitter", () => {
  test("returns complete lines and keeps the partial one for the next push", () => {
    const s = new LineSplitter(100);
    expect(s.push("a\nb").lines).toEqual(["a"]);
    expect(s.push("c\n\nd").lines).toEqual(["bc", ""]);
    expect(s.end()).toBe("d");
    expect(s.end()).toBeUndefined();
  });

  test("a line longer than the limit is skipped up to its newline and counted once", () => {
    const s = new LineSplitter(10);
    expect(s.push("0123456789AB")).toEqual({ lines: [], oversized: 1 });
    expect(s.push("more of the same")).toEqual({ lines: [], oversized: 0 });
    expect(s.push("end\nok\n")).toEqual({ lines: ["ok"], oversized: 0 });
  });

  test("an over-long complete line inside one push is skipped", () => {
    const s = new LineSplitter(5);
    expect(s.push("abc\n0123456789\nxyz\n")).toEqual({ lines: ["abc", "xyz"], oversized: 1 });
  });

  test("the partial line never grows beyond the limit", () => {
    const s = new LineSplitter(1000);
    for (let i = 0; i < 100; i++) s.push("x".repeat(100));
    expect(s.end()).toBeUndefined();
  });
});
