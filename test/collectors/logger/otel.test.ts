import { AsyncLocalStorage } from "node:async_hooks";
import { type Context, type ContextManager, context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { activeTraceIds, loadTraceApi, type TraceApi } from "../../../collectors/logger/otel.js";
import { startForwarder, testLogger } from "./harness.js";

/** The smallest context manager that propagates across awaits: AsyncLocalStorage underneath. */
class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.call(thisArg, ...args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== "function") return target;
    const run = (...args: unknown[]) =>
      this.with(ctx, target as (...a: unknown[]) => unknown, undefined, ...args);
    return run as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN_ID = "00f067aa0ba902b7";

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
});

afterAll(() => {
  context.disable();
});

function inSpan<T>(traceId: string, spanId: string, fn: () => T): T {
  const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: 1 });
  return context.with(trace.setSpan(context.active(), span), fn);
}

describe("trace ids from the active OpenTelemetry span", () => {
  test("an event logged inside an active span carries its trace_id and span_id", async () => {
    const fw = await startForwarder();
    // No `trace` dependency: the logger imports @opentelemetry/api itself.
    const { logger } = testLogger(fw.port, {}, { trace: undefined });
    await logger.ready;

    await inSpan(TRACE_ID, SPAN_ID, async () => {
      await Promise.resolve();
      logger.info("inside a span");
    });
    logger.info("outside any span");
    await logger.flush();

    const [inside, outside] = fw.target.records;
    expect(inside!.record).toMatchObject({ message: "inside a span", trace_id: TRACE_ID, span_id: SPAN_ID });
    expect(outside!.record).not.toHaveProperty("trace_id");
    expect(outside!.record).not.toHaveProperty("span_id");
  });

  test("a span with all-zero (invalid) ids adds nothing", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, {}, { trace });

    inSpan("0".repeat(32), "0".repeat(16), () => logger.info("invalid span"));
    await logger.flush();

    expect(fw.target.records[0]!.record).not.toHaveProperty("trace_id");
  });

  test("explicit trace_id and span_id fields win over the active span", async () => {
    const fw = await startForwarder();
    const { logger } = testLogger(fw.port, {}, { trace });
    const other = "0af7651916cd43dd8448eb211c80319c";

    inSpan(TRACE_ID, SPAN_ID, () => logger.info("explicit", { trace_id: other }));
    await logger.flush();

    expect(fw.target.records[0]!.record).toMatchObject({ trace_id: other, span_id: SPAN_ID });
  });

  test("without the package installed the logger still works, with no trace ids", async () => {
    const fw = await startForwarder();
    const missing = () =>
      Promise.reject(Object.assign(new Error("Cannot find package"), { code: "ERR_MODULE_NOT_FOUND" }));
    const { logger } = testLogger(fw.port, {}, { trace: undefined, importModule: missing });
    await logger.ready;

    inSpan(TRACE_ID, SPAN_ID, () => logger.info("no otel"));
    await logger.flush();

    expect(fw.target.records[0]!.record).not.toHaveProperty("trace_id");
  });
});

describe("activeTraceIds", () => {
  const apiWith = (traceId: string, spanId: string): TraceApi => ({
    getActiveSpan: () => ({ spanContext: () => ({ traceId, spanId }) }),
  });

  test("ids that are not lower-case hex of the right length are ignored", () => {
    expect(activeTraceIds(apiWith(TRACE_ID.toUpperCase(), SPAN_ID))).toBeUndefined();
    expect(activeTraceIds(apiWith(TRACE_ID, `${SPAN_ID}00`))).toBeUndefined();
    expect(activeTraceIds(apiWith(TRACE_ID, SPAN_ID))).toEqual({ trace_id: TRACE_ID, span_id: SPAN_ID });
  });

  test("a tracer that throws yields no ids instead of an error", () => {
    const broken: TraceApi = {
      getActiveSpan: () => {
        throw new Error("tracer broke");
      },
    };
    expect(activeTraceIds(broken)).toBeUndefined();
  });

  test("a module without a usable trace API counts as absent", async () => {
    expect(await loadTraceApi(async () => ({ trace: {} }))).toBeUndefined();
    expect(await loadTraceApi(async () => undefined)).toBeUndefined();
  });
});
