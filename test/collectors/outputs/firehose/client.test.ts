import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  createFirehoseClient,
  FirehoseApi,
  putRecordBatchBody,
} from "../../../../collectors/outputs/firehose/client.js";
import { FirehoseOutputConfigSchema } from "../../../../collectors/outputs/firehose/config.js";
import { createFirehoseOutput } from "../../../../collectors/outputs/firehose/sink.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import { isolateAwsEnvironment } from "../../../support/aws-output.js";
import { FakeFirehose } from "../../../support/fake-firehose.js";
import { instantClock, makeEvent, sdkClient } from "./helpers.js";

describe("createFirehoseClient", () => {
  let fake: FakeFirehose;
  isolateAwsEnvironment(["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_FIREHOSE"]);

  beforeEach(async () => {
    fake = await FakeFirehose.start();
  });

  afterEach(async () => {
    await fake.close();
  });

  function output(config: Record<string, unknown>) {
    const parsed = FirehoseOutputConfigSchema.parse({
      delivery_stream: "logs",
      region: "us-east-1",
      retry: { max_attempts: 1 },
      ...config,
    });
    const client = createFirehoseClient(parsed);
    const sink = createFirehoseOutput(parsed, {
      client,
      metrics: new MetricsRegistry(),
      clock: instantClock(),
    });
    return { sink, client };
  }

  it("talks to the configured endpoint", async () => {
    const { sink, client } = output({ endpoint: fake.endpoint });
    const event = makeEvent();
    expect(await sink.write([event])).toEqual([{ status: "accepted" }]);
    expect(fake.eventIds()).toEqual([event.id]);
    client.destroy();
  });

  it("leaves retrying to the output: the SDK makes one attempt per call", async () => {
    const { sink, client } = output({ endpoint: fake.endpoint });
    fake.throttleNext(1);
    const [outcome] = await sink.write([makeEvent()]);
    expect(outcome).toMatchObject({ status: "retryable", throttled: true });
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    client.destroy();
  });

  it("honours AWS_ENDPOINT_URL_FIREHOSE when no endpoint is configured", async () => {
    process.env.AWS_ENDPOINT_URL_FIREHOSE = fake.endpoint;
    const { sink, client } = output({});
    expect(await sink.write([makeEvent()])).toEqual([{ status: "accepted" }]);
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    client.destroy();
  });

  it("honours AWS_ENDPOINT_URL when no endpoint is configured", async () => {
    process.env.AWS_ENDPOINT_URL = fake.endpoint;
    const { sink, client } = output({});
    expect(await sink.write([makeEvent()])).toEqual([{ status: "accepted" }]);
    expect(fake.callsOf("PutRecordBatch")).toHaveLength(1);
    client.destroy();
  });

  it("is built from the config when the output is given no client", async () => {
    const parsed = FirehoseOutputConfigSchema.parse({
      delivery_stream: "logs",
      region: "us-east-1",
      endpoint: fake.endpoint,
    });
    const sink = createFirehoseOutput(parsed, { metrics: new MetricsRegistry(), clock: instantClock() });
    expect(await sink.write([makeEvent()])).toEqual([{ status: "accepted" }]);
  });
});

describe("FirehoseApi", () => {
  let fake: FakeFirehose;
  beforeEach(async () => {
    fake = await FakeFirehose.start();
  });
  afterEach(async () => {
    await fake.close();
  });

  it("answers each record in request order", async () => {
    const client = sdkClient(fake);
    fake.failRecords([1], { code: "InternalFailure" });
    const answer = await new FirehoseApi(client).putRecordBatch("logs", [Buffer.from("a"), Buffer.from("b")]);
    expect(answer.failedPutCount).toBe(1);
    expect(answer.records).toEqual([
      { ok: true, recordId: expect.any(String) },
      { ok: false, errorCode: "InternalFailure", errorMessage: "Internal service failure." },
    ]);
    client.destroy();
  });

  it("does not count a record as stored when its entry has neither id nor error", async () => {
    const client = sdkClient(fake);
    fake.respondNext({ FailedPutCount: 0, Encrypted: false, RequestResponses: [{}] });
    const answer = await new FirehoseApi(client).putRecordBatch("logs", [Buffer.from("a")]);
    expect(answer.records).toEqual([expect.objectContaining({ ok: false, errorCode: "MissingRecordId" })]);
    client.destroy();
  });

  it("says nothing per record when the response list does not line up with the request", async () => {
    const client = sdkClient(fake);
    fake.respondNext({ FailedPutCount: 2, Encrypted: false, RequestResponses: [{ RecordId: "x" }] });
    const answer = await new FirehoseApi(client).putRecordBatch("logs", [Buffer.from("a"), Buffer.from("b")]);
    expect(answer).toEqual({ records: undefined, failedPutCount: 2 });
    client.destroy();
  });
});

describe("putRecordBatchBody", () => {
  it("is the JSON of the request with each record's bytes, and only those, in base64", () => {
    const backing = Buffer.from('xx{"a":1}\n{"b":"ü"}\nyy');
    const view = backing.subarray(2, backing.length - 2);
    const body = JSON.parse(
      putRecordBatchBody('st"réam', [view, Buffer.alloc(0), view]).toString("utf8"),
    ) as {
      DeliveryStreamName: string;
      Records: { Data: string }[];
    };
    expect(body.DeliveryStreamName).toBe('st"réam');
    expect(body.Records.map((r) => Buffer.from(r.Data, "base64").toString("utf8"))).toEqual([
      '{"a":1}\n{"b":"ü"}\n',
      "",
      '{"a":1}\n{"b":"ü"}\n',
    ]);
  });
});
