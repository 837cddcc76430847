import { randomBytes } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { LogEvent } from "../../../core/event/schema.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import { type CompactLakeOptions, compactLake } from "../../../stores/lake/compaction.js";
import { LakeConfigSchema } from "../../../stores/lake/config.js";
import { createS3LakeWriter } from "../../../stores/lake/writer.js";
import { injectS3Fault, type S3rverHandle, startS3rver } from "../../support/s3rver.js";
import { makeEvent } from "./events.js";
import { getBytes, listKeys, readLakeObject } from "./s3-helpers.js";

const NOW = Date.parse("2026-01-05T12:30:00.000Z");
const CLOSED = "2026-01-05T10"; // ended 90 minutes before NOW
const OPEN = "2026-01-05T12"; // the current hour
const MiB = 1024 * 1024;

let s3: S3rverHandle;
let client: S3Client;
let bucket: string;
let bucketCounter = 0;

beforeAll(async () => {
  s3 = await startS3rver([]);
});

afterAll(async () => {
  await s3.close();
});

beforeEach(async () => {
  // A bucket of its own per test, so listings see only that test's objects.
  bucket = `lake-${bucketCounter++}`;
  client = s3.client();
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
});

function at(hour: string, minute: number): string {
  return `${hour}:${String(minute).padStart(2, "0")}:00.000Z`;
}

/** Writes each batch as the writer does: one object per partition per batch. */
async function writeBatches(batches: LogEvent[][], prefix = ""): Promise<void> {
  const writer = createS3LakeWriter(LakeConfigSchema.parse({ bucket, prefix }), {
    client,
    metrics: new MetricsRegistry(),
  });
  for (const batch of batches) {
    const outcomes = await writer.write(batch);
    expect(outcomes.every((o) => o.status === "accepted")).toBe(true);
  }
}

function compact(overrides: Partial<CompactLakeOptions> = {}) {
  return compactLake(client, {
    bucket,
    prefix: "",
    now: NOW,
    minObjects: 3,
    targetBytes: 8 * MiB,
    settleMinutes: 15,
    ...overrides,
  });
}

async function partitionKeys(hour: string, service = "checkout", prefix = ""): Promise<string[]> {
  const [dt, hh] = hour.split("T") as [string, string];
  return listKeys(client, bucket, `${prefix}logs/service=${service}/dt=${dt}/hour=${hh}/`);
}

/** Every event id found in the partition's objects, with repeats. */
async function idsIn(hour: string, service = "checkout"): Promise<string[]> {
  const ids: string[] = [];
  for (const key of await partitionKeys(hour, service)) {
    for (const event of await readLakeObject(client, bucket, key)) ids.push(event.id as string);
  }
  return ids.sort();
}

