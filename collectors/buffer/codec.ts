import { Packr } from "msgpackr";
import type { IncomingRecord } from "../../core/event/incoming.js";

/*
 * Records are stored as MessagePack with msgpackr's record extension: every IncomingRecord has
 * the same keys, so their names are written once per entry instead of once per record. Measured
 * on 1,000 typical records it encodes about as fast as JSON.stringify and decodes several times
 * faster than JSON.parse, at roughly half the bytes; it also keeps Buffers, Dates, Maps and
 * `undefined` that JSON would alter. Without shared structures each entry carries its own record
 * definitions, so any entry decodes on its own after a restart. A `__proto__` key is renamed
 * `__proto_` on decode (msgpackr's guard against prototype pollution).
 */
const packer = new Packr({ useRecords: true });
const unpacker = new Packr({ useRecords: true });

/** Encodes one append's records; throws on values MessagePack cannot hold (symbols, cycles, huge BigInts). */
export function encodeRecords(records: readonly IncomingRecord[]): Buffer {
  return packer.pack(records);
}

/** Decodes an entry's payload; throws when it is not the array of `count` records that was written. */
export function decodeRecords(payload: Buffer, count: number): IncomingRecord[] {
  const value: unknown = unpacker.unpack(payload);
  if (!Array.isArray(value) || value.length !== count) {
    throw new TypeError(`entry payload is not an array of ${count} records`);
  }
  for (const item of value) {
    if (typeof item !== "object" || item === null)
      throw new TypeError("entry payload holds a non-object record");
  }
  return value as IncomingRecord[];
}
