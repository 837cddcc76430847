/**
 * Dead letters: what can never be delivered (a store refused it for good, the transforms could
 * not use it) is written to S3 with its reason, so nothing is dropped silently. This module is
 * the pure half (entry shape, object keys, NDJSON encoding) and the interface the processors
 * write through; `s3-dead-letter.ts` is the S3 side.
 */

/** One line of a dead-letter object. */
export interface DeadLetterEntry {
  /** Which output refused it (`opensearch`, `s3_lake`) or `transform` / `firehose_transform`. */
  output: string;
  /** Short stable code, e.g. `mapper_parsing_exception`, `transform_error`. */
  code: string;
  reason: string;
  /** When it was dead-lettered, ISO-8601 UTC. */
  time: string;
  /** The event as far as it got: the LogEvent for a store refusal, the raw input for a transform drop. */
  event: unknown;
}

export interface DeadLetterContext {
  /** The Lambda request id; part of the object key. */
  requestId: string;
  signal?: AbortSignal;
}

/**
 * Where dead letters go. `write` resolves once every entry is stored, or throws; an error whose
 * `retryable` is true (see {@link DeadLetterWriteError}) is worth another attempt.
 */
export interface DeadLetterSink {
  readonly name: string;
  write(entries: readonly DeadLetterEntry[], context: DeadLetterContext): Promise<void>;
}

/** A dead-letter write that failed; `retryable`/`throttled` say whether to try again. */
export class DeadLetterWriteError extends Error {
  override name = "DeadLetterWriteError";
  readonly stage = "sending" as const;
  constructor(
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    readonly throttled: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Largest uncompressed body of one dead-letter object; more entries go to the next `<n>`. */
export const DEAD_LETTER_OBJECT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * `<prefix><output>/<yyyy>/<mm>/<dd>/<requestId>-<n>.json.gz` (UTC date of `time`). Output and
 * request id are cleaned to a safe alphabet: both end up in a key people list and type.
 */
export function deadLetterKey(
  prefix: string,
  output: string,
  time: number,
  requestId: string,
  n: number,
): string {
  const iso = new Date(time).toISOString();
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, 128) || "_";
  return `${prefix}${safe(output)}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${safe(requestId)}-${n}.json.gz`;
}

/** A value as JSON, even when it holds what JSON cannot (bigint, cycles): dead letters must be written. */
function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? "null";
  } catch (error) {
    return JSON.stringify({
      unserialisable: error instanceof Error ? error.message : String(error),
      text: String(value).slice(0, 4096),
    });
  }
}

/** One NDJSON line per entry, in the documented key order. */
export function deadLetterLine(entry: DeadLetterEntry): string {
  return `{"output":${JSON.stringify(entry.output)},"code":${JSON.stringify(entry.code)},"reason":${JSON.stringify(entry.reason)},"time":${JSON.stringify(entry.time)},"event":${safeJson(entry.event)}}\n`;
}

/** Entries grouped by output (one key prefix each), in first-seen order, cut into bodies of at most `maxBytes`. */
export function deadLetterBodies(
  entries: readonly DeadLetterEntry[],
  maxBytes = DEAD_LETTER_OBJECT_MAX_BYTES,
): { output: string; body: string; count: number }[] {
  const byOutput = new Map<string, { body: string; bytes: number; count: number }[]>();
  for (const entry of entries) {
    const line = deadLetterLine(entry);
    const bytes = Buffer.byteLength(line);
    let chunks = byOutput.get(entry.output);
    if (chunks === undefined) {
      chunks = [];
      byOutput.set(entry.output, chunks);
    }
    let last = chunks[chunks.length - 1];
    if (last === undefined || (last.count > 0 && last.bytes + bytes > maxBytes)) {
      last = { body: "", bytes: 0, count: 0 };
      chunks.push(last);
    }
    last.body += line;
    last.bytes += bytes;
    last.count++;
  }
  return [...byOutput.entries()].flatMap(([output, chunks]) =>
    chunks.map((c) => ({ output, body: c.body, count: c.count })),
  );
}