async function putRaw(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

function smallBatches(hour: string, objects: number, perObject: number): LogEvent[][] {
  return Array.from({ length: objects }, (_, i) =>
    Array.from({ length: perObject }, (_, j) =>
      makeEvent({ "@timestamp": at(hour, (i * perObject + j) % 60) }),
    ),
  );
}

describe("compactLake against s3rver", () => {
  it("merges the small objects of a closed hour into one, every id exactly once", async () => {
    const batches = smallBatches(CLOSED, 8, 5);
    await writeBatches(batches);
    expect(await partitionKeys(CLOSED)).toHaveLength(8);

    const summary = await compact();

    const keys = await partitionKeys(CLOSED);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatch(/\/compacted-[0-9A-Z]{26}\.json\.gz$/);
    expect(await idsIn(CLOSED)).toEqual(
      batches
        .flat()
        .map((e) => e.id)
        .sort(),
    );
    expect(summary).toMatchObject({
      partitions: 1,
      objectsIn: 8,
      objectsOut: 1,
      events: 40,
      duplicatesRemoved: 0,
      failures: [],
    });
  });

  it("keeps every event's content and the write order", async () => {
    const batches = smallBatches(CLOSED, 3, 2);
    await writeBatches(batches);
    await compact();
    const [key] = await partitionKeys(CLOSED);
    expect(await readLakeObject(client, bucket, key!)).toEqual(batches.flat());
  });

  it("removes events delivered twice, keeping one of each id", async () => {
    const batches = smallBatches(CLOSED, 4, 5);
    await writeBatches([...batches, ...batches.slice(0, 2)]);
    const summary = await compact();
    expect(await idsIn(CLOSED)).toEqual(
      batches
        .flat()
        .map((e) => e.id)
        .sort(),
    );
    expect(summary.duplicatesRemoved).toBe(10);
  });

  it("leaves the current hour and an hour still settling untouched", async () => {
    await writeBatches([...smallBatches(OPEN, 5, 2), ...smallBatches("2026-01-05T11", 5, 2)]);
    const before = [...(await partitionKeys(OPEN)), ...(await partitionKeys("2026-01-05T11"))];
    const summary = await compact({ settleMinutes: 31 });
    expect([...(await partitionKeys(OPEN)), ...(await partitionKeys("2026-01-05T11"))]).toEqual(before);
    expect(summary.partitions).toBe(0);
  });

  it("leaves an hour with fewer small objects than the minimum untouched", async () => {
    await writeBatches(smallBatches(CLOSED, 2, 3));
    const before = await partitionKeys(CLOSED);
    expect((await compact()).partitions).toBe(0);
    expect(await partitionKeys(CLOSED)).toEqual(before);
  });

  it("compacts each service's hour separately", async () => {
    const a = smallBatches(CLOSED, 3, 2);
    const b = smallBatches(CLOSED, 3, 2).map((batch) => batch.map((e) => ({ ...e, service: "billing" })));
    await writeBatches([...a, ...b]);
    const summary = await compact();
    expect(summary.partitions).toBe(2);
    expect(await idsIn(CLOSED, "checkout")).toEqual(
      a
        .flat()
        .map((e) => e.id)
        .sort(),
    );
    expect(await idsIn(CLOSED, "billing")).toEqual(
      b
        .flat()
        .map((e) => e.id)
        .sort(),
    );
  });

  it("finds partitions across listing pages", async () => {
    const hours = ["2026-01-05T07", "2026-01-05T08", "2026-01-05T09"];
    const batches = hours.flatMap((h) => smallBatches(h, 3, 1));
    await writeBatches(batches);
    const summary = await compact({ listPageSize: 2 });
    expect(summary.partitions).toBe(3);
    for (const h of hours) expect(await partitionKeys(h)).toHaveLength(1);
  });

  it("does nothing more on a second pass", async () => {
    await writeBatches(smallBatches(CLOSED, 5, 2));
    await compact();
    const after = await partitionKeys(CLOSED);
    expect((await compact()).partitions).toBe(0);
    expect(await partitionKeys(CLOSED)).toEqual(after);
  });

  it("works under a prefix and leaves other keys in the partition alone", async () => {
    await writeBatches(smallBatches(CLOSED, 3, 2), "prod/");
    const note = "prod/logs/service=checkout/dt=2026-01-05/hour=10/notes.txt";
    await putRaw(note, Buffer.from("keep me"));
    await compact({ prefix: "prod" });
    const keys = await partitionKeys(CLOSED, "checkout", "prod/");
    expect(keys).toContain(note);
    expect(keys.filter((k) => k.endsWith(".json.gz"))).toHaveLength(1);
  });

  it("splits merged output into objects no larger than the target", async () => {
    // Random messages barely compress, so 600 KiB of them cannot fit one 256 KiB object.
    const batches = Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 50 }, (_, j) =>
        makeEvent({ "@timestamp": at(CLOSED, j), message: randomBytes(1500).toString("base64") + String(i) }),
      ),
    );
    await writeBatches(batches);
    const target = 256 * 1024;
    const summary = await compact({ targetBytes: target, minObjects: 2 });
    const keys = await partitionKeys(CLOSED);
    expect(keys.length).toBeGreaterThan(1);
    expect(summary.objectsOut).toBe(keys.length);
    for (const key of keys) expect((await getBytes(client, bucket, key)).length).toBeLessThanOrEqual(target);
    expect(await idsIn(CLOSED)).toEqual(
      batches
        .flat()
        .map((e) => e.id)
        .sort(),
    );
  });

  it("keeps malformed lines in a dead-letter object with the reason, and merges the rest", async () => {
    const good = smallBatches(CLOSED, 3, 2);
    await writeBatches(good);
    const lines = [
      '{"id":"ok-1","@timestamp":"2026-01-05T10:00:00.000Z","service":"checkout"}',
      "{not json",
      '{"message":"no id"}',
    ];
    await putRaw(
      "logs/service=checkout/dt=2026-01-05/hour=10/01JZZZZZZZZZZZZZZZZZZZZZZZ.json.gz",
      gzipSync(`${lines.join("\n")}\n`),
    );

    const summary = await compact();

    expect(summary.malformedLines).toBe(2);
    expect(await idsIn(CLOSED)).toEqual([...good.flat().map((e) => e.id), "ok-1"].sort());
    const deadKeys = await listKeys(
      client,
      bucket,
      "dead-letter/compaction/service=checkout/dt=2026-01-05/hour=10/",
    );
    expect(deadKeys).toHaveLength(1);
    const dead = await readLakeObject(client, bucket, deadKeys[0]!);
    expect(dead).toEqual([
      expect.objectContaining({ raw: "{not json", reason: expect.stringContaining("not JSON"), line: 2 }),
      expect.objectContaining({ raw: '{"message":"no id"}', reason: "no string id", line: 3 }),
    ]);
    expect(dead[0]!.source_key).toContain("01JZZZZZZZZZZZZZZZZZZZZZZZ.json.gz");
  });

  it("keeps a line that is not valid UTF-8 as base64 in the dead letters", async () => {
    await writeBatches(smallBatches(CLOSED, 2, 1));
    const body = Buffer.concat([
      Buffer.from('{"id":"x1","message":"'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('"}\n'),
    ]);
    await putRaw(
      "logs/service=checkout/dt=2026-01-05/hour=10/01JYYYYYYYYYYYYYYYYYYYYYYY.json.gz",
      gzipSync(body),
    );
    await compact();
    const [deadKey] = await listKeys(client, bucket, "dead-letter/");
    const [dead] = await readLakeObject(client, bucket, deadKey!);
    expect(Buffer.from(dead!.raw_base64 as string, "base64")).toEqual(body.subarray(0, -1));
  });

  it("copies an object that is not gzip, or is cut short, whole to the dead letters", async () => {
    await writeBatches(smallBatches(CLOSED, 2, 2));
    const plain = Buffer.from('{"id":"plain"}\n');
    const truncated = gzipSync(Buffer.from('{"id":"t1"}\n{"id":"t2"}\n'.repeat(50))).subarray(0, 40);
    await putRaw("logs/service=checkout/dt=2026-01-05/hour=10/01JAAAAAAAAAAAAAAAAAAAAAAA.json.gz", plain);
    await putRaw("logs/service=checkout/dt=2026-01-05/hour=10/01JBBBBBBBBBBBBBBBBBBBBBBB.json.gz", truncated);

    const summary = await compact();

    expect(summary.corruptObjects).toBe(2);
    const deadKeys = await listKeys(client, bucket, "dead-letter/");
    expect(deadKeys.map((k) => k.slice(k.lastIndexOf("-") + 1))).toEqual(
      expect.arrayContaining([
        "01JAAAAAAAAAAAAAAAAAAAAAAA.json.gz.corrupt",
        "01JBBBBBBBBBBBBBBBBBBBBBBB.json.gz.corrupt",
      ]),
    );
    const copies = await Promise.all(deadKeys.map((k) => getBytes(client, bucket, k)));
    expect(copies).toEqual(expect.arrayContaining([plain, truncated]));
    expect(await partitionKeys(CLOSED)).toHaveLength(1);
  });

  it("moves an object that inflates past the size cap to the dead letters instead of reading it", async () => {
    await writeBatches(smallBatches(CLOSED, 2, 1));
    const bomb = gzipSync(Buffer.alloc(1024 * 1024, 0x20));
    await putRaw("logs/service=checkout/dt=2026-01-05/hour=10/01JCCCCCCCCCCCCCCCCCCCCCCC.json.gz", bomb);
    const summary = await compact({ minObjects: 3, maxInputBytes: 64 * 1024 });
    expect(summary).toMatchObject({ corruptObjects: 1, events: 2, failures: [] });
    const [deadKey] = await listKeys(client, bucket, "dead-letter/");
    expect(await getBytes(client, bucket, deadKey!)).toEqual(bomb);
  });

  it("writes the merged objects before it deletes any input", async () => {
    const order: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        order.push(String(context.commandName));
        return next(args);
      },
      { step: "initialize" },
    );
    await writeBatches(smallBatches(CLOSED, 4, 2));
    order.length = 0;
    await compact();
    expect(order.filter((c) => c !== "ListObjectsCommand" && c !== "GetObjectCommand")).toEqual([
      "PutObjectCommand",
      "DeleteObjectsCommand",
    ]);
  });

  it("loses nothing when the delete fails after the merge, and the next pass removes the repeats", async () => {
    const batches = smallBatches(CLOSED, 5, 3);
    await writeBatches(batches);
    const expected = batches
      .flat()
      .map((e) => e.id)
      .sort();
    const remove = injectS3Fault(client, {
      when: (command) => command === "DeleteObjectsCommand",
      status: 500,
      code: "InternalError",
    });

    const failed = await compact();

    expect(failed.failures).toEqual([
      expect.objectContaining({ partition: "service=checkout/dt=2026-01-05/hour=10", code: "delete_failed" }),
    ]);
    const afterCrash = await idsIn(CLOSED);
    expect([...new Set(afterCrash)].sort()).toEqual(expected);
    expect(afterCrash).toHaveLength(expected.length * 2);

    remove();
    const retried = await compact();

    expect(retried.duplicatesRemoved).toBe(expected.length);
    expect(await idsIn(CLOSED)).toEqual(expected);
    expect(await partitionKeys(CLOSED)).toHaveLength(1);
  });

  it("deletes nothing when writing the merged object fails", async () => {
    await writeBatches(smallBatches(CLOSED, 3, 2));
    const before = await partitionKeys(CLOSED);
    injectS3Fault(client, {
      when: (command, input) => command === "PutObjectCommand" && String(input.Key).includes("/compacted-"),
      status: 503,
      code: "SlowDown",
    });
    const summary = await compact();
    expect(summary.failures).toEqual([expect.objectContaining({ code: "put_failed" })]);
    expect(await partitionKeys(CLOSED)).toEqual(before);
  });

  it("goes on with other partitions after one fails", async () => {
    await writeBatches([...smallBatches(CLOSED, 3, 1), ...smallBatches("2026-01-05T09", 3, 1)]);
    injectS3Fault(client, {
      when: (command, input) => command === "PutObjectCommand" && String(input.Key).includes("/hour=09/"),
      status: 500,
      code: "InternalError",
    });
    const summary = await compact();
    expect(summary.partitions).toBe(1);
    expect(summary.failures).toHaveLength(1);
    expect(await partitionKeys(CLOSED)).toHaveLength(1);
    expect(await partitionKeys("2026-01-05T09")).toHaveLength(3);
  });

  it("changes nothing in a dry run but reports what a run would do", async () => {
    await writeBatches([...smallBatches(CLOSED, 4, 3), ...smallBatches(CLOSED, 1, 3)]);
    const before = await listKeys(client, bucket);
    const summary = await compact({ dryRun: true });
    expect(await listKeys(client, bucket)).toEqual(before);
    expect(summary).toMatchObject({ dryRun: true, partitions: 1, objectsIn: 5, objectsOut: 1, events: 15 });
  });

  it("rejects when aborted, leaving the inputs in place", async () => {
    await writeBatches(smallBatches(CLOSED, 3, 2));
    const before = await partitionKeys(CLOSED);
    const controller = new AbortController();
    controller.abort(new Error("stop now"));
    await expect(compact({ signal: controller.signal })).rejects.toThrow("stop now");
    expect(await partitionKeys(CLOSED)).toEqual(before);
  });

  it("skips an input that vanished between the listing and the read", async () => {
    const batches = smallBatches(CLOSED, 4, 2);
    await writeBatches(batches);
    const [gone] = await partitionKeys(CLOSED);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { Key?: string };
        if (context.commandName === "GetObjectCommand" && input.Key === gone) {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: gone }));
        }
        return next(args);
      },
      { step: "initialize" },
    );
    const summary = await compact();
    expect(summary).toMatchObject({ partitions: 1, objectsIn: 3, events: 6, failures: [] });
    expect(await idsIn(CLOSED)).toEqual(
      batches
        .slice(1)
        .flat()
        .map((e) => e.id)
        .sort(),
    );
  });

  it("counts its work in the metrics", async () => {
    await writeBatches(smallBatches(CLOSED, 3, 2));
    const metrics = new MetricsRegistry();
    await compact({ metrics });
    expect(metrics.counter("logpipe_lake_compaction_objects_in_total", "").get()).toBe(3);
    expect(metrics.counter("logpipe_lake_compaction_objects_out_total", "").get()).toBe(1);
  });

  it("gunzips merged objects to NDJSON with a final newline", async () => {
    await writeBatches(smallBatches(CLOSED, 3, 1));
    await compact();
    const [key] = await partitionKeys(CLOSED);
    const text = gunzipSync(await getBytes(client, bucket, key!)).toString("utf8");
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")).toHaveLength(4);
  });
});
