import { describe, expect, test } from "vitest";
import { z } from "zod";
import { LoggerOptionsSchema } from "../../../collectors/logger/config.js";
import { parseOptions } from "../../../collectors/logger/errors.js";
import { PinoTransportOptionsSchema } from "../../../collectors/logger/pino-transport.js";
import { ConfigError } from "../../../core/config/errors.js";

/** Every property path of a JSON schema that has no description, anyOf branches included. */
function undescribed(schema: Record<string, unknown>, path = ""): string[] {
  const missing: string[] = [];
  const properties = (schema["properties"] ?? {}) as Record<string, Record<string, unknown>>;
  for (const [key, prop] of Object.entries(properties)) {
    const here = path ? `${path}.${key}` : key;
    if (!prop["description"]) missing.push(here);
    missing.push(...undescribed(prop, here));
    for (const branch of (prop["anyOf"] ?? []) as Record<string, unknown>[])
      missing.push(...undescribed(branch, here));
  }
  return missing;
}

describe("LoggerOptionsSchema", () => {
  test("only the service is required; everything else has a default", () => {
    const options = LoggerOptionsSchema.parse({ service: "checkout" });
    expect(options).toMatchObject({
      service: "checkout",
      level: "info",
      forwarder: { host: "127.0.0.1", port: 24224, tls: false },
      queue: { maxEvents: 10_000, maxBytes: 8 * 1024 * 1024 },
      chunk: { maxEvents: 1000, maxBytes: 1024 * 1024 },
      flushIntervalMs: 100,
      ackTimeoutMs: 30_000,
      maxRetries: 9,
      retry: { initialDelayMs: 200, maxDelayMs: 30_000 },
    });
    expect(options.env).toBeUndefined();
    expect(options.host).toBeUndefined();
  });

  test("unknown keys are rejected at every level", () => {
    expect(LoggerOptionsSchema.safeParse({ service: "s", colour: 1 }).success).toBe(false);
    expect(LoggerOptionsSchema.safeParse({ service: "s", forwarder: { hots: "x" } }).success).toBe(false);
    expect(LoggerOptionsSchema.safeParse({ service: "s", queue: { max_events: 1 } }).success).toBe(false);
  });

  test("TLS is a boolean or an object of PEM settings", () => {
    expect(LoggerOptionsSchema.parse({ service: "s", forwarder: { tls: true } }).forwarder.tls).toBe(true);
    expect(
      LoggerOptionsSchema.parse({ service: "s", forwarder: { tls: { ca: "PEM" } } }).forwarder.tls,
    ).toEqual({
      ca: "PEM",
      rejectUnauthorized: true,
    });
  });

  test("a retry cap below the initial delay is refused", () => {
    expect(
      LoggerOptionsSchema.safeParse({ service: "s", retry: { initialDelayMs: 500, maxDelayMs: 100 } })
        .success,
    ).toBe(false);
  });

  test("a tag prefix with spaces or other punctuation is refused", () => {
    expect(LoggerOptionsSchema.safeParse({ service: "s", forwarder: { tagPrefix: "a b" } }).success).toBe(
      false,
    );
  });

  test("every field is described", () => {
    const json = z.toJSONSchema(LoggerOptionsSchema, { io: "input" }) as Record<string, unknown>;
    expect(undescribed(json)).toEqual([]);
    const pinoJson = z.toJSONSchema(PinoTransportOptionsSchema, { io: "input" }) as Record<string, unknown>;
    expect(undescribed(pinoJson)).toEqual([]);
  });
});

describe("PinoTransportOptionsSchema", () => {
  test("ships every level by default and knows pino's key names", () => {
    expect(PinoTransportOptionsSchema.parse({ service: "s" })).toMatchObject({
      level: "trace",
      messageKey: "msg",
      errorKey: "err",
    });
  });

  test("is as strict as the logger's", () => {
    expect(PinoTransportOptionsSchema.safeParse({ service: "s", target: "x" }).success).toBe(false);
  });
});

describe("parseOptions", () => {
  test("lists every problem with its path and what was expected", () => {
    let caught: unknown;
    try {
      parseOptions(LoggerOptionsSchema, { forwarder: { port: 70_000 }, level: "loud" });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const lines = (caught as ConfigError).message.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines.every((line) => line.startsWith("logger options: "))).toBe(true);
    expect(lines.some((line) => line.startsWith("logger options: service: missing required key"))).toBe(true);
    expect(lines.some((line) => line.startsWith("logger options: forwarder.port:"))).toBe(true);
    expect(lines.some((line) => line.startsWith("logger options: level:"))).toBe(true);
  });
});
