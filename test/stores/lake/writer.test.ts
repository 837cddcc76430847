import { gunzipSync } from "node:zlib";
import {
  CreateBucketCommand,
  GetObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { MetricsRegistry } from "../../../core/metrics.js";
import { LakeConfigSchema } from "../../../stores/lake/config.js";
import { createS3LakeWriter, type S3LakeWriter } from "../../../stores/lake/writer.js";
import { injectS3Fault, type S3rverHandle, startS3rver } from "../../support/s3rver.js";
import { makeEvent } from "./events.js";
import { listKeys, readLakeObject } from "./s3-helpers.js";

const ULID_NAME = /^[0-9A-HJKMNP-TV-Z]{26}\.json\.gz$/;

let s3: S3rverHandle;
let client: S3Client;
let bucketCounter = 0;
let bucket: string;

beforeAll(async () => {
  s3 = await startS3rver([]);
});

afterAll(async () => {
  await s3.close();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

beforeEach(async () => {
  // A bucket of its own per test, so listings see only that test's objects.
  bucket = `lake-${bucketCounter++}`;
  client = s3.client();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

function writer(overrides: Record<string, unknown> = {}, metrics = new MetricsRegistry()): S3LakeWriter {
  const config = LakeConfigSchema.parse({ bucket, ...overrides });
  return createS3LakeWriter(config, { client, metrics });
}

/** Records the input of every call of `command` the client makes. */
function recordInputs(c: S3Client, command: string): Record<string, unknown>[] {
  const seen: Record<string, unknown>[] = [];
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command) seen.push(args.input as Record<string, unknown>);
      return next(args);
    },
    { step: "initialize" },
  );
  return seen;
}

describe("S3LakeWriter against s3rver", () => {
  it("writes each partition to one object at exactly the layout path", async () => {
    const batch = [
      makeEvent({ service: "checkout", "@timestamp": "2026-01-05T09:59:59.999Z" }),
      makeEvent({ service: "checkout", "@timestamp": "2026-01-05T10:00:00.000Z" }),
      makeEvent({ service: "team/pay ments", "@timestamp": "2026-01-05T10:30:00.000Z" }),
      makeEvent({ service: "checkout", "@timestamp": "2026-01-05T10:45:00.000Z" }),
    ];
    const outcomes = await writer({ prefix: "prod" }).write(batch);
    expect(outcomes).toEqual(batch.map(() => ({ status: "accepted" })));
    const keys = await listKeys(client, bucket);
    expect(keys.map((k) => k.slice(0, k.lastIndexOf("/") + 1))).toEqual([
      "prod/logs/service=checkout/dt=2026-01-05/hour=09/",
      "prod/logs/service=checkout/dt=2026-01-05/hour=10/",
      "prod/logs/service=team_pay_ments/dt=2026-01-05/hour=10/",
    ]);
    for (const key of keys) expect(key.slice(key.lastIndexOf("/") + 1)).toMatch(ULID_NAME);
  });

  it("stores gzip NDJSON whose lines parse back to the events written", async () => {
    const batch = [
      makeEvent({ message: "first\nwith a newline", http: { method: "GET", status: 200 } }),
      makeEvent({ message: "ünïcødé ✓ \u2028", attrs: { "k.v": "1" } }),
    ];
    await writer().write(batch);
    const [key] = await listKeys(client, bucket);
    expect(await readLakeObject(client, bucket, key!)).toEqual(batch);
  });

  it("sets the NDJSON content type and no Content-Encoding, so readers see the gzip bytes", async () => {
    await writer().write([makeEvent()]);
    const [key] = await listKeys(client, bucket);
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key! }));
    expect(answer.ContentType).toBe("application/x-ndjson");
    expect(answer.ContentEncoding).toBeUndefined();
    const bytes = Buffer.from(await answer.Body!.transformToByteArray());
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gunzipSync(bytes).toString("utf8").endsWith("\n")).toBe(true);
  });

  it("writes a new object for every write, even to the same partition", async () => {
    const w = writer();
    await w.write([makeEvent(), makeEvent()]);
    await w.write([makeEvent()]);
    const keys = await listKeys(client, bucket);
    expect(keys).toHaveLength(2);
    expect(new Set(keys.map((k) => k.slice(0, k.lastIndexOf("/")))).size).toBe(1);
  });

  it("answers only the throttled partition's events retryable and throttled", async () => {
    injectS3Fault(client, {
      when: (command, input) => command === "PutObjectCommand" && String(input.Key).includes("service=slow/"),
      status: 503,
      code: "SlowDown",
      message: "Please reduce your request rate.",
    });
    const batch = [
      makeEvent({ service: "fast" }),
      makeEvent({ service: "slow" }),
      makeEvent({ service: "fast" }),
    ];
    const outcomes = await writer().write(batch);
    expect(outcomes[0]).toEqual({ status: "accepted" });
    expect(outcomes[1]).toMatchObject({ status: "retryable", throttled: true });
    expect(outcomes[2]).toEqual({ status: "accepted" });
    expect(await listKeys(client, bucket)).toEqual([expect.stringContaining("service=fast/")]);
  });

  it("answers a partition that hit a server error retryable without throttling", async () => {
    injectS3Fault(client, {
      when: (command) => command === "PutObjectCommand",
      status: 500,
      code: "InternalError",
    });
    const [outcome] = await writer().write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    expect(outcome).not.toHaveProperty("throttled");
  });

  it("rejects a partition S3 refused with AccessDenied, with S3's reason", async () => {
    injectS3Fault(client, {
      when: (command, input) =>
        command === "PutObjectCommand" && String(input.Key).includes("service=secret/"),
      status: 403,
      code: "AccessDenied",
      message: "Access Denied",
    });
    const outcomes = await writer().write([makeEvent({ service: "secret" }), makeEvent({ service: "open" })]);
    expect(outcomes[0]).toEqual({
      status: "rejected",
      code: "s3_AccessDenied",
      reason: expect.stringContaining("Access Denied"),
    });
    expect(outcomes[1]).toEqual({ status: "accepted" });
  });

  it("rejects every event when the bucket does not exist", async () => {
    const config = LakeConfigSchema.parse({ bucket: "no-such-bucket" });
    const w = createS3LakeWriter(config, { client, metrics: new MetricsRegistry() });
    const outcomes = await w.write([makeEvent(), makeEvent({ service: "other" })]);
    expect(outcomes).toEqual([
      expect.objectContaining({ status: "rejected", code: "s3_NoSuchBucket" }),
      expect.objectContaining({ status: "rejected", code: "s3_NoSuchBucket" }),
    ]);
  });

  it("answers retryable when S3 cannot be reached at all", async () => {
    const config = LakeConfigSchema.parse({ bucket, endpoint: "http://127.0.0.1:1", force_path_style: true });
    // The writer builds its own client from the config; credentials come from the environment.
    vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
    vi.stubEnv("AWS_REGION", "us-east-1");
    const w = createS3LakeWriter(config, { metrics: new MetricsRegistry() });
    const [outcome] = await w.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable" });
    await w.shutdown();
  });

  it("finds an S3-compatible endpoint through AWS_ENDPOINT_URL_S3 when the config names none", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", s3.endpoint);
    vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
    vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
    vi.stubEnv("AWS_REGION", "us-east-1");
    const w = createS3LakeWriter(LakeConfigSchema.parse({ bucket, force_path_style: true }), {
      metrics: new MetricsRegistry(),
    });
    expect(await w.write([makeEvent()])).toEqual([{ status: "accepted" }]);
    await w.shutdown();
    expect(await listKeys(client, bucket)).toHaveLength(1);
  });

  it("rejects an event without a usable timestamp and writes the rest", async () => {
    const outcomes = await writer().write([makeEvent(), makeEvent({ "@timestamp": "garbage" })]);
    expect(outcomes[0]).toEqual({ status: "accepted" });
    expect(outcomes[1]).toMatchObject({ status: "rejected", code: "invalid_timestamp" });
    expect(await readLakeObject(client, bucket, (await listKeys(client, bucket))[0]!)).toHaveLength(1);
  });

  it("rejects a partition whose key would pass S3's 1024-byte limit", async () => {
    const [outcome] = await writer({ prefix: "é".repeat(500) }).write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "rejected", code: "key_too_long" });
    expect(await listKeys(client, bucket)).toEqual([]);
  });

  it("runs at most max_parallel_puts puts at once", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== "PutObjectCommand") return next(args);
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          await new Promise((resolve) => setTimeout(resolve, 20));
          return await next(args);
        } finally {
          inFlight--;
        }
      },
      { step: "initialize" },
    );
    const batch = ["a", "b", "c", "d", "e", "f"].map((service) => makeEvent({ service }));
    const outcomes = await writer({ max_parallel_puts: 2 }).write(batch);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    expect(await listKeys(client, bucket)).toHaveLength(6);
  });

  it("asks for the configured server-side encryption on every put", async () => {
    const inputs = recordInputs(client, "PutObjectCommand");
    await writer({ sse: "aws:kms", kms_key_id: "alias/logs" }).write([makeEvent()]);
    expect(inputs[0]).toMatchObject({
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: "alias/logs",
    } satisfies Partial<PutObjectCommandInput>);
  });

  it("leaves encryption to the bucket when sse is none", async () => {
    const inputs = recordInputs(client, "PutObjectCommand");
    await writer().write([makeEvent()]);
    expect(inputs[0]).not.toHaveProperty("ServerSideEncryption");
  });

  it("answers retryable without putting when the signal is already aborted", async () => {
    const controller = new AbortController();
    controller.abort();
    const outcomes = await writer().write([makeEvent()], controller.signal);
    expect(outcomes[0]).toMatchObject({ status: "retryable" });
    expect(await listKeys(client, bucket)).toEqual([]);
  });

  it("counts written, rejected and retryable events", async () => {
    const metrics = new MetricsRegistry();
    injectS3Fault(client, {
      when: (command, input) => command === "PutObjectCommand" && String(input.Key).includes("service=slow/"),
      status: 503,
      code: "SlowDown",
    });
    await writer({}, metrics).write([
      makeEvent(),
      makeEvent(),
      makeEvent({ service: "slow" }),
      makeEvent({ "@timestamp": "bad" }),
    ]);
    expect(metrics.counter("logpipe_lake_events_written_total", "").get()).toBe(2);
    expect(metrics.counter("logpipe_lake_objects_written_total", "").get()).toBe(1);
    expect(metrics.counter("logpipe_lake_events_retryable_total", "").get({ kind: "throttled" })).toBe(1);
    expect(metrics.counter("logpipe_lake_events_rejected_total", "").get({ code: "invalid_timestamp" })).toBe(
      1,
    );
    expect(metrics.counter("logpipe_lake_put_failures_total", "").get({ code: "SlowDown" })).toBe(1);
  });

  it("answers an empty batch with no outcomes and no puts", async () => {
    expect(await writer().write([])).toEqual([]);
    expect(await listKeys(client, bucket)).toEqual([]);
  });

  it("shuts down idempotently, without start, and answers later writes retryable", async () => {
    const w = writer();
    await w.shutdown();
    await w.shutdown();
    expect(await w.write([makeEvent()])).toEqual([
      { status: "retryable", reason: "lake writer is shut down" },
    ]);
  });

  it("waits for a write in flight before shutdown resolves", async () => {
    const w = writer();
    const pending = w.write([makeEvent()]);
    await w.shutdown();
    expect(await pending).toEqual([{ status: "accepted" }]);
    expect(await listKeys(client, bucket)).toHaveLength(1);
  });
});
