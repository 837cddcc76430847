import { spawnSync } from "node:child_process";
import { appendFile, readdir, readFile, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encodeFrame, scanFrames } from "../../../collectors/buffer/frame.js";
import { BufferError, DurableBuffer } from "../../../collectors/buffer/index.js";
import { unpackEntries } from "../../../collectors/inputs/forward/protocol.js";
import type { PackedEntries } from "../../../core/event/incoming.js";
import { MetricsRegistry } from "../../../core/metrics.js";
import {
  bufferConfig,
  ids,
  makeRecords,
  type OpenedBuffer,
  openBuffer,
  readRecords,
  tempBufferDir,
} from "../../support/buffer-fixtures.js";
import { entry } from "../../support/forward-client.js";

/** A PackedForward frame's entries as the forward input hands them to the buffer. */
function packedBlock(count: number): PackedEntries {
  const entries = Buffer.concat(
    Array.from({ length: count }, (_, i) => entry(1_700_000_000 + i, { message: `packed ${i}` })),
  );
  return {
    kind: "packed_entries",
    tag: "app",
    source: "forward",
    receivedAt: 1_800_000_000_000,
    idBase: `digest-${count}`,
    entries,
    count,
  };
}

let dir: string;
let remove: () => Promise<void>;
const opened: DurableBuffer[] = [];

async function open(
  overrides: Parameters<typeof openBuffer>[1] = {},
  consumers?: string[],
): Promise<OpenedBuffer> {
  const result = await openBuffer(dir, overrides, consumers);
  opened.push(result.buffer);
  return result;
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(join(dir, "segments"))).filter((name) => name.endsWith(".seg")).sort();
}

beforeEach(async () => {
  ({ dir, remove } = await tempBufferDir());
});

afterEach(async () => {
  for (const buffer of opened.splice(0)) await buffer.close();
  await remove();
});

