import { once } from "node:events";
import pino from "pino";
import { describe, expect, test } from "vitest";
import type { LoggerOptionsInput } from "../../../collectors/logger/config.js";
import pinoTransport, {
  type PinoForwardStream,
  type PinoTransportOptionsInput,
} from "../../../collectors/logger/pino-transport.js";
import { ConfigError } from "../../../core/config/errors.js";
import { type Diagnostic, eventually, startForwarder, testOptions, track, unusedPort } from "./harness.js";

const TIME = Date.UTC(2026, 2, 1, 12, 0, 0, 456);

async function transport(
  port: number,
  overrides: Partial<PinoTransportOptionsInput> = {},
): Promise<{ stream: PinoForwardStream; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const options = { ...testOptions(port, overrides as Partial<LoggerOptionsInput>), ...overrides };
  delete (options as { host?: string }).host;
  const stream = await pinoTransport(
    { ...options, forwarder: { port, ...overrides.forwarder } },
    { log: (level, message, fields) => diagnostics.push({ level, message, fields }) },
  );
  return { stream: track(stream), diagnostics };
}

function line(record: Record<string, unknown>): string {
  return `${JSON.stringify(record)}\n`;
}

async function endAndWait(stream: PinoForwardStream): Promise<void> {
  const closed = once(stream, "close");
  stream.end();
  await closed;
}

