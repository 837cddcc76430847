/**
 * Trace and span ids from the active OpenTelemetry span. `@opentelemetry/api` is an optional
 * peer: the application may not have it, so it is imported lazily, by a name the type checker
 * and bundlers do not follow, and its absence simply means no ids.
 */

/** The slice of `@opentelemetry/api`'s `trace` the logger uses. */
export interface TraceApi {
  getActiveSpan(): { spanContext(): { traceId: string; spanId: string } } | undefined;
}

export interface TraceIds {
  trace_id: string;
  span_id: string;
}

const OTEL_API = "@opentelemetry/api";

let loading: Promise<TraceApi | undefined> | undefined;

/** Imports a module by name; injected so the absent-package path is testable. */
export type ModuleImporter = (name: string) => Promise<unknown>;

const importModule: ModuleImporter = (name) => import(name);

/**
 * The application's OpenTelemetry trace API, or undefined when it is not installed (or is not
 * what it should be). The default import is made once per process.
 */
export function loadTraceApi(importer?: ModuleImporter): Promise<TraceApi | undefined> {
  if (importer) return load(importer);
  loading ??= load(importModule);
  return loading;
}

async function load(importer: ModuleImporter): Promise<TraceApi | undefined> {
  try {
    const module = (await importer(OTEL_API)) as
      | { trace?: unknown; default?: { trace?: unknown } }
      | undefined;
    const trace = module?.trace ?? module?.default?.trace;
    return isTraceApi(trace) ? trace : undefined;
  } catch {
    return undefined;
  }
}

function isTraceApi(value: unknown): value is TraceApi {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { getActiveSpan?: unknown }).getActiveSpan === "function"
  );
}

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** The active span's ids, or undefined when there is none or its ids are invalid (all zero). */
export function activeTraceIds(api: TraceApi | undefined): TraceIds | undefined {
  if (!api) return undefined;
  try {
    const span = api.getActiveSpan();
    if (!span) return undefined;
    const { traceId, spanId } = span.spanContext();
    if (!isValidTraceId(traceId) || !isValidSpanId(spanId)) return undefined;
    return { trace_id: traceId, span_id: spanId };
  } catch {
    // A broken tracer must not break logging.
    return undefined;
  }
}

export function isValidTraceId(id: unknown): id is string {
  return typeof id === "string" && TRACE_ID.test(id) && id !== ZERO_TRACE;
}

export function isValidSpanId(id: unknown): id is string {
  return typeof id === "string" && SPAN_ID.test(id) && id !== ZERO_SPAN;
}
