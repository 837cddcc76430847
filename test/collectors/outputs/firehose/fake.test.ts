import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
  PutRecordCommand,
} from "@aws-sdk/client-firehose";
import { afterEach, describe, expect, it } from "vitest";
import {
  FakeFirehose,
  MAX_RECORD_BYTES,
  MAX_RECORDS,
  MAX_REQUEST_BYTES,
} from "../../../support/fake-firehose.js";
import { sdkClient } from "./helpers.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(): Promise<{ fake: FakeFirehose; client: FirehoseClient }> {
  const fake = await FakeFirehose.start();
  const client = sdkClient(fake);
  cleanups.push(async () => {
    client.destroy();
    await fake.close();
  });
  return { fake, client };
}

const text = (s: string) => Buffer.from(s, "utf8");

function put(
  client: FirehoseClient,
  records: Uint8Array[],
  stream = "logs",
): Promise<PutRecordBatchCommandOutput> {
  return client.send(
    new PutRecordBatchCommand({ DeliveryStreamName: stream, Records: records.map((Data) => ({ Data })) }),
  );
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return {
      name: e.name,
      message: e.message,
      ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    };
  }
  throw new Error("expected the call to fail");
}

describe("fake Firehose, through the real SDK", () => {
  it("stores the decoded records of a PutRecordBatch and answers a record id for each", async () => {
    const { fake, client } = await setup();
    const answer = await put(client, [text('{"id":"a"}\n'), text('{"id":"b"}\n{"id":"c"}\n')]);
    expect(answer.FailedPutCount).toBe(0);
    expect(answer.Encrypted).toBe(false);
    expect(answer.RequestResponses).toHaveLength(2);
    for (const entry of answer.RequestResponses!) expect(entry.RecordId).toMatch(/^\S{20,}$/);
    expect(fake.records().map((r) => r.toString())).toEqual(['{"id":"a"}\n', '{"id":"b"}\n{"id":"c"}\n']);
    expect(fake.eventIds()).toEqual(["a", "b", "c"]);
  });

  it("receives the call as AWS JSON 1.1 with the Firehose target", async () => {
    const { fake, client } = await setup();
    await put(client, [text("x")]);
    expect(fake.calls).toEqual([
      expect.objectContaining({ operation: "PutRecordBatch", stream: "logs", status: 200, bytes: 1 }),
    ]);
  });

  it("accepts PutRecord for a single record", async () => {
    const { fake, client } = await setup();
    const answer = await client.send(
      new PutRecordCommand({ DeliveryStreamName: "logs", Record: { Data: text('{"id":"solo"}\n') } }),
    );
    expect(answer.RecordId).toBeTruthy();
    expect(fake.eventIds()).toEqual(["solo"]);
  });

  it("fails only the selected records and stores the rest", async () => {
    const { fake, client } = await setup();
    fake.failRecords([1]);
    fake.failRecords([0], { code: "InternalFailure" });
    const first = await put(client, [text("a\n"), text("b\n"), text("c\n")]);
    expect(first.FailedPutCount).toBe(1);
    expect(first.RequestResponses![1]).toEqual({
      ErrorCode: "ServiceUnavailableException",
      ErrorMessage: "Slow down.",
    });
    const second = await put(client, [text("d\n"), text("e\n")]);
    expect(second.RequestResponses![0]).toEqual({
      ErrorCode: "InternalFailure",
      ErrorMessage: "Internal service failure.",
    });
    expect(fake.records().map((r) => r.toString())).toEqual(["a\n", "c\n", "e\n"]);
  });

  it("refuses more than 500 records with ValidationException and stores none", async () => {
    const { fake, client } = await setup();
    const error = await errorOf(
      put(
        client,
        Array.from({ length: MAX_RECORDS + 1 }, () => text("x")),
      ),
    );
    expect(error.name).toBe("ValidationException");
    expect(fake.records()).toEqual([]);
  });

  it("refuses a record over 1,000 KiB with ValidationException", async () => {
    const { client } = await setup();
    const error = await errorOf(put(client, [Buffer.alloc(MAX_RECORD_BYTES + 1, 0x61)]));
    expect(error.name).toBe("ValidationException");
    expect(error.message).toContain("records.1.member.data");
  });

  it("accepts a record of exactly 1,000 KiB", async () => {
    const { fake, client } = await setup();
    const answer = await put(client, [Buffer.alloc(MAX_RECORD_BYTES, 0x61)]);
    expect(answer.FailedPutCount).toBe(0);
    expect(fake.records()[0]).toHaveLength(MAX_RECORD_BYTES);
  });

  it("refuses more than 4 MiB of record data with InvalidArgumentException", async () => {
    const { client } = await setup();
    const records = Array.from({ length: 5 }, () => Buffer.alloc(Math.ceil(MAX_REQUEST_BYTES / 5) + 1, 0x61));
    const error = await errorOf(put(client, records));
    expect(error.name).toBe("InvalidArgumentException");
  });

  it("refuses an empty record list with ValidationException", async () => {
    const { client } = await setup();
    expect((await errorOf(put(client, []))).name).toBe("ValidationException");
  });

  it("answers ResourceNotFoundException for a stream that does not exist", async () => {
    const { client } = await setup();
    const error = await errorOf(put(client, [text("x")], "missing"));
    expect(error).toMatchObject({ name: "ResourceNotFoundException", status: 400 });
    expect(error.message).toContain("missing");
  });

  it("throttles whole calls with a 503 ServiceUnavailableException the SDK recognises", async () => {
    const { fake, client } = await setup();
    fake.throttleNext(1);
    expect(await errorOf(put(client, [text("x")]))).toMatchObject({
      name: "ServiceUnavailableException",
      status: 503,
    });
    await put(client, [text("y")]);
    expect(fake.records().map(String)).toEqual(["y"]);
  });

  it("reports an error type given only in the x-amzn-errortype header", async () => {
    const { fake, client } = await setup();
    fake.errorNext(1, "AccessDeniedException", "not allowed", { typeIn: "header" });
    expect((await errorOf(put(client, [text("x")]))).name).toBe("AccessDeniedException");
  });

  it("reports an error type given only in the body's __type", async () => {
    const { fake, client } = await setup();
    fake.errorNext(1, "InvalidKMSResourceException", "key disabled", { typeIn: "body" });
    expect((await errorOf(put(client, [text("x")]))).name).toBe("InvalidKMSResourceException");
  });

  it("answers a bare 5xx whose body is not JSON", async () => {
    const { fake, client } = await setup();
    fake.failNext(1, 502);
    expect((await errorOf(put(client, [text("x")]))).status).toBe(502);
    expect(fake.records()).toEqual([]);
  });

  it("drops the connection before storing, or after storing without answering", async () => {
    const { fake, client } = await setup();
    fake.dropNext(1, "before");
    fake.dropNext(1, "after");
    await errorOf(put(client, [text("lost\n")]));
    await errorOf(put(client, [text("kept\n")]));
    expect(fake.records().map(String)).toEqual(["kept\n"]);
    expect(fake.calls.map((c) => c.status)).toEqual(["dropped", "dropped"]);
  });

  it("holds calls at the gate and counts them in flight", async () => {
    const { fake, client } = await setup();
    const gate = fake.hold();
    const calls = [put(client, [text("a")]), put(client, [text("b")])];
    await expect.poll(() => fake.inFlight, { timeout: 10_000 }).toBe(2);
    gate.release();
    await Promise.all(calls);
    expect(fake.maxInFlight).toBe(2);
    expect(fake.inFlight).toBe(0);
  });
});

