import { FirehoseClient } from "@aws-sdk/client-firehose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createFirehoseTransformer,
  DeadLetterFailedError,
  type FirehoseTransformationEvent,
  type FirehoseTransformDeps,
  planReingestCalls,
  ReingestError,
  reingestRecords,
  streamNameFromArn,
} from "../../../processors/handlers/index.js";
import { createTransformer, type Transform } from "../../../processors/transforms/index.js";
import { firehoseEvent, packLines, readFixture } from "../../fixtures/aws/encode.js";
import { FakeFirehose } from "../../support/fake-firehose.js";
import { MemoryDeadLetters, VirtualClock } from "./support.js";

const STREAM = "logpipe-logs";
const PACKED = readFixture<FirehoseTransformationEvent>("firehose-packed.json");
const MIXED: FirehoseTransformationEvent = { ...PACKED, records: [PACKED.records[1]!] };
const INVOCATION = { remainingMs: 60_000, requestId: "inv-1" };

let fake: FakeFirehose;
let client: FirehoseClient;

beforeAll(async () => {
  fake = await FakeFirehose.start({ streams: [STREAM] });
  client = new FirehoseClient({
    endpoint: fake.endpoint,
    region: "eu-west-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  fake.streams.set(STREAM, []);
  fake.calls.length = 0;
});

function setup(overrides: Partial<FirehoseTransformDeps> = {}) {
  const deadLetter = new MemoryDeadLetters();
  const clock = new VirtualClock();
  const transformer = createFirehoseTransformer({
    transform: createTransformer({}),
    deadLetter,
    reingest: (stream, _region, records, timing) => reingestRecords(client, stream, records, timing),
    partitionKeys: true,
    clock,
    random: () => 0.5,
    ...overrides,
  });
  return { transformer, deadLetter, clock };
}

const poisoned: Transform = (input, context) =>
  String(input.record.message).includes("POISON")
    ? { ok: false, code: "transform_error", reason: "transform failed: boom", intentional: false }
    : createTransformer({})(input, context);

describe("putting records back", () => {
  it("puts the other partitions of a mixed record back into the delivery stream named by the event", async () => {
    const { transformer } = setup();
    const response = await transformer(MIXED, INVOCATION);
    expect(response.records[0]!.result).toBe("Ok");
    expect(fake.eventIds(STREAM)).toEqual(["01KBQ0R1A1B2C3D4E5F6G7H8K2", "01KBQ0R1A1B2C3D4E5F6G7H8K3"]);
  });

  it("resends only the records Firehose answered with an error", async () => {
    const { transformer } = setup();
    fake.failRecords([0]);
    await transformer(MIXED, INVOCATION);
    const calls = fake.callsOf("PutRecordBatch");
    expect(calls.map((c) => c.records.length)).toEqual([2, 1]);
    expect(fake.eventIds(STREAM).sort()).toEqual([
      "01KBQ0R1A1B2C3D4E5F6G7H8K2",
      "01KBQ0R1A1B2C3D4E5F6G7H8K3",
    ]);
  });

  it("fails the invocation when the stream keeps refusing past the deadline", async () => {
    const { transformer } = setup();
    fake.throttleNext(1_000);
    const error = await transformer(MIXED, { remainingMs: 20_000, requestId: "r" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReingestError);
    expect((error as ReingestError).message).toMatch(/could not be put back/);
  });

  it("answers ProcessingFailed instead when no re-ingestion is wired", async () => {
    const { transformer } = setup({ reingest: undefined, limits: { maxResponseBytes: 200 } });
    const response = await transformer(MIXED, INVOCATION);
    expect(response.records[0]!.result).toBe("ProcessingFailed");
    expect(fake.calls).toEqual([]);
  });

  it("puts nothing back when the event's stream ARN names no delivery stream", async () => {
    const { transformer } = setup();
    const response = await transformer({ ...MIXED, deliveryStreamArn: "not-an-arn" }, INVOCATION);
    expect(lines(response.records[0]!.data)).toBe(4);
    expect(fake.calls).toEqual([]);
  });
});

function lines(data: string): number {
  return Buffer.from(data, "base64")
    .toString("utf8")
    .split("\n")
    .filter((l) => l !== "").length;
}

describe("dead letters", () => {
  it("stores the lines the transforms could not use, under the invocation's request id", async () => {
    const { transformer, deadLetter } = setup({ transform: poisoned });
    const event = firehoseEvent([{ data: `${packLines([{ id: "a", message: "ok" }])}POISON\n` }]);
    const response = await transformer(event, INVOCATION);
    expect(response.records[0]!.result).toBe("Ok");
    expect(deadLetter.entries).toEqual([
      expect.objectContaining({ code: "transform_error", output: "firehose_transform" }),
    ]);
    expect(deadLetter.contexts[0]!.requestId).toBe("inv-1");
  });

  it("fails the invocation when dead letters cannot be stored", async () => {
    const { transformer, deadLetter } = setup({ transform: poisoned });
    deadLetter.failures = { retryable: false, times: 1 };
    const event = firehoseEvent([{ data: `${packLines([{ id: "a", message: "ok" }])}POISON\n` }]);
    await expect(transformer(event, INVOCATION)).rejects.toBeInstanceOf(DeadLetterFailedError);
  });
});

describe("streamNameFromArn", () => {
  it("reads the stream name of a delivery stream ARN", () => {
    expect(
      streamNameFromArn("arn:aws:firehose:us-east-2:123456789012:deliverystream/delivery-stream-name"),
    ).toBe("delivery-stream-name");
  });

  it("refuses an ARN of another service", () => {
    expect(streamNameFromArn("arn:aws:kinesis:us-east-1:123456789012:stream/kinesis-source")).toBeUndefined();
  });
});

describe("planReingestCalls", () => {
  it("cuts calls at 500 records", () => {
    const records = Array.from({ length: 1_001 }, () => Buffer.from("x"));
    expect(planReingestCalls(records).map((c) => c.length)).toEqual([500, 500, 1]);
  });

  it("cuts calls at 4 MiB of data", () => {
    const records = Array.from({ length: 5 }, () => Buffer.alloc(1000 * 1024));
    expect(planReingestCalls(records).map((c) => c.length)).toEqual([4, 1]);
  });
});
