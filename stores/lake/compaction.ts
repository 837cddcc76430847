import { finished } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip, gunzip as gunzipCallback, gzip as gzipCallback } from "node:zlib";
import {
  DeleteObjectsCommand,
  type DeleteObjectsCommandOutput,
  GetObjectCommand,
  type GetObjectCommandOutput,
  ListObjectsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { PipelineError } from "../../core/errors.js";
import { newEventId } from "../../core/event/incoming.js";
import type { MetricsRegistry } from "../../core/metrics.js";
import {
  type CompactionPolicy,
  decodeLines,
  fitsInObject,
  groupBytesFor,
  IdDeduper,
  LineGrouper,
  type ListedObject,
  type PartitionPlan,
  parseLakeLine,
  planPartition,
} from "./compaction-plan.js";
import type { LakeConfig } from "./config.js";
import {
  compactedKey,
  deadLetterKey,
  type LakePartition,
  normalisePrefix,
  parseObjectKey,
  partitionId,
  tablePrefix,
} from "./layout.js";
import type { Logger } from "./writer.js";
import { NDJSON_CONTENT_TYPE } from "./writer.js";

const gzip = promisify(gzipCallback);
const gunzip = promisify(gunzipCallback);

/** DeleteObjects takes at most this many keys per call. */
const DELETE_BATCH = 1000;

/**
 * Lake compaction: merges the small objects of closed hours into few objects close to a target
 * size, removing duplicate ids on the way.
 *
 * Crash safety comes from the order of the steps: the merged objects (and any dead letters) are
 * written first, and only then are the inputs deleted. A crash or a failed delete in between
 * leaves both, so some events exist twice with the same `id`, and none is lost. Queries that must
 * not double count dedupe on the id, e.g. in Athena:
 *
 * ```sql
 * SELECT * FROM (
 *   SELECT *, row_number() OVER (PARTITION BY id ORDER BY "timestamp") AS n FROM logs
 *   WHERE service = 'checkout' AND dt = '2026-01-05'
 * ) WHERE n = 1
 * ```
 *
 * The next pass merges the leftovers again (merged objects below half the target count as small)
 * and drops the duplicates between them. Two passes running at once can also only duplicate.
 *
 * Memory stays bounded by one partition's set of ids plus one merged object (gzip bytes): lines
 * are streamed through gzip as they are read, and the listing is consumed one partition at a
 * time (keys of a partition are contiguous in S3's sorted listing).
 */

export interface CompactLakeOptions {
  bucket: string;
  prefix?: string;
  /** Epoch milliseconds; hours that ended `settleMinutes` before it are compacted. */
  now: number;
  minObjects: number;
  /** Largest gzip size of a merged object; objects below half of it count as small. */
  targetBytes: number;
  settleMinutes: number;
  /** Read and merge, but write and delete nothing: the summary says what a real run would do. */
  dryRun?: boolean;
  /** Server-side encryption for the objects compaction writes. */
  sse?: { type: "AES256" | "aws:kms"; kmsKeyId?: string | undefined };
  signal?: AbortSignal;
  log?: Logger;
  metrics?: MetricsRegistry;
  /** Name generator for merged and dead-letter objects; ULIDs by default. */
  newId?: () => string;
  /** Keys per ListObjects page; S3's maximum (1000) by default. */
  listPageSize?: number;
  /**
   * Largest uncompressed size of one input object. A larger one (a gzip bomb, or not a writer's
   * object) is moved whole to the dead letters instead of exhausting memory.
   */
  maxInputBytes?: number;
}

/** Default of {@link CompactLakeOptions.maxInputBytes}: far above any writer's object, well below Node's Buffer limit. */
export const DEFAULT_MAX_INPUT_BYTES = 512 * 1024 * 1024;

export interface CompactionFailure {
  partition: string;
  code: string;
  error: string;
}

export interface CompactionSummary {
  /** Partitions merged (or that would be, in a dry run). */
  partitions: number;
  objectsIn: number;
  objectsOut: number;
  /** Events in the merged objects. */
  events: number;
  duplicatesRemoved: number;
  /** Lines kept in dead-letter objects because they were not lake events. */
  malformedLines: number;
  /** Input objects that could not be gunzipped (not gzip, cut short, too large): copied whole to the dead-letter prefix. */
  corruptObjects: number;
  deadLetterObjects: number;
  /** Partitions that stopped part way; their data is intact (possibly twice). */
  failures: CompactionFailure[];
  dryRun: boolean;
}

interface DeadLetterLine {
  reason: string;
  source_key: string;
  /** 1-based among the object's non-blank lines. */
  line: number;
  raw?: string;
  raw_base64?: string;
}

/** Gzip stream that knows how many compressed bytes it has produced so far. */
class GzipObject {
  private readonly gz = createGzip();
  private readonly parts: Buffer[] = [];
  emittedBytes = 0;
  writtenBytes = 0;

  constructor() {
    // Failures reach the caller through write callbacks and `finish`; without a listener an
    // 'error' event would also crash the process.
    this.gz.on("error", () => {});
    this.gz.on("data", (chunk: Buffer) => {
      this.parts.push(chunk);
      this.emittedBytes += chunk.length;
    });
  }

  /** Resolves once zlib has consumed `text`, so `emittedBytes` trails it by one held-back block at most. */
  write(text: string): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    this.writtenBytes += bytes.length;
    return new Promise((resolve, reject) => {
      this.gz.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  async finish(): Promise<Buffer> {
    this.gz.end();
    await finished(this.gz);
    return Buffer.concat(this.parts);
  }

  discard(): void {
    this.gz.destroy();
  }
}

class CompactionRun {
  private readonly prefix: string;
  private readonly newId: () => string;
  private readonly log: Logger;
  readonly summary: CompactionSummary;

  constructor(
    private readonly client: S3Client,
    private readonly options: CompactLakeOptions,
  ) {
    this.prefix = normalisePrefix(options.prefix ?? "");
    this.newId = options.newId ?? (() => newEventId());
    this.log = options.log ?? (() => {});
    this.summary = {
      partitions: 0,
      objectsIn: 0,
      objectsOut: 0,
      events: 0,
      duplicatesRemoved: 0,
      malformedLines: 0,
      corruptObjects: 0,
      deadLetterObjects: 0,
      failures: [],
      dryRun: options.dryRun === true,
    };
  }

  private get signalOptions() {
    return this.options.signal ? { abortSignal: this.options.signal } : {};
  }

  async run(): Promise<CompactionSummary> {
    const signal = this.options.signal;
    signal?.throwIfAborted();
    try {
      return await this.runAll();
    } catch (error) {
      // The SDK rejects an aborted call with its own AbortError; callers expect their reason.
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }

  private async runAll(): Promise<CompactionSummary> {
    const policy: CompactionPolicy = {
      prefix: this.prefix,
      now: this.options.now,
      minObjects: this.options.minObjects,
      targetBytes: this.options.targetBytes,
      settleMinutes: this.options.settleMinutes,
    };
    let current: { id: string; partition: LakePartition; objects: ListedObject[] } | undefined;
    const flush = async () => {
      if (!current) return;
      const plan = planPartition(current.partition, current.objects, policy);
      current = undefined;
      if (plan) await this.compactPartition(plan);
    };
    for await (const object of this.list()) {
      const parsed = parseObjectKey(this.prefix, object.key);
      if (!parsed) continue;
      const id = partitionId(parsed.partition);
      if (current && current.id !== id) await flush();
      current ??= { id, partition: parsed.partition, objects: [] };
      current.objects.push(object);
    }
    await flush();
    this.record();
    return this.summary;
  }

  /**
   * ListObjects (v1) paged by Marker, the last key seen: the listing is the same as v2's, and
   * S3-compatible stores that cannot mint v2 continuation tokens (s3rver on OpenSSL 3 answers any
   * truncated v2 listing with InternalError) page correctly too.
   */
  private async *list(): AsyncGenerator<ListedObject> {
    let marker: string | undefined;
    for (;;) {
      const page = await this.client.send(
        new ListObjectsCommand({
          Bucket: this.options.bucket,
          Prefix: tablePrefix(this.prefix),
          ...(this.options.listPageSize ? { MaxKeys: this.options.listPageSize } : {}),
          ...(marker === undefined ? {} : { Marker: marker }),
        }),
        this.signalOptions,
      );
      const contents = page.Contents ?? [];
      for (const item of contents) {
        if (item.Key !== undefined) yield { key: item.Key, size: item.Size ?? 0 };
      }
      const last = contents.at(-1)?.Key;
      if (!page.IsTruncated || last === undefined || last === marker) return;
      marker = last;
    }
  }

  private async compactPartition(plan: PartitionPlan): Promise<void> {
    const id = partitionId(plan.partition);
    try {
      const result = await this.mergePartition(plan);
      this.summary.partitions++;
      this.summary.objectsIn += result.objectsIn;
      this.summary.objectsOut += result.objectsOut;
      this.summary.events += result.events;
      this.summary.duplicatesRemoved += result.duplicates;
      this.summary.malformedLines += result.malformed;
      this.summary.corruptObjects += result.corrupt;
      this.summary.deadLetterObjects += result.deadLetterObjects;
      this.log("info", "lake partition compacted", { partition: id, ...result });
    } catch (error) {
      if (this.options.signal?.aborted) throw this.options.signal.reason;
      const code = error instanceof PipelineError ? error.code : "compaction_failed";
      const message = error instanceof Error ? error.message : String(error);
      this.summary.failures.push({ partition: id, code, error: message });
      this.log("error", "lake partition compaction failed", { partition: id, code, error: message });
    }
  }

  private async mergePartition(plan: PartitionPlan) {
    const { partition, inputs } = plan;
    const target = this.options.targetBytes;
    const groupBytes = groupBytesFor(target);
    const deduper = new IdDeduper();
    const grouper = new LineGrouper(groupBytes);
    const deadLetters: DeadLetterLine[] = [];
    let corrupt = 0;
    let events = 0;
    let objectsOut = 0;
    let deadLetterObjects = 0;
    let object: GzipObject | undefined;

    const closeObject = async () => {
      if (!object) return;
      const body = await object.finish();
      object = undefined;
      if (body.length > target) {
        // Only a single line larger than the target lands here; it is written all the same.
        this.log("warn", "merged lake object above target size", { bytes: body.length, target });
      }
      await this.put(compactedKey(this.prefix, partition, this.newId()), body, NDJSON_CONTENT_TYPE);
      objectsOut++;
    };
    const writeGroup = async (group: string) => {
      const size = Buffer.byteLength(group, "utf8");
      if (object && !fitsInObject(object, size, target)) await closeObject();
      object ??= new GzipObject();
      await object.write(group);
    };

    const merged: string[] = [];
    try {
      for (const input of inputs) {
        const stored = await this.get(input.key);
        if (stored === undefined) {
          // Gone since the listing (another pass merged it): nothing to read, nothing to delete.
          this.log("warn", "lake object vanished before compaction read it", { key: input.key });
          continue;
        }
        merged.push(input.key);
        let bytes: Buffer;
        try {
          bytes = await gunzip(stored, {
            maxOutputLength: this.options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES,
          });
        } catch (error) {
          // Not gzip, cut short, or inflating past the cap: kept whole, byte for byte, beside the
          // other dead letters.
          const reason = `cannot gunzip: ${(error as Error).message}`;
          const name = `${this.newId()}-${input.key.slice(input.key.lastIndexOf("/") + 1)}.corrupt`;
          await this.put(deadLetterKey(this.prefix, partition, name), stored, "application/octet-stream", {
            reason: asciiMetadata(reason),
            "source-key": asciiMetadata(input.key),
          });
          corrupt++;
          deadLetterObjects++;
          continue;
        }
        let lineNumber = 0;
        for (const decoded of decodeLines(bytes)) {
          lineNumber++;
          if ("invalidUtf8" in decoded) {
            deadLetters.push({
              reason: "not valid UTF-8",
              source_key: input.key,
              line: lineNumber,
              raw_base64: decoded.invalidUtf8.toString("base64"),
            });
            continue;
          }
          const parsed = parseLakeLine(decoded.text);
          if (!parsed.ok) {
            deadLetters.push({
              reason: parsed.reason,
              source_key: input.key,
              line: lineNumber,
              raw: decoded.text,
            });
            continue;
          }
          if (!deduper.firstSeen(parsed.id)) continue;
          events++;
          const group = grouper.add(decoded.text);
          if (group !== undefined) await writeGroup(group);
        }
      }
      const last = grouper.take();
      if (last !== undefined) await writeGroup(last);
      await closeObject();
    } finally {
      object?.discard();
    }

    if (deadLetters.length > 0) {
      const body = await gzip(
        Buffer.from(`${deadLetters.map((d) => JSON.stringify(d)).join("\n")}\n`, "utf8"),
      );
      await this.put(
        deadLetterKey(this.prefix, partition, `${this.newId()}.json.gz`),
        body,
        NDJSON_CONTENT_TYPE,
      );
      deadLetterObjects++;
    }

    // Everything the inputs held now exists elsewhere; only from here on may they go.
    await this.deleteAll(merged);
    return {
      objectsIn: merged.length,
      objectsOut,
      events,
      duplicates: deduper.duplicates,
      malformed: deadLetters.length,
      corrupt,
      deadLetterObjects,
    };
  }

  /** The object's bytes, or undefined when it no longer exists. */
  private async get(key: string): Promise<Buffer | undefined> {
    let answer: GetObjectCommandOutput;
    try {
      answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: key }),
        this.signalOptions,
      );
    } catch (error) {
      if ((error as { name?: string }).name === "NoSuchKey") return undefined;
      throw error;
    }
    if (!answer.Body) throw new PipelineError("processing", "empty_get", `GetObject ${key} returned no body`);
    return Buffer.from(await answer.Body.transformToByteArray());
  }

  private async put(key: string, body: Buffer, contentType: string, metadata?: Record<string, string>) {
    if (this.summary.dryRun) return;
    const input: PutObjectCommandInput = {
      Bucket: this.options.bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentType: contentType,
      ...(metadata ? { Metadata: metadata } : {}),
    };
    const sse = this.options.sse;
    if (sse) {
      input.ServerSideEncryption = sse.type;
      if (sse.type === "aws:kms" && sse.kmsKeyId) input.SSEKMSKeyId = sse.kmsKeyId;
    }
    try {
      await this.client.send(new PutObjectCommand(input), this.signalOptions);
    } catch (error) {
      throw new PipelineError("sending", "put_failed", `PutObject ${key} failed: ${describe(error)}`, {
        cause: error,
      });
    }
  }

  private async deleteAll(keys: string[]): Promise<void> {
    if (this.summary.dryRun) return;
    const failed: string[] = [];
    for (let i = 0; i < keys.length; i += DELETE_BATCH) {
      const chunk = keys.slice(i, i + DELETE_BATCH);
      let answer: DeleteObjectsCommandOutput;
      try {
        answer = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.options.bucket,
            Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: true },
          }),
          this.signalOptions,
        );
      } catch (error) {
        throw new PipelineError(
          "sending",
          "delete_failed",
          `DeleteObjects failed after the merged objects were written (inputs kept, ids may repeat until the next pass): ${describe(error)}`,
          { cause: error },
        );
      }
      for (const e of answer.Errors ?? []) failed.push(`${e.Key ?? "?"} (${e.Code ?? "error"})`);
    }
    if (failed.length > 0) {
      throw new PipelineError(
        "sending",
        "delete_failed",
        `${failed.length} input object(s) not deleted, ids may repeat until the next pass: ${failed.slice(0, 5).join(", ")}`,
      );
    }
  }

  private record(): void {
    const m = this.options.metrics;
    if (!m || this.summary.dryRun) return;
    const p = "logpipe_lake_compaction";
    const s = this.summary;
    m.counter(`${p}_partitions_total`, "Lake partitions compacted").inc(undefined, s.partitions);
    m.counter(`${p}_objects_in_total`, "Small lake objects merged away").inc(undefined, s.objectsIn);
    m.counter(`${p}_objects_out_total`, "Merged lake objects written").inc(undefined, s.objectsOut);
    m.counter(`${p}_duplicates_total`, "Events dropped as repeats of an id already kept").inc(
      undefined,
      s.duplicatesRemoved,
    );
    m.counter(`${p}_malformed_lines_total`, "Lines moved to the dead-letter prefix").inc(
      undefined,
      s.malformedLines,
    );
    m.counter(`${p}_corrupt_objects_total`, "Objects that were not gzip, moved to dead letters").inc(
      undefined,
      s.corruptObjects,
    );
    m.counter(`${p}_failures_total`, "Partitions whose compaction stopped part way").inc(
      undefined,
      s.failures.length,
    );
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

/** S3 user metadata travels in HTTP headers: printable ASCII only, and kept short. */
function asciiMetadata(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, "?").slice(0, 512);
}

/**
 * Merges the small objects of every settled hour of the lake. Per-partition failures are
 * reported in `failures` and the run goes on; listing errors and aborts reject.
 */
export async function compactLake(client: S3Client, options: CompactLakeOptions): Promise<CompactionSummary> {
  return new CompactionRun(client, options).run();
}

/** `compactLake` options from the lake config. */
export function compactionOptionsFromConfig(
  config: LakeConfig,
  now: number,
): Omit<CompactLakeOptions, "signal" | "log" | "metrics"> {
  return {
    bucket: config.bucket,
    prefix: config.prefix,
    now,
    minObjects: config.compaction.min_objects,
    targetBytes: config.compaction.target_object_bytes,
    settleMinutes: config.compaction.settle_minutes,
    ...(config.sse === "none"
      ? {}
      : { sse: { type: config.sse, ...(config.kms_key_id ? { kmsKeyId: config.kms_key_id } : {}) } }),
  };
}