describe("fake Firehose, raw HTTP", () => {
  async function raw(
    fake: FakeFirehose,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${fake.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "Firehose_20150804.PutRecordBatch",
        authorization: "AWS4-HMAC-SHA256 Credential=AKIDFAKE/20260310/us-east-1/firehose/aws4_request",
        ...headers,
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it("refuses an unsigned request", async () => {
    const { fake } = await setup();
    const answer = await raw(fake, "{}", { authorization: "" });
    expect(answer).toMatchObject({ status: 400, body: { __type: "MissingAuthenticationTokenException" } });
  });

  it("refuses a body that is not JSON", async () => {
    const { fake } = await setup();
    const answer = await raw(fake, '{"DeliveryStreamName":"logs","Records":[');
    expect(answer).toMatchObject({ status: 400, body: { __type: "SerializationException" } });
  });

  it("refuses record data that is not base64", async () => {
    const { fake } = await setup();
    const answer = await raw(
      fake,
      JSON.stringify({ DeliveryStreamName: "logs", Records: [{ Data: "@@not base64" }] }),
    );
    expect(answer).toMatchObject({ status: 400, body: { __type: "SerializationException" } });
    expect(fake.records()).toEqual([]);
  });

  it("refuses a record without data", async () => {
    const { fake } = await setup();
    const answer = await raw(fake, JSON.stringify({ DeliveryStreamName: "logs", Records: [{}] }));
    expect(answer).toMatchObject({ status: 400, body: { __type: "ValidationException" } });
  });

  it("refuses an unknown operation", async () => {
    const { fake } = await setup();
    const answer = await raw(fake, "{}", { "x-amz-target": "Firehose_20150804.DeleteDeliveryStream" });
    expect(answer).toMatchObject({ status: 400, body: { __type: "UnknownOperationException" } });
  });
});
