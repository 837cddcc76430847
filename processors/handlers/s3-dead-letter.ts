import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { classifyS3Failure, NDJSON_CONTENT_TYPE } from "../../stores/lake/index.js";
import {
  DEAD_LETTER_OBJECT_MAX_BYTES,
  type DeadLetterContext,
  type DeadLetterEntry,
  type DeadLetterSink,
  DeadLetterWriteError,
  deadLetterBodies,
  deadLetterKey,
} from "./dead-letter.js";

const gzip = promisify(gzipCallback);

/** The S3 error code of an SDK error (`PreconditionFailed`, `SlowDown`, …). */
function s3ErrorCodeOf(error: unknown): string {
  const e = error as { Code?: unknown; name?: unknown } | undefined;
  if (typeof e?.Code === "string") return e.Code;
  return typeof e?.name === "string" ? e.name : "Unknown";
}

export interface S3DeadLetterWriterOptions {
  bucket: string;
  /** Key prefix, e.g. `dead-letter/`. */
  prefix: string;
  client: S3Client;
  now?: () => number;
  maxObjectBytes?: number;
}

/**
 * Writes dead letters as gzip NDJSON objects, one per output (and per 16 MiB of entries), under
 * `<prefix><output>/<yyyy>/<mm>/<dd>/<requestId>-<n>.json.gz`. One attempt per call: the caller's
 * retry loop decides whether and when to try again, from the error's classification.
 *
 * Puts are conditional (`If-None-Match: *`): a retried invocation keeps its request id, and on a
 * fresh container `n` starts again at 0, so an object of the earlier attempt must not be
 * overwritten; a taken key moves on to the next `n`.
 */
export class S3DeadLetterWriter implements DeadLetterSink {
  readonly name = "s3_dead_letter";
  private readonly now: () => number;
  private readonly maxObjectBytes: number;
  /** Next `n` per request id; a container serves one invocation at a time, so the map stays tiny. */
  private readonly next = new Map<string, number>();

  constructor(private readonly options: S3DeadLetterWriterOptions) {
    this.now = options.now ?? Date.now;
    this.maxObjectBytes = options.maxObjectBytes ?? DEAD_LETTER_OBJECT_MAX_BYTES;
  }

  async write(entries: readonly DeadLetterEntry[], context: DeadLetterContext): Promise<void> {
    if (entries.length === 0) return;
    // Only the current invocation's counter is worth keeping.
    for (const key of this.next.keys()) if (key !== context.requestId) this.next.delete(key);
    for (const { output, body } of deadLetterBodies(entries, this.maxObjectBytes)) {
      await this.put(output, await gzip(Buffer.from(body, "utf8")), context);
    }
  }

  private async put(output: string, body: Buffer, context: DeadLetterContext): Promise<void> {
    for (;;) {
      const n = this.next.get(context.requestId) ?? 0;
      const key = deadLetterKey(this.options.prefix, output, this.now(), context.requestId, n);
      try {
        await this.options.client.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            Body: body,
            ContentType: NDJSON_CONTENT_TYPE,
            ContentLength: body.length,
            IfNoneMatch: "*",
          }),
          context.signal ? { abortSignal: context.signal } : {},
        );
        this.next.set(context.requestId, n + 1);
        return;
      } catch (error) {
        const code = s3ErrorCodeOf(error);
        if (code === "PreconditionFailed" || code === "ConditionalRequestConflict") {
          this.next.set(context.requestId, n + 1);
          continue;
        }
        const outcome = classifyS3Failure(error, context.signal);
        throw new DeadLetterWriteError(
          outcome.status === "rejected" ? outcome.code : "s3_unavailable",
          `dead-letter put of s3://${this.options.bucket}/${key} failed: ${outcome.reason}`,
          outcome.status === "retryable",
          outcome.status === "retryable" && outcome.throttled === true,
          { cause: error },
        );
      }
    }
  }
}

export function createS3DeadLetterWriter(options: S3DeadLetterWriterOptions): S3DeadLetterWriter {
  return new S3DeadLetterWriter(options);
}
