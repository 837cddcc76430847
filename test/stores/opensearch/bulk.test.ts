import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../../core/event/schema.js";
import {
  type BulkItem,
  bodyBytes,
  buildBulkItems,
  chunkBulk,
  EVENT_JSON,
  eventJson,
  renderBulkBody,
  splitInHalf,
} from "../../../stores/opensearch/bulk.js";
import { makeEvent } from "./helpers.js";

const DAILY = { prefix: "logs-", dataStream: false, opType: "index" as const };

function ndjsonLines(body: string): unknown[] {
  expect(body.endsWith("\n")).toBe(true);
  return body
    .slice(0, -1)
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("buildBulkItems", () => {
  it("writes the JSON text a frozen event carries instead of serialising it again", () => {
    const event = makeEvent(1);
    const carried = JSON.stringify(event).replace('"level"', '"level" ');
    Object.defineProperty(event, EVENT_JSON, { value: carried });
    Object.freeze(event);
    const { items } = buildBulkItems([event], DAILY);
    expect(renderBulkBody(items).split("\n")[1]).toBe(carried);
    expect(items[0]!.bytes).toBe(Buffer.byteLength(items[0]!.lines));
  });

  it("serialises an event that is not frozen even when it carries a text, which may be stale", () => {
    const event = makeEvent(1);
    Object.defineProperty(event, EVENT_JSON, { value: "{}" });
    event.message = "changed";
    expect(eventJson(event)).toBe(JSON.stringify(event));
  });

  it("uses the registered symbol, so other stores can carry the text under the same key", () => {
    expect(EVENT_JSON).toBe(Symbol.for("logpipe.event.json"));
  });

  it("names each event's own daily index when one service's events span two days", () => {
    const batch = [
      makeEvent(0, { "@timestamp": "2026-01-05T23:59:59.999Z" }),
      makeEvent(1, { "@timestamp": "2026-01-06T00:00:00.000Z" }),
      makeEvent(2, { "@timestamp": "2026-01-05T23:59:59.999Z" }),
      makeEvent(3, { "@timestamp": "2026-01-06T01:30:00.000+02:00" }),
    ];
    expect(buildBulkItems(batch, DAILY).items.map((item) => item.target)).toEqual([
      "logs-checkout-2026.01.05",
      "logs-checkout-2026.01.06",
      "logs-checkout-2026.01.05",
      "logs-checkout-2026.01.05",
    ]);
  });

  it("writes the same action line as JSON.stringify for ids that need escaping", () => {
    const id = 'a"b\\c\u2028é';
    const { items } = buildBulkItems([makeEvent(0, { id })], { ...DAILY, opType: "create" });
    expect(items[0]!.lines.split("\n")[0]).toBe(
      JSON.stringify({ create: { _index: "logs-checkout-2026.01.05", _id: id } }),
    );
  });

  it("names data streams by service alone, for every event of the service", () => {
    const batch = [makeEvent(0), makeEvent(1, { "@timestamp": "2027-03-01T00:00:00.000Z" })];
    const { items } = buildBulkItems(batch, { ...DAILY, dataStream: true });
    expect(items.map((item) => item.target)).toEqual(["logs-checkout", "logs-checkout"]);
  });

  it("writes an index action with the event id as _id into the service's daily index", () => {
    const event = makeEvent(1, { service: "checkout", "@timestamp": "2026-01-05T23:59:59.999Z" });
    const { items, rejected } = buildBulkItems([event], DAILY);
    expect(rejected).toEqual([]);
    expect(ndjsonLines(renderBulkBody(items))).toEqual([
      { index: { _index: "logs-checkout-2026.01.05", _id: event.id } },
      event,
    ]);
  });

  it("uses create actions when the op type is create", () => {
    const { items } = buildBulkItems([makeEvent(1)], { ...DAILY, opType: "create" });
    expect(ndjsonLines(renderBulkBody(items))[0]).toEqual({
      create: { _index: "logs-checkout-2026.01.05", _id: "ev-00001" },
    });
  });

  it("writes to one data stream per service, without a date", () => {
    const { items } = buildBulkItems([makeEvent(1, { service: "Cart" })], {
      prefix: "logs-",
      dataStream: true,
      opType: "create",
    });
    expect(ndjsonLines(renderBulkBody(items))[0]).toEqual({
      create: { _index: "logs-cart", _id: "ev-00001" },
    });
  });

  it("keeps batch positions so answers map back to the caller's events", () => {
    const batch = [makeEvent(0), makeEvent(1, { "@timestamp": "not a time" }), makeEvent(2)];
    const { items, rejected } = buildBulkItems(batch, DAILY);
    expect(items.map((i) => i.index)).toEqual([0, 2]);
    expect(rejected).toEqual([
      { index: 1, code: "invalid_event", reason: expect.stringContaining("not a time") },
    ]);
  });

  it("rejects an event without an id instead of letting OpenSearch invent one", () => {
    const { items, rejected } = buildBulkItems([{ ...makeEvent(0), id: "" }], DAILY);
    expect(items).toEqual([]);
    expect(rejected[0]?.code).toBe("invalid_event");
  });

  it("rejects an id longer than OpenSearch's 512-byte _id cap", () => {
    const { rejected } = buildBulkItems([makeEvent(0, { id: "é".repeat(300) })], DAILY);
    expect(rejected[0]?.reason).toMatch(/512 bytes/);
  });

  it("escapes hostile ids and services inside the action line", () => {
    const event = makeEvent(0, { id: 'a"}\n{"delete":{"_id":"x"}}', service: 'Evil"\n/../Service' });
    const { items } = buildBulkItems([event], DAILY);
    const lines = ndjsonLines(renderBulkBody(items));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toEqual({ index: { _index: "logs-evil_.._service-2026.01.05", _id: event.id } });
    expect(lines[1]).toEqual(event);
  });

  it("counts item bytes in UTF-8, so multi-byte text cannot overflow a body", () => {
    const { items } = buildBulkItems([makeEvent(0, { message: "日本語 ✓ émoji 🎉".repeat(50) })], DAILY);
    expect(items[0]!.bytes).toBe(Buffer.byteLength(items[0]!.lines));
    expect(items[0]!.bytes).toBeGreaterThan(items[0]!.lines.length);
  });
});

function fakeItems(sizes: number[]): BulkItem[] {
  return sizes.map((bytes, index) => ({ index, id: String(index), target: "t", lines: "", bytes }));
}

describe("chunkBulk", () => {
  it("keeps every body within max bytes unless a single item is larger on its own", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5_000 }), { maxLength: 200 }),
        fc.integer({ min: 100, max: 20_000 }),
        (sizes, max) => {
          const chunks = chunkBulk(fakeItems(sizes), max);
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0);
            if (chunk.length > 1) expect(bodyBytes(chunk)).toBeLessThanOrEqual(max);
          }
          // Order and completeness: concatenated chunks are exactly the input.
          expect(chunks.flat().map((i) => i.index)).toEqual(sizes.map((_, i) => i));
        },
      ),
    );
  });

  it("fills a body before starting the next one", () => {
    const chunks = chunkBulk(fakeItems([40, 40, 40, 40, 40]), 100);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
  });

  it("sends an item larger than the cap alone, leaving the verdict to the server", () => {
    const chunks = chunkBulk(fakeItems([10, 500, 10]), 100);
    expect(chunks.map((c) => c.map((i) => i.bytes))).toEqual([[10], [500], [10]]);
  });

  it("renders real events into bodies whose byte length is what was counted", () => {
    const batch: LogEvent[] = Array.from({ length: 300 }, (_, i) =>
      makeEvent(i, { message: "x".repeat((i * 37) % 900), service: i % 2 ? "cart" : "checkout" }),
    );
    const { items } = buildBulkItems(batch, DAILY);
    const chunks = chunkBulk(items, 16_384);
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      const body = renderBulkBody(chunk);
      expect(Buffer.byteLength(body)).toBe(bodyBytes(chunk));
      expect(Buffer.byteLength(body)).toBeLessThanOrEqual(16_384);
      expect(ndjsonLines(body)).toHaveLength(chunk.length * 2);
    }
  });
});

describe("splitInHalf", () => {
  it("splits by bytes, never leaving a half empty", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 2, maxLength: 50 }), (sizes) => {
        const [left, right] = splitInHalf(fakeItems(sizes));
        expect(left.length).toBeGreaterThan(0);
        expect(right.length).toBeGreaterThan(0);
        expect([...left, ...right].map((i) => i.index)).toEqual(sizes.map((_, i) => i));
      }),
    );
  });

  it("puts one large item on its own side", () => {
    const [left, right] = splitInHalf(fakeItems([1000, 1, 1, 1]));
    expect(left.map((i) => i.bytes)).toEqual([1000]);
    expect(right).toHaveLength(3);
  });

  it("refuses to split a single item", () => {
    expect(() => splitInHalf(fakeItems([5]))).toThrow(/fewer than two/);
  });
});