describe("DurableBuffer round trip", () => {
  it("returns appended records in order with every field intact", async () => {
    const { buffer } = await open();
    const appended = [...makeRecords(1, 5), ...makeRecords(2, 3)];
    expect(await buffer.append(appended.slice(0, 5))).toBe("stored");
    expect(await buffer.append(appended.slice(5))).toBe("stored");
    const { records } = await readRecords(buffer.consumer("out"), 8);
    expect(records).toEqual(appended);
  });

  it("stores a forward frame's packed entries and hands out their records between the others", async () => {
    const { buffer } = await open();
    const block = packedBlock(4);
    await buffer.append(makeRecords(1, 2));
    expect(await buffer.append(block, "chunk-1")).toBe("stored");
    expect(await buffer.append(block, "chunk-1")).toBe("duplicate");
    await buffer.append(makeRecords(2, 2));
    const consumer = buffer.consumer("out");
    const first = await consumer.read(3);
    const rest = await consumer.read(10);
    const records = [...first.records, ...rest.records];
    expect(records).toEqual([...makeRecords(1, 2), ...unpackEntries(block).records, ...makeRecords(2, 2)]);
    await consumer.commit(first);
    await consumer.commit(rest);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("skips a packed entry that no longer decodes, counts its records lost, and delivers the rest", async () => {
    const first = await open();
    await first.buffer.append(makeRecords(1, 2));
    await first.buffer.close();
    const broken = Buffer.from([0xc1, 0xff, 0xff, 0xff, 0x7f]);
    await appendFile(
      join(dir, "segments", (await segmentFiles())[0]!),
      encodeFrame(2, 5, undefined, [broken]),
    );

    const { buffer, metrics } = await open();
    await buffer.append(packedBlock(3));
    const { records } = await readRecords(buffer.consumer("out"), 5, { commit: true });
    expect(records).toEqual([...makeRecords(1, 2), ...unpackEntries(packedBlock(3)).records]);
    expect(metrics.snapshot()['logpipe_buffer_lost_records_total{consumer="out"}']).toBe(5);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("hands out record-granular batches that split and join entries", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 5));
    await buffer.append(makeRecords(2, 5));
    const consumer = buffer.consumer("out");
    const first = await consumer.read(3);
    const second = await consumer.read(7);
    expect(ids(first.records)).toEqual(ids(makeRecords(1, 3)));
    expect(ids(second.records)).toEqual([...ids(makeRecords(1, 5).slice(3)), ...ids(makeRecords(2, 5))]);
  });

  it("gives every consumer every record", async () => {
    const { buffer } = await open({}, ["a", "b", "c"]);
    await buffer.append(makeRecords(1, 4));
    await buffer.append(makeRecords(2, 4));
    for (const name of ["a", "b", "c"]) {
      expect(ids((await readRecords(buffer.consumer(name), 8)).records)).toEqual([
        ...ids(makeRecords(1, 4)),
        ...ids(makeRecords(2, 4)),
      ]);
    }
  });

  it("gives each consumer its own copy of a record", async () => {
    const { buffer } = await open({}, ["a", "b"]);
    await buffer.append(makeRecords(1, 1));
    const [fromA] = (await readRecords(buffer.consumer("a"), 1)).records;
    fromA!.record["message"] = "changed by output a";
    const [fromB] = (await readRecords(buffer.consumer("b"), 1)).records;
    expect(fromB!.record["message"]).toBe("request 1/0 done");
  });

  it("wakes a waiting read when records are appended", async () => {
    const { buffer } = await open();
    const reading = buffer.consumer("out").read(100);
    await buffer.append(makeRecords(1, 2));
    expect(ids((await reading).records)).toEqual(["b1-r0", "b1-r1"]);
  });

  it("gives concurrent reads of one consumer adjacent, disjoint batches", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 10));
    const consumer = buffer.consumer("out");
    const [first, second] = await Promise.all([consumer.read(4), consumer.read(4)]);
    expect(ids(first.records)).toEqual(["b1-r0", "b1-r1", "b1-r2", "b1-r3"]);
    expect(ids(second.records)).toEqual(["b1-r4", "b1-r5", "b1-r6", "b1-r7"]);
  });

  it("rejects a waiting read when its signal aborts", async () => {
    const { buffer } = await open();
    const controller = new AbortController();
    const reading = buffer.consumer("out").read(10, controller.signal);
    controller.abort(new Error("stop"));
    await expect(reading).rejects.toThrow("stop");
  });

  it("resolves a waiting read with an empty batch when the buffer closes", async () => {
    const { buffer } = await open();
    const reading = buffer.consumer("out").read(10);
    await buffer.close();
    expect((await reading).records).toEqual([]);
  });

  it("rejects a maxRecords below one", async () => {
    const { buffer } = await open();
    await expect(buffer.consumer("out").read(0)).rejects.toThrow(RangeError);
  });

  it("accepts an empty append without storing anything", async () => {
    const { buffer, metrics } = await open();
    expect(await buffer.append([])).toBe("stored");
    expect(metrics.snapshot()["logpipe_buffer_appended_records_total"] ?? 0).toBe(0);
  });
});

