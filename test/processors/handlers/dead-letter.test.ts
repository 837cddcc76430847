import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createS3DeadLetterWriter,
  type DeadLetterEntry,
  DeadLetterWriteError,
  deadLetterBodies,
  deadLetterKey,
  deadLetterLine,
} from "../../../processors/handlers/index.js";
import { injectS3Fault, type S3rverHandle, startS3rver } from "../../support/s3rver.js";
import { T0 } from "./support.js";

function entry(id: string, output = "opensearch"): DeadLetterEntry {
  return {
    output,
    code: "mapping_error",
    reason: "failed to parse field [http.status]",
    time: "2025-12-05T18:00:00.000Z",
    event: { id, message: `event ${id}` },
  };
}

describe("deadLetterKey", () => {
  it("places the object by output and UTC date, named by request id and sequence", () => {
    expect(deadLetterKey("dead-letter/", "opensearch", T0, "8c6f2d3a-1b4e", 2)).toBe(
      "dead-letter/opensearch/2025/12/05/8c6f2d3a-1b4e-2.json.gz",
    );
  });

  it("cleans characters that do not belong in a key", () => {
    expect(deadLetterKey("", "a/b", T0, "../x y", 0)).toBe("a_b/2025/12/05/.._x_y-0.json.gz");
  });
});

describe("deadLetterLine", () => {
  it("writes the documented keys in order", () => {
    expect(Object.keys(JSON.parse(deadLetterLine(entry("a"))))).toEqual([
      "output",
      "code",
      "reason",
      "time",
      "event",
    ]);
  });

  it("still writes a line for an event JSON cannot encode", () => {
    const line = JSON.parse(deadLetterLine({ ...entry("a"), event: { n: 10n } }));
    expect(line.event.unserialisable).toMatch(/BigInt/);
  });
});

describe("deadLetterBodies", () => {
  it("groups entries by output", () => {
    const bodies = deadLetterBodies([entry("a"), entry("b", "s3_lake"), entry("c")]);
    expect(bodies.map((b) => [b.output, b.count])).toEqual([
      ["opensearch", 2],
      ["s3_lake", 1],
    ]);
  });

  it("cuts an output's entries into bodies of at most the byte cap", () => {
    const one = Buffer.byteLength(deadLetterLine(entry("a")));
    const bodies = deadLetterBodies([entry("a"), entry("b"), entry("c")], one * 2);
    expect(bodies.map((b) => b.count)).toEqual([2, 1]);
  });
});

describe("S3DeadLetterWriter", () => {
  let s3: S3rverHandle;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startS3rver(["dlq"]);
    client = s3.client();
  });
  afterAll(async () => {
    await s3?.close();
  });

  async function read(key: string): Promise<unknown[]> {
    const object = await client.send(new GetObjectCommand({ Bucket: "dlq", Key: key }));
    return gunzipSync(Buffer.from(await object.Body!.transformToByteArray()))
      .toString("utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l));
  }

  async function list(prefix: string): Promise<string[]> {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: "dlq", Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  }

  it("writes gzip NDJSON objects under the documented key", async () => {
    const writer = createS3DeadLetterWriter({ bucket: "dlq", prefix: "one/", client, now: () => T0 });
    await writer.write([entry("a"), entry("b")], { requestId: "req-1" });
    expect(await list("one/")).toEqual(["one/opensearch/2025/12/05/req-1-0.json.gz"]);
    expect(await read("one/opensearch/2025/12/05/req-1-0.json.gz")).toEqual([
      { ...entry("a") },
      { ...entry("b") },
    ]);
  });

  it("numbers the objects of one request in sequence", async () => {
    const writer = createS3DeadLetterWriter({ bucket: "dlq", prefix: "two/", client, now: () => T0 });
    await writer.write([entry("a")], { requestId: "req-2" });
    await writer.write([entry("b", "s3_lake")], { requestId: "req-2" });
    await writer.write([entry("c")], { requestId: "req-2" });
    expect(await list("two/")).toEqual([
      "two/opensearch/2025/12/05/req-2-0.json.gz",
      "two/opensearch/2025/12/05/req-2-2.json.gz",
      "two/s3_lake/2025/12/05/req-2-1.json.gz",
    ]);
  });

  it("moves to the next number when the key is taken by an earlier attempt of the request", async () => {
    const writer = createS3DeadLetterWriter({ bucket: "dlq", prefix: "three/", client, now: () => T0 });
    let first = true;
    const remove = injectS3Fault(client, {
      when: (name) => {
        if (name !== "PutObjectCommand" || !first) return false;
        first = false;
        return true;
      },
      status: 412,
      code: "PreconditionFailed",
    });
    try {
      await writer.write([entry("a")], { requestId: "req-3" });
    } finally {
      remove();
    }
    expect(await list("three/")).toEqual(["three/opensearch/2025/12/05/req-3-1.json.gz"]);
  });

  it("reports throttling as retryable", async () => {
    const writer = createS3DeadLetterWriter({ bucket: "dlq", prefix: "four/", client });
    const remove = injectS3Fault(client, { when: () => true, status: 503, code: "SlowDown" });
    const error = await writer.write([entry("a")], { requestId: "r" }).catch((e: unknown) => e);
    remove();
    expect(error).toBeInstanceOf(DeadLetterWriteError);
    expect(error).toMatchObject({ retryable: true, throttled: true });
  });

  it("reports a refused bucket as not retryable, with S3's code", async () => {
    const writer = createS3DeadLetterWriter({ bucket: "dlq", prefix: "five/", client });
    const remove = injectS3Fault(client, { when: () => true, status: 403, code: "AccessDenied" });
    const error = await writer.write([entry("a")], { requestId: "r" }).catch((e: unknown) => e);
    remove();
    expect(error).toMatchObject({ retryable: false, code: "s3_AccessDenied" });
  });
});
