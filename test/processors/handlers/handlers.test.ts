import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createCloudWatchSubscriptionHandler,
  createFirehoseTransformHandler,
  type FirehoseTransformationEvent,
} from "../../../processors/handlers/index.js";
import { readFixture } from "../../fixtures/aws/encode.js";
import { FakeFirehose } from "../../support/fake-firehose.js";
import { FakeOpenSearch, ITEM_FAULTS } from "../../support/fake-opensearch.js";
import { S3RVER_CREDENTIALS, type S3rverHandle, startS3rver } from "../../support/s3rver.js";
import { lambdaContext } from "./support.js";

/**
 * The handlers as Lambda runs them: configuration from environment variables, the real AWS SDK
 * and OpenSearch clients built by the default wiring, talking over HTTP to s3rver, the OpenSearch
 * fake and the Firehose fake. The S3 and Firehose endpoints come from the SDK's own
 * `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL_FIREHOSE` variables, which the handlers must leave
 * to the SDK.
 */

const SDK_ENV = [
  "AWS_ENDPOINT_URL_S3",
  "AWS_ENDPOINT_URL_FIREHOSE",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_REGION",
];
const saved = new Map(SDK_ENV.map((name) => [name, process.env[name]]));

let s3: S3rverHandle;
let client: S3Client;
let opensearch: FakeOpenSearch;
let firehose: FakeFirehose;

beforeAll(async () => {
  [s3, opensearch, firehose] = await Promise.all([
    startS3rver(["logpipe-lake", "logpipe-dead-letters"]),
    FakeOpenSearch.start(),
    FakeFirehose.start({ streams: ["logpipe-logs"] }),
  ]);
  client = s3.client();
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  process.env.AWS_ENDPOINT_URL_FIREHOSE = firehose.endpoint;
  process.env.AWS_ACCESS_KEY_ID = S3RVER_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = S3RVER_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = "eu-west-1";
});

afterAll(async () => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  await Promise.all([s3?.close(), opensearch?.close(), firehose?.close()]);
});

const ENV = {
  DLQ_BUCKET: "logpipe-dead-letters",
  LAKE_BUCKET: "logpipe-lake",
  LOGPIPE_S3_FORCE_PATH_STYLE: "true",
  OPENSEARCH_AUTH: "none",
  AWS_REGION: "eu-west-1",
};

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

async function ndjson(bucket: string, key: string): Promise<Record<string, unknown>[]> {
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = gunzipSync(Buffer.from(await object.Body!.transformToByteArray())).toString("utf8");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("CloudWatch Logs subscription handler", () => {
  it("writes a subscription payload to OpenSearch and the lake, and dead-letters a mapping error", async () => {
    const handler = createCloudWatchSubscriptionHandler({
      env: { ...ENV, OPENSEARCH_ENDPOINT: opensearch.endpoint },
      log: () => {},
    });
    opensearch.failItem("01KBQ0M5T8F4ZK2Y7W1N9C3D6E", ITEM_FAULTS.mapping);
    const summary = await handler(
      readFixture("cloudwatch-data-message.json"),
      lambdaContext(60_000, "req-e2e"),
    );

    expect(summary.sinks).toEqual({
      opensearch: { accepted: 3, rejected: 1, leftover: 0, attempts: 1 },
      s3_lake: { accepted: 4, rejected: 0, leftover: 0, attempts: 1 },
    });
    expect(opensearch.docIds()).toHaveLength(3);
    const lakeKeys = await keys("logpipe-lake", "logs/");
    expect(lakeKeys.some((k) => k.startsWith("logs/service=checkout-api/dt=2025-12-05/hour=18/"))).toBe(true);

    const dead = await keys("logpipe-dead-letters", "dead-letter/opensearch/");
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/^dead-letter\/opensearch\/\d{4}\/\d{2}\/\d{2}\/req-e2e-0\.json\.gz$/);
    const [entry] = await ndjson("logpipe-dead-letters", dead[0]!);
    expect(entry).toMatchObject({
      output: "opensearch",
      code: "mapping_error",
      event: { id: "01KBQ0M5T8F4ZK2Y7W1N9C3D6E", service: "checkout" },
    });
    expect(String(entry!.reason)).toContain("mapper_parsing_exception");
  });

  it("retries the items OpenSearch throttled and writes each event once", async () => {
    const handler = createCloudWatchSubscriptionHandler({
      env: { ...ENV, OPENSEARCH_ENDPOINT: opensearch.endpoint, LAKE_BUCKET: undefined },
      log: () => {},
    });
    const before = opensearch.bulkRequests().length;
    opensearch.failItem("01KBQ0M5T8F4ZK2Y7W1N9C3D6E", ITEM_FAULTS.throttled);
    const summary = await handler(
      readFixture("cloudwatch-data-message.json"),
      lambdaContext(60_000, "req-429"),
    );
    expect(summary.sinks.opensearch).toMatchObject({ accepted: 4, leftover: 0, attempts: 2 });
    expect(opensearch.bulkIds().slice(before)[1]).toEqual(["01KBQ0M5T8F4ZK2Y7W1N9C3D6E"]);
  });
});

describe("Firehose transformation handler", () => {
  it("answers the records and puts mixed partitions back through the stream named by the event", async () => {
    const handler = createFirehoseTransformHandler({ env: ENV, log: () => {} });
    const event = readFixture<FirehoseTransformationEvent>("firehose-packed.json");
    const response = await handler(
      { ...event, records: [event.records[1]!] },
      lambdaContext(60_000, "req-fh"),
    );
    expect(response.records.map((r) => r.result)).toEqual(["Ok"]);
    expect(firehose.eventIds("logpipe-logs")).toEqual([
      "01KBQ0R1A1B2C3D4E5F6G7H8K2",
      "01KBQ0R1A1B2C3D4E5F6G7H8K3",
    ]);
  });
});