describe("DurableBuffer commits and cursors", () => {
  it("advances only over the contiguous committed prefix when commits come out of order", async () => {
    const { buffer } = await open();
    for (let b = 1; b <= 3; b++) await buffer.append(makeRecords(b, 2));
    const consumer = buffer.consumer("out");
    const first = await consumer.read(2);
    const second = await consumer.read(2);
    const third = await consumer.read(2);
    await consumer.commit(third);
    await consumer.commit(second);
    expect(buffer.stats().pending["out"]).toBe(6);
    await buffer.close();

    const reopened = (await open()).buffer;
    const { records } = await readRecords(reopened.consumer("out"), 6);
    expect(ids(records)).toEqual(ids([...makeRecords(1, 2), ...makeRecords(2, 2), ...makeRecords(3, 2)]));
    expect(first.records).toHaveLength(2);
  });

  it("counts a batch as committed once the earlier ones are", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 4));
    const consumer = buffer.consumer("out");
    const first = await consumer.read(2);
    const second = await consumer.read(2);
    await consumer.commit(second);
    await consumer.commit(first);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("resumes each consumer from its own persisted cursor after reopen", async () => {
    const { buffer } = await open({}, ["fast", "slow"]);
    for (let b = 1; b <= 4; b++) await buffer.append(makeRecords(b, 5));
    await readRecords(buffer.consumer("fast"), 15, { maxRecords: 5, commit: true });
    await readRecords(buffer.consumer("slow"), 5, { maxRecords: 5, commit: true });
    await buffer.close();

    const reopened = (await open({}, ["fast", "slow"])).buffer;
    expect(reopened.stats().pending).toEqual({ fast: 5, slow: 15 });
    expect(ids((await readRecords(reopened.consumer("fast"), 5)).records)).toEqual(ids(makeRecords(4, 5)));
    expect(ids((await readRecords(reopened.consumer("slow"), 15)).records)).toEqual(
      ids([...makeRecords(2, 5), ...makeRecords(3, 5), ...makeRecords(4, 5)]),
    );
  });

  it("resumes in the middle of an entry when the cursor is inside it", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 10));
    await readRecords(buffer.consumer("out"), 4, { maxRecords: 4, commit: true });
    await buffer.close();

    const reopened = (await open()).buffer;
    expect(ids((await readRecords(reopened.consumer("out"), 6)).records)).toEqual(
      ids(makeRecords(1, 10).slice(4)),
    );
  });

  it("persists cursors on the flush interval without waiting for close", async () => {
    const { buffer } = await open({ cursor_flush_interval_ms: 0 });
    await buffer.append(makeRecords(1, 3));
    await readRecords(buffer.consumer("out"), 3, { commit: true });
    await vi.waitFor(
      async () => {
        expect(JSON.parse(await readFile(join(dir, "cursors", "out.json"), "utf8"))).toEqual({ seq: 3 });
      },
      { timeout: 10_000, interval: 10 },
    );
  });

  it("starts a consumer whose cursor file is unreadable from the oldest record", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 3));
    await readRecords(buffer.consumer("out"), 3, { commit: true });
    await buffer.close();
    await writeFile(join(dir, "cursors", "out.json"), "{ not json");

    const { buffer: reopened, logs } = await open();
    expect(ids((await readRecords(reopened.consumer("out"), 3)).records)).toEqual(ids(makeRecords(1, 3)));
    expect(logs.some((l) => l.level === "warn" && l.message.includes("cursor"))).toBe(true);
  });

  it("numbers new records after a cursor that passed everything on disk", async () => {
    const { buffer } = await open({ segment_bytes: 4096, max_bytes: 1 << 20 });
    for (let b = 1; b <= 20; b++) await buffer.append(makeRecords(b, 10, { pad: "x".repeat(100) }));
    await readRecords(buffer.consumer("out"), 200, { commit: true });
    await buffer.close();

    const reopened = (await open({ segment_bytes: 4096, max_bytes: 1 << 20 })).buffer;
    await reopened.append(makeRecords(99, 2));
    expect(ids((await readRecords(reopened.consumer("out"), 2)).records)).toEqual(["b99-r0", "b99-r1"]);
  });

  it("gives a consumer added later everything still on disk", async () => {
    const { buffer } = await open({}, ["a"]);
    await buffer.append(makeRecords(1, 3));
    await buffer.close();

    const reopened = (await open({}, ["a", "b"])).buffer;
    expect(ids((await readRecords(reopened.consumer("b"), 3)).records)).toEqual(ids(makeRecords(1, 3)));
  });

  it("ignores a commit after close, so the records come again after restart", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 2));
    const batch = await buffer.consumer("out").read(10);
    await buffer.close();
    await buffer.consumer("out").commit(batch);

    const reopened = (await open()).buffer;
    expect(ids((await readRecords(reopened.consumer("out"), 2)).records)).toEqual(["b1-r0", "b1-r1"]);
  });

  it("refuses a batch read through another consumer", async () => {
    const { buffer } = await open({}, ["a", "b"]);
    await buffer.append(makeRecords(1, 1));
    const batch = await buffer.consumer("a").read(1);
    await expect(buffer.consumer("b").commit(batch)).rejects.toMatchObject({ code: "invalid_consumer" });
  });

  it("refuses an object that did not come from read()", async () => {
    const { buffer } = await open();
    await expect(buffer.consumer("out").commit({ records: [] })).rejects.toThrow(TypeError);
  });

  it("throws for a consumer that was not declared at open", async () => {
    const { buffer } = await open();
    expect(() => buffer.consumer("nope")).toThrow(BufferError);
  });
});

