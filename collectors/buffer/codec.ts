import { Packr } from "msgpackr";
import {
  type IncomingRecord,
  type IngestBatch,
  isPackedEntries,
  type PackedEntries,
} from "../../core/event/incoming.js";
import { unpackEntries } from "../inputs/forward/protocol.js";

/*
 * An entry's payload is one of two kinds, told apart by its first byte.
 *
 * Records (HTTP input, Message frames): MessagePack with msgpackr's record extension. Every
 * IncomingRecord has the same keys, so their names are written once per entry instead of once
 * per record; it encodes about as fast as JSON.stringify and decodes several times faster than
 * JSON.parse, at roughly half the bytes. Without shared structures each entry carries its own
 * record definitions, so any entry decodes on its own after a restart. A `__proto__` key is
 * renamed `__proto_` on decode (msgpackr's guard against prototype pollution). Such a payload
 * starts with a MessagePack array header.
 *
 * Packed entries (forward input): 0xc1 (the byte MessagePack never uses), a u32 LE length, that
 * many bytes of JSON header (tag, source, receive time, id base), then the client's entries
 * byte for byte. Storing them as they came is what makes the forward path cheap: a record is
 * decoded once, by the output that reads it, instead of decoded, re-encoded and decoded again.
 */
const packer = new Packr({ useRecords: true });
const unpacker = new Packr({ useRecords: true });

const PACKED_MARKER = 0xc1;
const PACKED_PREFIX_BYTES = 5;

interface PackedHeader {
  tag: string;
  source: string;
  receivedAt: number;
  idBase: string;
}

/**
 * Encodes one append as the pieces of its payload, for the caller to copy into place once:
 * packed entries are not copied into a payload first. Throws on records MessagePack cannot hold
 * (symbols, cycles, huge BigInts).
 */
export function encodeBatch(batch: IngestBatch): Uint8Array[] {
  if (!isPackedEntries(batch)) return [packer.pack(batch)];
  const header: PackedHeader = {
    tag: batch.tag,
    source: batch.source,
    receivedAt: batch.receivedAt,
    idBase: batch.idBase,
  };
  const headerText = JSON.stringify(header);
  const prefix = Buffer.allocUnsafe(PACKED_PREFIX_BYTES + Buffer.byteLength(headerText));
  prefix[0] = PACKED_MARKER;
  prefix.writeUInt32LE(prefix.length - PACKED_PREFIX_BYTES, 1);
  prefix.write(headerText, PACKED_PREFIX_BYTES, "utf8");
  return [prefix, batch.entries];
}

/** Decodes an entry's payload; throws when it is not the `count` records that were written. */
export function decodeRecords(payload: Buffer, count: number): IncomingRecord[] {
  if (payload[0] === PACKED_MARKER) return decodePacked(payload, count);
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

function decodePacked(payload: Buffer, count: number): IncomingRecord[] {
  if (payload.length < PACKED_PREFIX_BYTES) throw new TypeError("packed entries payload is truncated");
  const headerEnd = PACKED_PREFIX_BYTES + payload.readUInt32LE(1);
  if (headerEnd > payload.length) throw new TypeError("packed entries header is truncated");
  const header = JSON.parse(
    payload.toString("utf8", PACKED_PREFIX_BYTES, headerEnd),
  ) as Partial<PackedHeader>;
  if (
    typeof header.tag !== "string" ||
    typeof header.source !== "string" ||
    typeof header.receivedAt !== "number" ||
    typeof header.idBase !== "string"
  ) {
    throw new TypeError("packed entries header lacks tag, source, receivedAt or idBase");
  }
  const block: PackedEntries = {
    kind: "packed_entries",
    tag: header.tag,
    source: header.source,
    receivedAt: header.receivedAt,
    idBase: header.idBase,
    entries: payload.subarray(headerEnd),
    count,
  };
  const decoded = unpackEntries(block);
  if (decoded.records.length !== count) {
    const reasons = Object.entries(decoded.rejected)
      .map(([code, n]) => `${n} ${code}`)
      .join(", ");
    throw new TypeError(
      `packed entries hold ${decoded.records.length} decodable records of ${count}${reasons ? ` (${reasons})` : ""}`,
    );
  }
  return decoded.records;
}
