import fc from "fast-check";
import { pack } from "msgpackr";
import { describe, expect, it } from "vitest";
import { decodeRecords, encodeBatch } from "../../../collectors/buffer/codec.js";
import { unpackEntries } from "../../../collectors/inputs/forward/protocol.js";
import type { IngestBatch } from "../../../core/event/incoming.js";
import { chunkEventId, type PackedEntries } from "../../../core/event/incoming.js";
import { makeRecords } from "../../support/buffer-fixtures.js";
import { entry } from "../../support/forward-client.js";

/** One append's payload, whole, as the buffer's frame holds it. */
const encoded = (batch: IngestBatch) => Buffer.concat(encodeBatch(batch));

describe("record codec", () => {
  it("round-trips incoming records exactly", () => {
    const records = makeRecords(1, 50, { nested: { list: [1, "two", null, true], deep: { x: 1.5 } } });
    expect(decodeRecords(encoded(records), 50)).toEqual(records);
  });

  it("decodes each entry on its own, in any order, as after a restart", () => {
    const entries = [1, 2, 3, 4].map((batch) => ({
      batch,
      bytes: encoded(makeRecords(batch, 3, batch % 2 ? { odd: batch } : { even: [batch] })),
    }));
    for (const { batch, bytes } of entries.reverse()) {
      expect(decodeRecords(bytes, 3)).toEqual(
        makeRecords(batch, 3, batch % 2 ? { odd: batch } : { even: [batch] }),
      );
    }
  });

  it("keeps binary values, dates and undefined that JSON would alter", () => {
    const [record] = makeRecords(0, 1, { bin: Buffer.from([0, 255]), at: new Date(5), gone: undefined });
    const [back] = decodeRecords(encoded([record!]), 1);
    expect(back!.record["bin"]).toEqual(Buffer.from([0, 255]));
    expect(back!.record["at"]).toEqual(new Date(5));
    expect(Object.hasOwn(back!.record, "gone")).toBe(true);
  });

  it("round-trips arbitrary JSON fields", () => {
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(fc.string(), fc.jsonValue()), { minLength: 1, maxLength: 5 }),
        (fields) => {
          const records = fields.map((record, i) => ({
            id: `id-${i}`,
            time: i,
            receivedAt: i,
            tag: "t",
            source: "http",
            record: record as Record<string, unknown>,
          }));
          // -0 is not representable in JSON text and is stored as 0.
          const expected = JSON.parse(JSON.stringify(records));
          const back = JSON.parse(JSON.stringify(decodeRecords(encoded(records), records.length)));
          expect(back).toEqual(
            expected.map((r: { record: object }) => ({ ...r, record: renameProto(r.record) })),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("does not let a __proto__ key reach the prototype", () => {
    const record = JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}') as Record<string, unknown>;
    const [back] = decodeRecords(encoded([{ ...makeRecords(0, 1)[0]!, record }]), 1);
    expect(Object.getPrototypeOf(back!.record)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined();
    expect(back!.record["ok"]).toBe(1);
  });

  it("throws on values MessagePack cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic["self"] = cyclic;
    expect(() => encoded(makeRecords(0, 1, { s: Symbol("x") }))).toThrow();
    expect(() => encoded(makeRecords(0, 1, { cyclic }))).toThrow();
  });

  it("rejects a payload that is not an array of the announced number of records", () => {
    const bytes = encoded(makeRecords(0, 2));
    expect(() => decodeRecords(bytes, 3)).toThrow(/array of 3 records/);
    expect(() => decodeRecords(pack({ not: "an array" }), 1)).toThrow();
    expect(() => decodeRecords(pack([1]), 1)).toThrow(/non-object/);
    expect(() => decodeRecords(Buffer.from([0xc1]), 1)).toThrow();
  });
});

function renameProto(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(renameProto);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    Object.defineProperty(out, key === "__proto__" ? "__proto_" : key, {
      value: renameProto(inner),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

describe("packed entries codec", () => {
  const entries = Buffer.concat(
    [0, 1, 2].map((i) => entry(1_700_000_000 + i, { message: `line ${i}`, ünïcode: "✓" })),
  );
  const block: PackedEntries = {
    kind: "packed_entries",
    tag: "app.web",
    source: "forward",
    receivedAt: 1_800_000_000_000,
    idBase: "chunk-digest",
    entries,
    count: 3,
  };

  it("stores the client's entry bytes unchanged behind a small header", () => {
    const payload = encoded(block);
    expect(payload[0]).toBe(0xc1);
    expect(payload.subarray(payload.length - entries.length).equals(entries)).toBe(true);
  });

  it("reads back the records the forward input would have decoded", () => {
    expect(decodeRecords(encoded(block), 3)).toEqual(unpackEntries(block).records);
    expect(decodeRecords(encoded(block), 3).map((r) => r.id)).toEqual(
      [0, 1, 2].map((i) => chunkEventId("chunk-digest", i)),
    );
  });

  it("rejects a payload whose header is cut short", () => {
    const payload = encoded(block);
    expect(() => decodeRecords(payload.subarray(0, 3), 3)).toThrow(/truncated/);
    expect(() => decodeRecords(payload.subarray(0, 12), 3)).toThrow(/header is truncated/);
  });

  it("rejects a header that is not the one written", () => {
    const header = Buffer.from(JSON.stringify({ tag: "app" }));
    const payload = Buffer.concat([Buffer.from([0xc1, header.length, 0, 0, 0]), header, entries]);
    expect(() => decodeRecords(payload, 3)).toThrow(/lacks/);
  });

  it("names the entries that no longer decode instead of returning fewer records", () => {
    const damaged = Buffer.from(encoded(block));
    damaged[damaged.length - entries.length + entries.length / 3] = 0xc1;
    expect(() => decodeRecords(damaged, 3)).toThrow(/decodable records of 3/);
  });

  it("rejects a count other than the entries held", () => {
    expect(() => decodeRecords(encoded(block), 4)).toThrow(/3 decodable records of 4/);
  });
});