describe("DurableBuffer segments and space", () => {
  const small = { segment_bytes: 4096, max_bytes: 12 * 1024 };
  const padded = (batch: number) => makeRecords(batch, 5, { pad: "y".repeat(200) });

  it("rotates segments at segment_bytes", async () => {
    const { buffer } = await open(small);
    for (let b = 1; b <= 6; b++) await buffer.append(padded(b));
    expect(buffer.stats().segments).toBeGreaterThan(1);
    expect((await segmentFiles()).length).toBe(buffer.stats().segments);
  });

  it("keeps a segment until every consumer has passed it", async () => {
    const { buffer } = await open({ ...small, max_bytes: 1 << 20 }, ["a", "b"]);
    for (let b = 1; b <= 10; b++) await buffer.append(padded(b));
    const before = await segmentFiles();
    await readRecords(buffer.consumer("a"), 50, { commit: true });
    await buffer.close();
    expect(await segmentFiles()).toEqual(before);

    const reopened = (await open({ ...small, max_bytes: 1 << 20 }, ["a", "b"])).buffer;
    await readRecords(reopened.consumer("b"), 50, { commit: true });
    await reopened.close();
    // Only the (empty) segment the last open started remains.
    const after = await segmentFiles();
    expect(after).toHaveLength(1);
    expect(before).not.toContain(after[0]);
  });

  it("deletes consumed segments while running", async () => {
    const { buffer } = await open({ ...small, max_bytes: 1 << 20 });
    for (let b = 1; b <= 10; b++) await buffer.append(padded(b));
    const segments = buffer.stats().segments;
    await readRecords(buffer.consumer("out"), 50, { commit: true });
    await vi.waitFor(() => expect(buffer.stats().segments).toBeLessThan(segments), { timeout: 10_000 });
  });

  it("turns hasSpace false at max_bytes and wakes waitForSpace once consumption frees space", async () => {
    const { buffer, metrics } = await open(small);
    let batch = 0;
    while (buffer.hasSpace()) await buffer.append(padded(++batch));
    expect(buffer.stats().bytes).toBeGreaterThanOrEqual(small.max_bytes);
    // Appends already under way when the cap is reached still complete.
    expect(await buffer.append(padded(++batch))).toBe("stored");

    let woke = false;
    const waiting = buffer.waitForSpace().then(() => {
      woke = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);

    await readRecords(buffer.consumer("out"), batch * 5, { commit: true });
    await waiting;
    expect(buffer.hasSpace()).toBe(true);
    expect(metrics.snapshot()["logpipe_buffer_backpressure_total"]).toBe(1);
  });

  it("answers waitForSpace at once while there is room", async () => {
    const { buffer } = await open(small);
    await expect(buffer.waitForSpace()).resolves.toBeUndefined();
  });

  it("rejects waitForSpace when its signal aborts", async () => {
    const { buffer } = await open(small);
    while (buffer.hasSpace()) await buffer.append(padded(1));
    const controller = new AbortController();
    const waiting = buffer.waitForSpace(controller.signal);
    controller.abort(new Error("input stopping"));
    await expect(waiting).rejects.toThrow("input stopping");
  });

  it("stores an append larger than a segment in a segment of its own", async () => {
    const { buffer } = await open(small);
    const big = makeRecords(1, 3, { blob: "z".repeat(10_000) });
    await buffer.append(makeRecords(0, 1));
    await buffer.append(big);
    await buffer.append(makeRecords(2, 1));
    const { records } = await readRecords(buffer.consumer("out"), 5);
    expect(records).toEqual([...makeRecords(0, 1), ...big, ...makeRecords(2, 1)]);
  });

  it("reports bytes, segments and pending records", async () => {
    const { buffer } = await open({}, ["a", "b"]);
    await buffer.append(makeRecords(1, 4));
    await readRecords(buffer.consumer("a"), 4, { commit: true });
    const stats = buffer.stats();
    expect(stats.pending).toEqual({ a: 0, b: 4 });
    expect(stats.segments).toBe(1);
    expect(stats.bytes).toBe((await readFile(join(dir, "segments", (await segmentFiles())[0]!))).length);
  });
});

describe("DurableBuffer recovery", () => {
  async function fillAndClose(overrides = {}, batches = 5): Promise<void> {
    const { buffer } = await open(overrides);
    for (let b = 1; b <= batches; b++) await buffer.append(makeRecords(b, 4, { pad: "p".repeat(300) }));
    await buffer.close();
  }

  it("cuts a torn entry off the end of the last segment and keeps the whole ones", async () => {
    await fillAndClose();
    const [last] = (await segmentFiles()).slice(-1);
    const path = join(dir, "segments", last!);
    const bytes = await readFile(path);
    await writeFile(path, bytes.subarray(0, bytes.length - 50));

    const { buffer, metrics, logs } = await open();
    expect(buffer.recovery.truncatedBytes).toBeGreaterThan(0);
    expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="torn_tail"}']).toBe(1);
    expect(logs.some((l) => l.message.includes("incomplete entry"))).toBe(true);
    const expected = [1, 2, 3, 4].flatMap((b) => ids(makeRecords(b, 4)));
    expect(buffer.stats().pending["out"]).toBe(16);
    expect(ids((await readRecords(buffer.consumer("out"), 16)).records)).toEqual(expected);
    expect((await readFile(path)).length).toBe(bytes.length - 50 - buffer.recovery.truncatedBytes);
  });

  it("cuts an entry whose checksum fails at the end of the last segment", async () => {
    await fillAndClose();
    const [last] = (await segmentFiles()).slice(-1);
    const path = join(dir, "segments", last!);
    const bytes = await readFile(path);
    bytes[bytes.length - 10]! ^= 0x40;
    await writeFile(path, bytes);

    const { buffer } = await open();
    expect(buffer.stats().pending["out"]).toBe(16);
    const { records } = await readRecords(buffer.consumer("out"), 16);
    expect(ids(records)).toEqual([1, 2, 3, 4].flatMap((b) => ids(makeRecords(b, 4))));
  });

  it("skips a corrupt entry in the middle of an older segment, counts it and reads on", async () => {
    await fillAndClose({ segment_bytes: 8192, max_bytes: 1 << 20 }, 12);
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(1);
    const path = join(dir, "segments", files[0]!);
    const bytes = await readFile(path);
    const entrySize = bytes.readUInt32LE(4) + 12;
    // Flip one byte inside the second entry's payload.
    bytes[entrySize + 100]! ^= 0xff;
    await writeFile(path, bytes);

    const { buffer, metrics, logs } = await open({ segment_bytes: 8192, max_bytes: 1 << 20 });
    expect(buffer.recovery.corruptRegions).toBe(1);
    expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="crc_mismatch"}']).toBe(1);
    expect(logs.some((l) => l.level === "error" && l.message.includes("corrupt region"))).toBe(true);
    const expected = [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].flatMap((b) => ids(makeRecords(b, 4)));
    expect(buffer.stats().pending["out"]).toBe(expected.length);
    const { records } = await readRecords(buffer.consumer("out"), expected.length, { commit: true });
    expect(ids(records)).toEqual(expected);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("counts a corrupt region once, not again when consumers read past it", async () => {
    await fillAndClose({ segment_bytes: 8192, max_bytes: 1 << 20 }, 12);
    const path = join(dir, "segments", (await segmentFiles())[0]!);
    const bytes = await readFile(path);
    bytes[20]! ^= 0xff;
    await writeFile(path, bytes);

    const { buffer, metrics } = await open({ segment_bytes: 8192, max_bytes: 1 << 20 }, ["out"]);
    await readRecords(buffer.consumer("out"), 44);
    expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="crc_mismatch"}']).toBe(1);
  });

  it("deletes a segment that holds nothing readable", async () => {
    await fillAndClose();
    const path = join(dir, "segments", (await segmentFiles())[0]!);
    await writeFile(path, Buffer.alloc(500, 0xaa));

    const { buffer } = await open();
    expect(buffer.recovery.removedSegments).toBeGreaterThanOrEqual(1);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("skips an entry that got corrupted while running, reports it and keeps pending exact", async () => {
    const { buffer, metrics, logs } = await open();
    for (let b = 1; b <= 3; b++) await buffer.append(makeRecords(b, 4));
    const path = join(dir, "segments", (await segmentFiles())[0]!);
    const bytes = await readFile(path);
    const second = [...scanFrames(bytes)][1]!;
    bytes[second.offset + 40]! ^= 0xff;
    await writeFile(path, bytes);

    const { records } = await readRecords(buffer.consumer("out"), 8, { commit: true });
    expect(ids(records)).toEqual([...ids(makeRecords(1, 4)), ...ids(makeRecords(3, 4))]);
    expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="crc_mismatch"}']).toBe(1);
    expect(logs.some((l) => l.level === "error" && l.fields?.["consumer"] === "out")).toBe(true);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("skips an entry whose payload cannot be decoded and counts its records as lost", async () => {
    const first = await open();
    await first.buffer.append(makeRecords(1, 4));
    await first.buffer.close();
    const path = join(dir, "segments", (await segmentFiles())[0]!);
    await appendFile(path, encodeFrame(4, 3, undefined, [Buffer.from([0xc1, 0xc1])]));

    const { buffer, metrics } = await open();
    expect(buffer.stats().pending["out"]).toBe(7);
    await buffer.append(makeRecords(2, 2));
    const { records } = await readRecords(buffer.consumer("out"), 6, { commit: true });
    expect(ids(records)).toEqual([...ids(makeRecords(1, 4)), ...ids(makeRecords(2, 2))]);
    expect(metrics.snapshot()['logpipe_buffer_lost_records_total{consumer="out"}']).toBe(3);
    expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="undecodable_payload"}']).toBe(1);
    expect(buffer.stats().pending["out"]).toBe(0);
  });

  it("moves past a segment file that was cut short behind its back", async () => {
    const { buffer, metrics } = await open();
    await buffer.append(makeRecords(1, 4));
    await truncate(join(dir, "segments", (await segmentFiles())[0]!), 0);

    const reading = buffer.consumer("out").read(100);
    await vi.waitFor(
      () =>
        expect(metrics.snapshot()['logpipe_buffer_corrupt_entries_total{reason="file_shortened"}']).toBe(1),
      { timeout: 10_000, interval: 5 },
    );
    await buffer.append(makeRecords(2, 2));
    expect(ids((await reading).records)).toEqual(ids(makeRecords(2, 2)));
  });

  it("opens an empty directory with nothing pending", async () => {
    const { buffer } = await open();
    expect(buffer.recovery).toMatchObject({ segments: 0, entries: 0, truncatedBytes: 0 });
    expect(buffer.stats().pending).toEqual({ out: 0 });
  });
});

describe("DurableBuffer deduplication", () => {
  it("answers a repeated dedup key as duplicate and stores it once", async () => {
    const { buffer, metrics } = await open();
    expect(await buffer.append(makeRecords(1, 2), "chunk-1")).toBe("stored");
    expect(await buffer.append(makeRecords(1, 2), "chunk-1")).toBe("duplicate");
    expect(await buffer.append(makeRecords(2, 2), "chunk-2")).toBe("stored");
    expect(buffer.stats().pending["out"]).toBe(4);
    expect(metrics.snapshot()["logpipe_buffer_duplicates_total"]).toBe(1);
  });

  it("remembers dedup keys across a reopen", async () => {
    const first = await open();
    await first.buffer.append(makeRecords(1, 2), "chunk-1");
    await first.buffer.close();

    const { buffer } = await open();
    expect(await buffer.append(makeRecords(1, 2), "chunk-1")).toBe("duplicate");
    expect(buffer.stats().pending["out"]).toBe(2);
  });

  it("stores a concurrent resend of a chunk in flight only once", async () => {
    const { buffer } = await open();
    const outcomes = await Promise.all([
      buffer.append(makeRecords(1, 2), "chunk-1"),
      buffer.append(makeRecords(1, 2), "chunk-1"),
    ]);
    expect(outcomes).toEqual(["stored", "duplicate"]);
    expect(buffer.stats().pending["out"]).toBe(2);
  });

  it("forgets keys beyond dedup_window", async () => {
    const { buffer } = await open({ dedup_window: 2 });
    for (const key of ["k1", "k2", "k3"]) await buffer.append(makeRecords(1, 1), key);
    expect(await buffer.append(makeRecords(1, 1), "k1")).toBe("stored");
    expect(await buffer.append(makeRecords(1, 1), "k3")).toBe("duplicate");
  });

  it("deduplicates an oversized hostile key by its digest", async () => {
    const { buffer } = await open();
    const key = "k".repeat(100_000);
    expect(await buffer.append(makeRecords(1, 1), key)).toBe("stored");
    expect(await buffer.append(makeRecords(1, 1), key)).toBe("duplicate");
  });

  it("does not deduplicate appends without a key", async () => {
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 1));
    expect(await buffer.append(makeRecords(1, 1))).toBe("stored");
  });
});