describe("pino transport fed with pino JSON lines", () => {
  test("pino's level, time, msg, hostname and err are mapped and the rest kept", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);

    stream.write(
      line({
        level: 50,
        time: TIME,
        pid: 4242,
        hostname: "api-7",
        req_id: "r-9",
        msg: "payment failed",
        err: {
          type: "TypeError",
          message: "card declined",
          stack: "TypeError: card declined\n    at charge",
        },
      }),
    );
    await endAndWait(stream);

    expect(fw.target.records).toHaveLength(1);
    const stored = fw.target.records[0]!;
    expect(stored.time).toBe(TIME);
    expect(stored.record).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      level: "error",
      message: "payment failed",
      service: "checkout",
      env: "test",
      host: "api-7",
      pid: 4242,
      req_id: "r-9",
      "error.type": "TypeError",
      "error.message": "card declined",
      "error.stack": "TypeError: card declined\n    at charge",
    });
  });

  test("every pino level number maps onto its level name", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);

    for (const level of [10, 20, 30, 40, 50, 60])
      stream.write(line({ level, time: TIME, msg: `at ${level}` }));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["level"])).toEqual([
      "trace",
      "debug",
      "info",
      "warn",
      "error",
      "fatal",
    ]);
  });

  test("lines split across writes at any point are put back together", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);
    const text = line({ level: 30, msg: "first ünïcödé" }) + line({ level: 30, msg: "second" });

    for (let i = 0; i < text.length; i += 7) stream.write(text.slice(i, i + 7));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["first ünïcödé", "second"]);
  });

  test("buffers split inside a multi-byte character are decoded whole", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);
    const bytes = Buffer.from(line({ level: 30, msg: "naïve €" }));
    const cut = bytes.indexOf(0xe2) + 1;

    stream.write(bytes.subarray(0, cut));
    stream.write(bytes.subarray(cut));
    await endAndWait(stream);

    expect(fw.target.records[0]!.record["message"]).toBe("naïve €");
  });

  test("a last line without a newline is shipped when the stream ends", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);

    stream.write(JSON.stringify({ level: 30, msg: "no newline" }));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["no newline"]);
  });

  test("a line that is not a JSON object is shipped as text, counted, and does not disturb the next", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);

    stream.write('{"level":30,"msg":"trunc\n');
    stream.write("42\n");
    stream.write("\n   \n");
    stream.write(line({ level: 30, msg: "fine" }));
    const malformedBefore = stream.stats().malformed;
    await endAndWait(stream);

    expect(malformedBefore).toBe(2);
    expect(fw.target.records.map((r) => [r.record["message"], r.record["parse_error"]])).toEqual([
      ['{"level":30,"msg":"trunc', "not a JSON object"],
      ["42", "not a JSON object"],
      ["fine", undefined],
    ]);
  });

  test("a line longer than the queue can hold is dropped and counted, and the next line survives", async () => {
    const fw = await startForwarder();
    const { stream, diagnostics } = await transport(fw.port, { queue: { maxBytes: 4096 } });

    stream.write('{"level":30,"msg":"');
    stream.write("x".repeat(5000));
    stream.write('"}\n');
    stream.write(line({ level: 30, msg: "after the giant" }));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["after the giant"]);
    expect(stream.stats().dropped).toBe(1);
    expect(diagnostics.some((d) => d.fields?.["oversized"] === 1)).toBe(true);
  });

  test("records with a __proto__ key, an unknown level or an absurd time are shipped safely", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);

    stream.write('{"level":"loud","time":"yesterday","msg":"odd","__proto__":{"polluted":true}}\n');
    stream.write(line({ level: 30, time: 1e300, msg: "far future" }));
    await endAndWait(stream);

    const [odd, future] = fw.target.records;
    expect(odd!.record).toMatchObject({ level: "info", level_raw: "loud", message: "odd" });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    // Times that mean nothing fall back to the time the transport read the line.
    expect(Math.abs(odd!.time - Date.now())).toBeLessThan(60_000);
    expect(Math.abs(future!.time - Date.now())).toBeLessThan(60_000);
  });

  test("the level option filters what is shipped", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port, { level: "warn" });

    stream.write(line({ level: 30, msg: "info" }) + line({ level: 40, msg: "warn" }));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["warn"]);
  });

  test("custom messageKey and errorKey are honoured", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port, { messageKey: "message", errorKey: "error" });

    stream.write(
      line({ level: 50, message: "custom keys", error: { type: "Error", message: "x", stack: "Error: x" } }),
    );
    await endAndWait(stream);

    expect(fw.target.records[0]!.record).toMatchObject({
      message: "custom keys",
      "error.type": "Error",
      "error.message": "x",
    });
  });

  test("flush() resolves once everything written is acknowledged", async () => {
    const fw = await startForwarder();
    fw.target.appendDelayMs = 100;
    const { stream } = await transport(fw.port);

    for (let i = 0; i < 10; i++) stream.write(line({ level: 30, msg: `n${i}` }));
    await stream.flush();

    expect(fw.target.records).toHaveLength(10);
    expect(stream.stats()).toMatchObject({ acked: 10, queued: 0 });
  });

  test("ending the stream while the forwarder is down still closes it, counting the events as failed", async () => {
    const port = await unusedPort();
    const { stream } = await transport(port, { maxRetries: 1000, flushTimeoutMs: 50 });

    stream.write(line({ level: 30, msg: "lost" }));
    await endAndWait(stream);

    expect(stream.stats()).toMatchObject({ failed: 1, acked: 0, queued: 0 });
  });

  test("the keys pino's worker adds to the options are accepted and ignored", async () => {
    const fw = await startForwarder();
    const stream = track(
      await pinoTransport({
        ...testOptions(fw.port),
        $context: { threadStreamVersion: "4.2.1" },
        pinoWillSendConfig: true,
      } as PinoTransportOptionsInput),
    );

    stream.write(line({ level: 30, msg: "from the worker" }));
    await endAndWait(stream);

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["from the worker"]);
  });

  test("invalid options are refused with their path", async () => {
    await expect(pinoTransport({ service: "x", forwarder: { port: 0 } } as never)).rejects.toThrow(
      ConfigError,
    );
    await expect(pinoTransport({ forwarder: {} } as never)).rejects.toThrow(/logger options: service:/);
  });
});

describe("pino transport behind a real pino logger", () => {
  test("a pino logger writing into the transport stream delivers mapped events", async () => {
    const fw = await startForwarder();
    const { stream } = await transport(fw.port);
    const log = pino({ level: "debug", base: { pid: 1, hostname: "pod-3" } }, stream);

    log.info({ order_id: 42 }, "order placed");
    log.child({ request_id: "r-1" }).debug("cache miss");
    log.error(new Error("boom"), "handler failed");
    await endAndWait(stream);

    await eventually(() => expect(fw.target.records).toHaveLength(3));
    const [placed, miss, failed] = fw.target.records.map((r) => r.record);
    expect(placed).toMatchObject({
      level: "info",
      message: "order placed",
      order_id: 42,
      host: "pod-3",
      pid: 1,
    });
    expect(miss).toMatchObject({ level: "debug", message: "cache miss", request_id: "r-1" });
    expect(failed).toMatchObject({
      level: "error",
      message: "handler failed",
      "error.type": "Error",
      "error.message": "boom",
    });
    expect(failed!["error.stack"]).toContain("Error: boom");
  });
});
