import { type LakePartition, parseObjectKey, partitionEnd, partitionId } from "./layout.js";

/**
 * The pure half of lake compaction: which partitions to merge, how lines are read, checked and
 * deduplicated, and where merged objects are cut. `compaction.ts` does the S3 calls around it.
 */

export interface ListedObject {
  key: string;
  /** Stored (gzip) size in bytes. */
  size: number;
}

export interface CompactionPolicy {
  prefix: string;
  /** Epoch milliseconds. */
  now: number;
  minObjects: number;
  /** Largest gzip size of a merged object. */
  targetBytes: number;
  settleMinutes: number;
}

export interface PartitionPlan {
  partition: LakePartition;
  /** The small objects to merge, in key order (ULID names sort by write time). */
  inputs: ListedObject[];
}

/**
 * Objects below half the target are "small". Merged objects are cut close to the target, so
 * after a pass a partition holds at most one small merged object and is not merged again until
 * new writes arrive.
 */
export function smallObjectLimit(targetBytes: number): number {
  return Math.floor(targetBytes / 2);
}

/** Whether the partition's hour ended at least `settleMinutes` before `now`. */
export function isSettled(partition: LakePartition, now: number, settleMinutes: number): boolean {
  return partitionEnd(partition) + settleMinutes * 60_000 <= now;
}

/** The plan for one partition's objects, or undefined when it is not due (open, settling, few small objects). */
export function planPartition(
  partition: LakePartition,
  objects: readonly ListedObject[],
  policy: CompactionPolicy,
): PartitionPlan | undefined {
  if (!isSettled(partition, policy.now, policy.settleMinutes)) return undefined;
  const limit = smallObjectLimit(policy.targetBytes);
  const inputs = objects
    .filter((o) => o.size < limit)
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return inputs.length >= policy.minObjects ? { partition, inputs } : undefined;
}

/**
 * Groups listed objects by partition and plans each. Keys that are not lake objects of the
 * layout (other names, other extensions, deeper folders) are never touched.
 */
export function planCompaction(objects: Iterable<ListedObject>, policy: CompactionPolicy): PartitionPlan[] {
  const byPartition = new Map<string, { partition: LakePartition; objects: ListedObject[] }>();
  for (const object of objects) {
    const parsed = parseObjectKey(policy.prefix, object.key);
    if (!parsed) continue;
    const id = partitionId(parsed.partition);
    let entry = byPartition.get(id);
    if (!entry) {
      entry = { partition: parsed.partition, objects: [] };
      byPartition.set(id, entry);
    }
    entry.objects.push(object);
  }
  return [...byPartition.keys()].sort().flatMap((id) => {
    const entry = byPartition.get(id)!;
    const plan = planPartition(entry.partition, entry.objects, policy);
    return plan ? [plan] : [];
  });
}

export type DecodedLine = { text: string } | { invalidUtf8: Buffer };

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits an object's bytes into lines, skipping blank ones. A line that is not valid UTF-8 is
 * returned as bytes so it can be kept as it was instead of being silently repaired.
 */
export function decodeLines(bytes: Buffer): DecodedLine[] {
  let whole: string | undefined;
  try {
    whole = utf8.decode(bytes);
  } catch {
    whole = undefined;
  }
  if (whole !== undefined) {
    return whole
      .split("\n")
      .map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line))
      .filter((line) => line.trim() !== "")
      .map((text) => ({ text }));
  }
  const out: DecodedLine[] = [];
  let start = 0;
  while (start <= bytes.length) {
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const raw = bytes.subarray(start, end);
    start = end + 1;
    try {
      const text = utf8.decode(raw).replace(/\r$/, "");
      if (text.trim() !== "") out.push({ text });
    } catch {
      out.push({ invalidUtf8: Buffer.from(raw) });
    }
  }
  return out;
}

export type ParsedLine = { ok: true; id: string } | { ok: false; reason: string };

/**
 * Checks one lake line just enough to merge it safely: a JSON object with a string `id`. The full
 * schema is not enforced here, so a field added later never makes old objects look malformed.
 */
export function parseLakeLine(line: string): ParsedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "not a JSON object" };
  }
  const id = (value as { id?: unknown }).id;
  if (typeof id !== "string" || id === "") return { ok: false, reason: "no string id" };
  return { ok: true, id };
}

/** Remembers ids seen in one partition; delivery is at least once, so the same id may arrive twice. */
export class IdDeduper {
  private readonly seen = new Set<string>();
  duplicates = 0;

  /** True the first time an id is offered. */
  firstSeen(id: string): boolean {
    if (this.seen.has(id)) {
      this.duplicates++;
      return false;
    }
    this.seen.add(id);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Keeps the first event of every id, in order. */
export function dedupeById<T extends { id: string }>(
  events: readonly T[],
): { kept: T[]; duplicates: number } {
  const deduper = new IdDeduper();
  const kept = events.filter((e) => deduper.firstSeen(e.id));
  return { kept, duplicates: deduper.duplicates };
}

/**
 * Packs lines into groups of at most `maxBytes` (UTF-8, with their newlines); a line larger than
 * that forms a group of its own. Merged objects are written group by group, and a group is the
 * unit at which an object may be cut.
 */
export class LineGrouper {
  private lines: string[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Adds a line; returns the group it closed, if adding it would have overflowed that group. */
  add(line: string): string | undefined {
    const size = Buffer.byteLength(line, "utf8") + 1;
    let closed: string | undefined;
    if (this.lines.length > 0 && this.bytes + size > this.maxBytes) closed = this.take();
    this.lines.push(line);
    this.bytes += size;
    return closed;
  }

  /** The open group, if any, emptied. */
  take(): string | undefined {
    if (this.lines.length === 0) return undefined;
    const group = `${this.lines.join("\n")}\n`;
    this.lines = [];
    this.bytes = 0;
    return group;
  }
}

/** Every line packed into groups of at most `maxBytes` (see {@link LineGrouper}). */
export function splitLinesBySize(lines: Iterable<string>, maxBytes: number): string[] {
  const grouper = new LineGrouper(maxBytes);
  const groups: string[] = [];
  for (const line of lines) {
    const closed = grouper.add(line);
    if (closed !== undefined) groups.push(closed);
  }
  const last = grouper.take();
  if (last !== undefined) groups.push(last);
  return groups;
}

/** Bytes of lines written to a merged object's gzip stream at a time. */
export function groupBytesFor(targetBytes: number): number {
  return Math.max(4096, Math.min(65_536, Math.floor(targetBytes / 32)));
}

/**
 * What deflate may still hold when its input is consumed: one block of up to 16K symbols (Node's
 * default memLevel 8) at no more than 6 bytes each, plus the gzip trailer. Compressed output
 * trails the input by at most this much.
 */
export const DEFLATE_HELD_BACK_BYTES = 16_384 * 6 + 1024;

/**
 * Whether a group of `groupBytes` (uncompressed: the worst case of its compressed size) may go
 * into an object whose gzip stream has taken `writtenBytes` and emitted `emittedBytes`, without the finished object
 * passing `targetBytes`. An empty object always takes its first group, so a line larger than the
 * target still gets written, in an object of its own.
 */
export function fitsInObject(
  object: { emittedBytes: number; writtenBytes: number },
  groupBytes: number,
  targetBytes: number,
): boolean {
  if (object.writtenBytes === 0) return true;
  return object.emittedBytes + groupBytes + DEFLATE_HELD_BACK_BYTES <= targetBytes;
}