describe("DurableBuffer durability settings", () => {
  it("shares one fsync among appends that arrive together", async () => {
    const { buffer, metrics } = await open({ fsync: "batch" });
    await Promise.all(Array.from({ length: 50 }, (_, b) => buffer.append(makeRecords(b, 10))));
    const fsyncs = metrics.snapshot()["logpipe_buffer_fsyncs_total"]!;
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(10);
  });

  it("does not fsync appends with fsync never", async () => {
    const { buffer, metrics } = await open({ fsync: "never" });
    await buffer.append(makeRecords(1, 3));
    expect(metrics.snapshot()["logpipe_buffer_fsyncs_total"] ?? 0).toBe(0);
    expect(ids((await readRecords(buffer.consumer("out"), 3)).records)).toEqual(ids(makeRecords(1, 3)));
  });

  it("gathers the appends that arrive within fsync_interval_ms into one fsync", async () => {
    // The clock stands still, so the writer always waits the full interval after the first fsync.
    const metrics = new MetricsRegistry();
    const buffer = await DurableBuffer.open(bufferConfig(dir, { fsync_interval_ms: 20 }), {
      consumers: ["out"],
      metrics,
      now: () => 0,
    });
    opened.push(buffer);
    await buffer.append(makeRecords(0, 1));
    await Promise.all(Array.from({ length: 10 }, (_, b) => buffer.append(makeRecords(b + 1, 1))));
    expect(metrics.snapshot()["logpipe_buffer_fsyncs_total"]).toBe(2);
    expect(buffer.stats().pending["out"]).toBe(11);
  });
});

