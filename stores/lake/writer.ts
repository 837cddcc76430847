import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { PutObjectCommand, type PutObjectCommandInput, type S3Client } from "@aws-sdk/client-s3";
import type { LogEvent } from "../../core/event/schema.js";
import { InFlightWrites } from "../../core/in-flight.js";
import type { Logger } from "../../core/log.js";
import type { Counter, Histogram, MetricsRegistry } from "../../core/metrics.js";
import type { ItemOutcome, Sink } from "../../core/stage.js";
import { groupByPartition, type PartitionGroup } from "./batch.js";
import { classifyS3Failure, s3ErrorCode } from "./classify.js";
import { createLakeS3Client } from "./clients.js";
import type { LakeConfig } from "./config.js";
import { keyFits, normalisePrefix, objectKey, partitionId } from "./layout.js";
import { mapWithLimit } from "./pool.js";

const gzip = promisify(gzipCallback);

export const LAKE_WRITER_NAME = "s3_lake";
export const NDJSON_CONTENT_TYPE = "application/x-ndjson";

export type { Logger, LogLevel } from "../../core/log.js";

export interface S3LakeWriterDeps {
  /** SDK client; built from the config (region, endpoint, path style, SDK retries off) when absent. */
  client?: S3Client;
  metrics: MetricsRegistry;
  /** Source of the time part of object names (ULIDs), so keys sort by write time. */
  now?: () => number;
  log?: Logger;
  /** Object name generator; defaults to a ULID at `now()`. */
  newId?: (now: number) => string;
}

const BYTE_BUCKETS = [1024, 16_384, 131_072, 1_048_576, 8_388_608, 67_108_864];

/**
 * Writes LogEvents into the S3 lake: one gzip NDJSON object per (service, dt, hour) partition of
 * each batch, puts in parallel up to `max_parallel_puts`. Each partition succeeds or fails on its
 * own, so a throttled prefix never makes the other partitions' events look failed.
 *
 * One attempt per partition and call: a failed put answers its events retryable (throttled for
 * `SlowDown`) or rejected, and the caller's retry loop resends only those. The object is written
 * without `Content-Encoding`, so S3 serves the gzip bytes as stored and Athena picks the codec
 * from the `.gz` name.
 */
export class S3LakeWriter implements Sink<LogEvent> {
  readonly name = LAKE_WRITER_NAME;
  private readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly now: () => number;
  private readonly newId: ((now: number) => string) | undefined;
  private readonly log: Logger;
  private readonly inFlight = new InFlightWrites("lake writer");

  private readonly eventsWritten: Counter;
  private readonly objectsWritten: Counter;
  private readonly bytesWritten: Counter;
  private readonly eventsRejected: Counter;
  private readonly eventsRetryable: Counter;
  private readonly putFailures: Counter;
  private readonly objectBytes: Histogram;

  constructor(
    private readonly config: LakeConfig,
    deps: S3LakeWriterDeps,
  ) {
    this.ownsClient = deps.client === undefined;
    this.client =
      deps.client ??
      createLakeS3Client({
        region: config.region,
        endpoint: config.endpoint,
        forcePathStyle: config.force_path_style,
        maxAttempts: 1,
      });
    this.prefix = normalisePrefix(config.prefix);
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId;
    this.log = deps.log ?? (() => {});
    const m = deps.metrics;
    const p = "logpipe_lake";
    this.eventsWritten = m.counter(`${p}_events_written_total`, "Events written to lake objects");
    this.objectsWritten = m.counter(`${p}_objects_written_total`, "Lake objects written by the writer");
    this.bytesWritten = m.counter(`${p}_bytes_written_total`, "Gzip bytes of lake objects written");
    this.eventsRejected = m.counter(
      `${p}_events_rejected_total`,
      "Events answered rejected (to be dead-lettered), by code",
    );
    this.eventsRetryable = m.counter(`${p}_events_retryable_total`, "Events answered retryable, by kind");
    this.putFailures = m.counter(`${p}_put_failures_total`, "PutObject calls that failed, by S3 error code");
    this.objectBytes = m.histogram(`${p}_object_bytes`, "Gzip size of each object written", BYTE_BUCKETS);
  }

  async start(): Promise<void> {}

  /** Waits for writes in flight; later writes answer every event retryable. */
  async shutdown(): Promise<void> {
    if (this.inFlight.closed) return;
    await this.inFlight.close();
    if (this.ownsClient) this.client.destroy();
  }

  write(batch: readonly LogEvent[], signal?: AbortSignal): Promise<ItemOutcome[]> {
    return this.inFlight.run(batch.length, () => this.deliver(batch, signal));
  }

  private async deliver(batch: readonly LogEvent[], signal: AbortSignal | undefined): Promise<ItemOutcome[]> {
    const outcomes = new Array<ItemOutcome>(batch.length);
    const { groups, invalid } = groupByPartition(batch);
    for (const item of invalid) {
      outcomes[item.index] = { status: "rejected", code: item.code, reason: item.reason };
      this.eventsRejected.inc({ code: item.code });
    }
    const answers = await mapWithLimit(groups, this.config.max_parallel_puts, (group) =>
      this.putPartition(group, signal),
    );
    groups.forEach((group, i) => {
      const outcome = answers[i]!;
      for (const index of group.indices) outcomes[index] = { ...outcome };
      if (outcome.status === "accepted") this.eventsWritten.inc(undefined, group.indices.length);
      else if (outcome.status === "rejected")
        this.eventsRejected.inc({ code: outcome.code }, group.indices.length);
      else
        this.eventsRetryable.inc(
          { kind: outcome.throttled ? "throttled" : "retryable" },
          group.indices.length,
        );
    });
    return outcomes;
  }

  private async putPartition(group: PartitionGroup, signal: AbortSignal | undefined): Promise<ItemOutcome> {
    const now = this.now();
    const key = objectKey(this.prefix, group.partition, this.newId?.(now));
    if (!keyFits(key)) {
      return {
        status: "rejected",
        code: "key_too_long",
        reason: `object key for partition ${partitionId(group.partition)} exceeds 1024 bytes; shorten the prefix`,
      };
    }
    if (signal?.aborted) return { status: "retryable", reason: "write aborted before the put" };
    const body = await gzip(Buffer.from(group.body, "utf8"));
    const input: PutObjectCommandInput = {
      Bucket: this.config.bucket,
      Key: key,
      Body: body,
      ContentType: NDJSON_CONTENT_TYPE,
      ContentLength: body.length,
    };
    if (this.config.sse !== "none") input.ServerSideEncryption = this.config.sse;
    if (this.config.sse === "aws:kms" && this.config.kms_key_id) input.SSEKMSKeyId = this.config.kms_key_id;
    try {
      await this.client.send(new PutObjectCommand(input), signal ? { abortSignal: signal } : {});
    } catch (error) {
      const code = s3ErrorCode(error);
      this.putFailures.inc({ code });
      const outcome = classifyS3Failure(error, signal);
      // One line per failed put (never per event): enough to see a broken bucket policy.
      this.log(outcome.status === "rejected" ? "error" : "warn", "lake put failed", {
        key,
        events: group.indices.length,
        code,
        outcome: outcome.status,
      });
      return outcome;
    }
    this.objectsWritten.inc();
    this.bytesWritten.inc(undefined, body.length);
    this.objectBytes.observe(body.length);
    return { status: "accepted" };
  }
}

export function createS3LakeWriter(config: LakeConfig, deps: S3LakeWriterDeps): S3LakeWriter {
  return new S3LakeWriter(config, deps);
}
