import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../../core/event/schema.js";
import { sealEvent, sealedJson, transformMessage } from "../../../processors/handlers/index.js";
import { compileServiceLogs } from "../../../processors/transforms/aws/index.js";
import { createTransformer } from "../../../processors/transforms/index.js";
import { groupByPartition, EVENT_JSON as LAKE_EVENT_JSON } from "../../../stores/lake/batch.js";
import { buildBulkItems, EVENT_JSON as OPENSEARCH_EVENT_JSON } from "../../../stores/opensearch/bulk.js";
import { T0 } from "./support.js";

function event(overrides: Partial<LogEvent> = {}): LogEvent {
  return {
    id: "ev-1",
    "@timestamp": "2026-01-05T10:00:00.000Z",
    service: "checkout",
    level: "info",
    message: "hello",
    http: { method: "GET", status: 200 },
    attrs: { user_id: "u-1" },
    ...overrides,
  };
}

describe("sealEvent", () => {
  it("carries the event's JSON text", () => {
    const plain = event();
    const expected = JSON.stringify(plain);
    expect(sealedJson(sealEvent(plain))).toBe(expected);
  });

  it("keeps the carried text out of the event's own JSON and keys", () => {
    const sealed = sealEvent(event());
    expect(Object.keys(sealed)).toEqual(Object.keys(event()));
    expect(JSON.stringify(sealed)).toBe(JSON.stringify(event()));
    expect(sealed).toEqual(event());
  });

  it("freezes the event and its nested groups, so the text cannot go stale", () => {
    const sealed = sealEvent(event());
    expect(Object.isFrozen(sealed)).toBe(true);
    expect(Object.isFrozen(sealed.http)).toBe(true);
    expect(Object.isFrozen(sealed.attrs)).toBe(true);
    expect(() => {
      (sealed as { message: string }).message = "changed";
    }).toThrow(TypeError);
  });

  it("leaves an event JSON cannot encode as it is, for the stores to reject", () => {
    const hostile = event({ attrs: { n: 1n } as unknown as Record<string, string> });
    const result = sealEvent(hostile);
    expect(Object.isFrozen(result)).toBe(false);
    expect(sealedJson(result)).toBeUndefined();
    expect(groupByPartition([result]).invalid.map((i) => i.code)).toEqual(["unserializable"]);
  });

  it("leaves an event that is already frozen as it is", () => {
    const frozen = Object.freeze(event());
    expect(sealEvent(frozen)).toBe(frozen);
    expect(sealedJson(frozen)).toBeUndefined();
  });

  it("carries the text under the key both stores read", () => {
    expect(LAKE_EVENT_JSON).toBe(OPENSEARCH_EVENT_JSON);
  });

  it("makes both stores write the same text as serialising the event afresh", () => {
    const sealed = sealEvent(event());
    const options = { prefix: "logs-", dataStream: false, opType: "index" as const };
    const doc = buildBulkItems([sealed], options).items[0]!.lines.split("\n")[1];
    expect(doc).toBe(JSON.stringify(event()));
    expect(groupByPartition([sealed]).groups[0]!.body).toBe(`${JSON.stringify(event())}\n`);
  });
});

describe("transformMessage", () => {
  it("hands the sinks sealed events that serialise to what the transforms produced", () => {
    const transform = createTransformer({});
    const message = {
      messageType: "DATA_MESSAGE",
      owner: "123456789012",
      logGroup: "/aws/lambda/checkout-api",
      logStream: "stream",
      subscriptionFilters: [],
      logEvents: [{ id: "cw-1", timestamp: T0, message: '{"level":"warn","message":"slow","user":"u-1"}' }],
    };
    const { events } = transformMessage(message, {
      transform,
      serviceLogs: compileServiceLogs(),
      idField: "id",
      receivedAt: T0,
      nowIso: new Date(T0).toISOString(),
    });
    expect(events).toHaveLength(1);
    expect(Object.isFrozen(events[0])).toBe(true);
    expect(sealedJson(events[0]!)).toBe(JSON.stringify(events[0]));
    expect(events[0]).toMatchObject({ level: "warn", message: "slow", attrs: { user: "u-1" } });
  });
});