describe("DurableBuffer hostile and invalid use", () => {
  it("rejects records MessagePack cannot hold and keeps working", async () => {
    const { buffer } = await open();
    await expect(buffer.append(makeRecords(1, 1, { bad: Symbol("x") }))).rejects.toMatchObject({
      code: "unencodable_records",
      stage: "receiving",
    });
    await buffer.append(makeRecords(2, 1));
    expect(ids((await readRecords(buffer.consumer("out"), 1)).records)).toEqual(["b2-r0"]);
  });

  it("rejects appends after close", async () => {
    const { buffer } = await open();
    await buffer.close();
    await expect(buffer.append(makeRecords(1, 1))).rejects.toMatchObject({ code: "buffer_closed" });
  });

  it("completes appends already in flight when closed", async () => {
    const { buffer } = await open();
    const appends = [1, 2, 3].map((b) => buffer.append(makeRecords(b, 2)));
    await buffer.close();
    await expect(Promise.all(appends)).resolves.toEqual(["stored", "stored", "stored"]);
    const reopened = (await open()).buffer;
    expect(reopened.stats().pending["out"]).toBe(6);
  });

  it("closes idempotently", async () => {
    const { buffer } = await open();
    await Promise.all([buffer.close(), buffer.close()]);
    await expect(buffer.close()).resolves.toBeUndefined();
  });

  it("refuses a second open of the same directory", async () => {
    await open();
    await expect(open()).rejects.toMatchObject({ code: "buffer_locked" });
  });

  it("refuses a directory held by another live process", async () => {
    // The parent of this test process is alive for as long as the test runs.
    await writeFile(join(dir, "LOCK"), `${process.ppid}\n`);
    await expect(open()).rejects.toMatchObject({ code: "buffer_locked" });
  });

  it("takes over a lock left by a process that died", async () => {
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    await writeFile(join(dir, "LOCK"), `${child.stdout.toString()}\n`);
    const { buffer } = await open();
    await buffer.append(makeRecords(1, 1));
    expect(buffer.stats().pending["out"]).toBe(1);
  });

  it("rejects invalid consumer declarations", async () => {
    const metrics = new MetricsRegistry();
    const config = bufferConfig(dir);
    await expect(DurableBuffer.open(config, { consumers: [], metrics })).rejects.toThrow(/at least one/);
    await expect(DurableBuffer.open(config, { consumers: ["../evil"], metrics })).rejects.toThrow(
      /consumer name/,
    );
    await expect(DurableBuffer.open(config, { consumers: ["a", "a"], metrics })).rejects.toThrow(/unique/);
  });

  it("rejects a config that breaks the schema", async () => {
    const metrics = new MetricsRegistry();
    await expect(
      DurableBuffer.open({ ...bufferConfig(dir), max_bytes: -1 }, { consumers: ["out"], metrics }),
    ).rejects.toThrow();
  });
});
