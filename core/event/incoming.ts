import { randomBytes } from "node:crypto";

/**
 * A record as an input received it, before transforms: what the durable buffer stores.
 * The id is assigned here, at first contact, and never changes afterwards.
 */
export interface IncomingRecord {
  /** Stable event id (becomes `LogEvent.id` and the OpenSearch `_id`). */
  id: string;
  /** Event time from the client, epoch milliseconds. */
  time: number;
  /** When logpipe received it, epoch milliseconds (becomes `ingest_time`). */
  receivedAt: number;
  /** Fluent tag, or the name the HTTP client gave; the service is taken from it when the record has none. */
  tag: string;
  /** Input that received it: `forward`, `http`, ... */
  source: string;
  /** The record's fields as sent. */
  record: Record<string, unknown>;
}

/**
 * A forward frame's entries kept as the client's MessagePack bytes: concatenated
 * `[time, record]` entries (PackedForward's blob, or a Forward frame's array without its header),
 * every one already checked to decode. The buffer stores them as they came instead of decoding
 * and re-encoding each record; reading them back gives the records the forward input would have
 * built, with ids `chunkEventId(idBase, index)`.
 */
export interface PackedEntries {
  readonly kind: "packed_entries";
  /** Fluent tag; the service is taken from it when a record has none. */
  tag: string;
  /** Input that received them. */
  source: string;
  /** When logpipe received them, epoch milliseconds. */
  receivedAt: number;
  /** Seeds the event ids: the chunk digest when the client sent a chunk id, else a fresh id. */
  idBase: string;
  entries: Buffer;
  /** Entries in `entries`. */
  count: number;
}

/** What an input appends to the buffer in one go. */
export type IngestBatch = readonly IncomingRecord[] | PackedEntries;

export function isPackedEntries(batch: IngestBatch): batch is PackedEntries {
  return (batch as Partial<PackedEntries>).kind === "packed_entries";
}

/** Events in a batch. */
export function ingestBatchSize(batch: IngestBatch): number {
  return isPackedEntries(batch) ? batch.count : batch.length;
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

function encodeTime(ms: number): string {
  let out = "";
  let rest = Math.max(0, Math.floor(ms));
  for (let i = 0; i < 10; i++) {
    out = CROCKFORD[rest % 32] + out;
    rest = Math.floor(rest / 32);
  }
  return out;
}

let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A new time-sortable id (ULID layout: 10 chars of time, 16 of randomness). */
export function newEventId(now = Date.now()): string {
  if (poolOffset + 16 > pool.length) {
    // One getrandom call per 4096 ids keeps id assignment off the hot path's profile.
    pool = randomBytes(16 * 4096);
    poolOffset = 0;
  }
  let random = "";
  for (let i = 0; i < 16; i++) random += CROCKFORD[pool[poolOffset + i]! & 31];
  poolOffset += 16;
  return encodeTime(now) + random;
}

/**
 * The id of entry `index` of a chunk whose content digest is `digest`. A resent chunk (same
 * content) yields the same ids, so even a duplicate that slipped through is written once.
 */
export function chunkEventId(digest: string, index: number): string {
  return `${digest}-${index.toString(36)}`;
}
