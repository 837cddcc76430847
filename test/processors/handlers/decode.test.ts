import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  checkSubscriptionMessage,
  decodeSubscriptionEvent,
  invalidLogEvent,
  SubscriptionDecodeError,
  strictBase64,
} from "../../../processors/handlers/index.js";
import { encodeSubscription, readFixture } from "../../fixtures/aws/encode.js";

async function decodeError(event: unknown, maxBytes?: number): Promise<SubscriptionDecodeError> {
  const error = await decodeSubscriptionEvent(event, maxBytes).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SubscriptionDecodeError);
  return error as SubscriptionDecodeError;
}

describe("decodeSubscriptionEvent", () => {
  it("decodes the stored subscription event to its decoded fixture", async () => {
    const message = await decodeSubscriptionEvent(readFixture("cloudwatch-data-message.json"));
    expect(message).toEqual(readFixture("cloudwatch-data-message.decoded.json"));
  });

  it("decodes a control message", async () => {
    const message = await decodeSubscriptionEvent(readFixture("cloudwatch-control-message.json"));
    expect(message.messageType).toBe("CONTROL_MESSAGE");
  });

  it("keeps extractedFields of each log event", async () => {
    const message = await decodeSubscriptionEvent(readFixture("cloudwatch-extracted-fields.json"));
    expect(message.logEvents[0]!.extractedFields).toMatchObject({ status_code: "200", user: "frank" });
  });

  it("names the envelope when awslogs.data is missing", async () => {
    const error = await decodeError({ Records: [] });
    expect(error.code).toBe("decode_envelope");
    expect(error.stage).toBe("receiving");
    expect(error.message).toContain("awslogs.data");
  });

  it("names base64 when the data has characters outside the alphabet", async () => {
    const error = await decodeError(readFixture("cloudwatch-malformed-base64.json"));
    expect(error.step).toBe("base64");
    expect(error.message).toContain("not valid base64");
  });

  it("names gzip when valid base64 does not hold gzip data", async () => {
    const error = await decodeError({
      awslogs: { data: Buffer.from('{"messageType":"DATA_MESSAGE"}').toString("base64") },
    });
    expect(error.step).toBe("gzip");
    expect(error.message).toContain("no gzip header");
  });

  it("names gzip when the gzip stream is truncated", async () => {
    const error = await decodeError(readFixture("cloudwatch-truncated-gzip.json"));
    expect(error.step).toBe("gzip");
    expect(error.message).toMatch(/gunzip failed/);
  });

  it("refuses a payload that inflates beyond the cap (gzip bomb)", async () => {
    const bomb = { awslogs: { data: gzipSync(Buffer.alloc(4 * 1024 * 1024, 0x20)).toString("base64") } };
    const error = await decodeError(bomb, 1024 * 1024);
    expect(error.step).toBe("gzip");
    expect(error.message).toContain("more than 1048576 bytes");
  });

  it("names json when the inflated bytes are not JSON", async () => {
    const event = { awslogs: { data: gzipSync(Buffer.from("{not json")).toString("base64") } };
    const error = await decodeError(event);
    expect(error.step).toBe("json");
  });

  it("names the shape when logEvents is missing from a data message", async () => {
    const event = encodeSubscription({ messageType: "DATA_MESSAGE", logGroup: "/a", logStream: "s" });
    const error = await decodeError(event);
    expect(error.step).toBe("shape");
    expect(error.message).toContain("logEvents");
  });

  it("refuses an unknown messageType", async () => {
    const error = await decodeError(encodeSubscription({ messageType: "SURPRISE", logEvents: [] }));
    expect(error.message).toContain('unknown messageType "SURPRISE"');
  });

  it("refuses a JSON array payload", async () => {
    const error = await decodeError(encodeSubscription([1, 2, 3]));
    expect(error.message).toContain("not a JSON object");
  });
});

describe("strictBase64", () => {
  it("accepts padded base64", () => {
    expect(strictBase64("SGVsbG8=")?.toString()).toBe("Hello");
  });

  it("refuses a length that is not a multiple of four", () => {
    expect(strictBase64("SGVsbG8")).toBeUndefined();
  });

  it("refuses whitespace inside the text", () => {
    expect(strictBase64("SGVs bG8=")).toBeUndefined();
  });
});

describe("checkSubscriptionMessage", () => {
  it("drops non-string subscription filter names instead of failing", () => {
    const message = checkSubscriptionMessage({
      messageType: "DATA_MESSAGE",
      logGroup: "/a",
      logStream: "s",
      subscriptionFilters: ["f", 3],
      logEvents: [],
    });
    expect(message.subscriptionFilters).toEqual(["f"]);
  });
});

describe("invalidLogEvent", () => {
  it("accepts a well-formed event", () => {
    expect(invalidLogEvent({ id: "1", timestamp: 1, message: "m" })).toBeUndefined();
  });

  it("names a missing message", () => {
    expect(invalidLogEvent({ id: "1", timestamp: 1 })).toContain("message");
  });

  it("names a timestamp that is not a number", () => {
    expect(invalidLogEvent({ id: "1", timestamp: "yesterday", message: "m" })).toContain("timestamp");
  });

  it("names extractedFields that are not an object", () => {
    expect(invalidLogEvent({ id: "1", timestamp: 1, message: "m", extractedFields: "x" })).toContain(
      "extractedFields",
    );
  });
});
