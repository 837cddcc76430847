import { createServer } from "node:net";
import { afterEach, vi } from "vitest";
import {
  type ForwardInputConfig,
  ForwardInputConfigSchema,
} from "../../../collectors/inputs/forward/config.js";
import { ForwardInput } from "../../../collectors/inputs/forward/input.js";
import type { LoggerOptionsInput } from "../../../collectors/logger/config.js";
import { createLogger, type Logger, type LoggerDeps } from "../../../collectors/logger/logger.js";
import type { PinoForwardStream } from "../../../collectors/logger/pino-transport.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { MemoryIngestTarget } from "../../support/memory-ingest-target.js";

export interface Forwarder {
  input: ForwardInput;
  target: MemoryIngestTarget;
  port: number;
  /** A metric series of the input, 0 when absent. */
  metric(series: string): number;
  shutdown(): Promise<void>;
}

export interface Diagnostic {
  level: string;
  message: string;
  fields?: Record<string, unknown> | undefined;
}

const inputs: ForwardInput[] = [];
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  // Loggers first (give up at once), then the forwarders they talk to.
  await Promise.all(closers.splice(0).map((close) => close()));
  await Promise.all(inputs.splice(0).map((input) => input.shutdown()));
});

/** A real forward input on 127.0.0.1 (port 0 unless given), stopped after the test. */
export async function startForwarder(
  config: Partial<Record<keyof ForwardInputConfig, unknown>> = {},
  target = new MemoryIngestTarget(),
): Promise<Forwarder> {
  const parsed = ForwardInputConfigSchema.parse({ host: "127.0.0.1", port: 0, ...config });
  const metrics = new MetricsRegistry();
  const input = new ForwardInput(parsed, target, { metrics });
  await input.start();
  inputs.push(input);
  const port = Number(new URL(input.address()!).port);
  return {
    input,
    target,
    port,
    metric: (series) => metrics.snapshot()[series] ?? 0,
    shutdown: () => input.shutdown(),
  };
}

/** A port nothing listens on (bound once, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address !== "object") throw new Error("no port");
  return address.port;
}

/** Settings that keep tests quick: short linger and backoff, generous ack timeout. */
export function testOptions(port: number, overrides: Partial<LoggerOptionsInput> = {}): LoggerOptionsInput {
  return {
    service: "checkout",
    env: "test",
    host: "web-1",
    flushIntervalMs: 5,
    ackTimeoutMs: 20_000,
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
    ...overrides,
    forwarder: { port, ...overrides.forwarder },
  };
}

/** A logger with captured diagnostics, closed (without waiting) after the test. */
export function testLogger(
  port: number,
  overrides: Partial<LoggerOptionsInput> = {},
  deps: LoggerDeps = {},
): { logger: Logger; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const logger = createLogger(testOptions(port, overrides), {
    trace: null,
    log: (level, message, fields) => diagnostics.push({ level, message, fields }),
    ...deps,
  });
  closers.push(() => logger.close(0));
  return { logger, diagnostics };
}

/** Registers a transport stream to be destroyed after the test. */
export function track(stream: PinoForwardStream): PinoForwardStream {
  closers.push(async () => {
    if (!stream.destroyed) stream.destroy();
    await stream.flush(0);
  });
  return stream;
}

/** Waits (polling, generous timeout) until `check` stops throwing. */
export function eventually<T>(check: () => T, timeout = 15_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 10 });
}
