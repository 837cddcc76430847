import { gzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { ForwardInputConfigSchema } from "../../../../collectors/inputs/forward/config.js";
import { ForwardInput } from "../../../../collectors/inputs/forward/input.js";
import { MetricsRegistry } from "../../../../core/metrics.js";
import {
  entry,
  type ForwardTestClient,
  forwardFrame,
  messageFrame,
  pack,
  packedForwardFrame,
} from "../../../support/forward-client.js";
import { MemoryIngestTarget } from "../../../support/memory-ingest-target.js";
import { DATA_FOLDERS, exchanges, FIXTURE_RECORD, FIXTURE_TAG } from "./fluent-bit-fixtures.js";
import { eventually, type Harness, startForward } from "./harness.js";

const T = 1_700_000_000;

/** Sends one chunk and answers the ack frame the server wrote back. */
async function sendChunk(client: ForwardTestClient, chunk: string, records: Record<string, unknown>[]) {
  await client.write(
    forwardFrame(
      "good",
      records.map((r) => entry(T, r)),
      { chunk },
    ),
  );
  return client.nextFrame();
}

describe("Fluent Bit frames over TCP", () => {
  for (const folder of DATA_FOLDERS) {
    test(`${folder}: records, times and acks match what Fluent Bit sent and received`, async () => {
      const h = await startForward();
      const client = await h.connect();
      const frames = exchanges(folder);
      for (const exchange of frames) {
        const readsBefore = client.reads.length;
        await client.write(exchange.frame);
        if (exchange.ack) {
          const ack = await client.nextFrame();
          expect(ack?.raw).toEqual(exchange.ack);
          // the ack arrived in one read, as Fluent Bit needs it
          expect(client.reads.slice(readsBefore)).toEqual([exchange.ack]);
        }
      }
      const expectedTimes = frames.flatMap((f) => f.times);
      await eventually(() => expect(h.target.records).toHaveLength(expectedTimes.length));
      expect(h.target.records.map((r) => r.time)).toEqual(expectedTimes);
      for (const record of h.target.records) {
        expect(record.record).toEqual(FIXTURE_RECORD);
        expect(record.tag).toBe(FIXTURE_TAG);
        expect(record.source).toBe("forward");
      }
      expect(h.metric("logpipe_forward_events_total")).toBe(expectedTimes.length);
      expect(h.metric("logpipe_forward_acks_total")).toBe(frames.filter((f) => f.ack).length);
    });
  }

  test("a frame written one byte at a time decodes and is acked the same", async () => {
    const h = await startForward();
    const client = await h.connect();
    for (const exchange of [exchanges("gzip_ack")[1]!, exchanges("plain_ack")[0]!]) {
      await client.writeInPieces(exchange.frame, 1);
      expect((await client.nextFrame())?.raw).toEqual(exchange.ack);
    }
    expect(h.target.records.map((r) => r.time)).toEqual([
      ...exchanges("gzip_ack")[1]!.times,
      ...exchanges("plain_ack")[0]!.times,
    ]);
    expect(h.target.records.every((r) => JSON.stringify(r.record) === JSON.stringify(FIXTURE_RECORD))).toBe(
      true,
    );
  });

  test("several frames in one write are processed in order, acks in order", async () => {
    const h = await startForward();
    const client = await h.connect();
    const frames = exchanges("plain_ack");
    await client.write(Buffer.concat(frames.map((f) => f.frame)));
    for (const exchange of frames) expect((await client.nextFrame())?.raw).toEqual(exchange.ack);
    expect(h.target.appends.map((a) => a.records.length)).toEqual(frames.map((f) => f.times.length));
  });

  test("reports the real port it listens on", async () => {
    const h = await startForward();
    expect(h.address).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    expect(h.address).not.toMatch(/:0$/);
  });
});

describe("chunks and duplicates", () => {
  test("a resent chunk (same id, same content) is acked again and stored once", async () => {
    const h = await startForward();
    const client = await h.connect();
    const frame = exchanges("plain_ack")[0]!;
    await client.write(frame.frame);
    expect((await client.nextFrame())?.raw).toEqual(frame.ack);
    const again = await h.connect();
    await again.write(frame.frame);
    expect((await again.nextFrame())?.raw).toEqual(frame.ack);
    expect(h.target.records).toHaveLength(2);
    expect(h.target.appends).toHaveLength(1);
    expect(h.metric("logpipe_forward_duplicates_total")).toBe(1);
    expect(h.metric("logpipe_forward_acks_total")).toBe(2);
  });

  test("a chunk id reused with different content is stored again", async () => {
    const h = await startForward();
    const client = await h.connect();
    await client.write(messageFrame("app", T, { n: 1 }, { chunk: "same-id" }));
    expect(await client.nextFrame()).toMatchObject({ value: { ack: "same-id" } });
    await client.write(messageFrame("app", T, { n: 2 }, { chunk: "same-id" }));
    expect(await client.nextFrame()).toMatchObject({ value: { ack: "same-id" } });
    expect(h.target.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(h.target.records[0]!.id).not.toBe(h.target.records[1]!.id);
  });

  test("a resent chunk carries the same event ids", async () => {
    const target = new MemoryIngestTarget();
    const first = await startForward({}, target);
    const frame = exchanges("gzip_ack")[1]!.frame;
    const a = await first.connect();
    await a.write(frame);
    await a.nextFrame();
    const ids = target.records.map((r) => r.id);
    const other = await startForward();
    const b = await other.connect();
    await b.write(frame);
    await b.nextFrame();
    expect(other.target.records.map((r) => r.id)).toEqual(ids);
  });

  test("frames without a chunk are stored without being acked", async () => {
    const h = await startForward();
    const client = await h.connect();
    await client.write(Buffer.concat([messageFrame("app", T, { n: 1 }), messageFrame("app", T, { n: 2 })]));
    await eventually(() => expect(h.target.records).toHaveLength(2));
    expect(h.metric("logpipe_forward_acks_total")).toBe(0);
    expect(client.reads).toEqual([]);
  });

  test("Packed and Forward entries that all check out are stored as the client's bytes", async () => {
    const h = await startForward();
    const client = await h.connect();
    const entries = [entry(T, { n: 1 }), entry(T + 1, { n: 2 })];
    await client.write(packedForwardFrame("app", Buffer.concat(entries), { chunk: "p" }));
    await client.nextFrame();
    await client.write(forwardFrame("app", entries, { chunk: "f" }));
    await client.nextFrame();
    expect(h.target.appends.map((a) => a.packed)).toEqual([true, true]);
    expect(h.target.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 2 }, { n: 1 }, { n: 2 }]);
    expect(h.target.records.map((r) => r.time)).toEqual([T * 1000, (T + 1) * 1000, T * 1000, (T + 1) * 1000]);
    expect(h.metric("logpipe_forward_events_total")).toBe(4);
  });

  test("ack-less packed frames and Message frames keep their order on the connection", async () => {
    const h = await startForward();
    const client = await h.connect();
    await client.write(
      Buffer.concat([
        messageFrame("app", T, { n: 1 }),
        packedForwardFrame("app", Buffer.concat([entry(T, { n: 2 }), entry(T, { n: 3 })])),
        messageFrame("app", T, { n: 4 }),
        messageFrame("app", T, { n: 5 }, { chunk: "last" }),
      ]),
    );
    await client.nextFrame();
    expect(h.target.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    expect(new Set(h.target.records.map((r) => r.id)).size).toBe(5);
  });

  test("a chunk after ack-less frames is acked only once those are stored too", async () => {
    const h = await startForward();
    const client = await h.connect();
    await client.write(
      Buffer.concat([messageFrame("app", T, { n: 1 }), messageFrame("app", T, { n: 2 }, { chunk: "c" })]),
    );
    await client.nextFrame();
    expect(h.target.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 2 }]);
  });
});

describe("bad input closes only the offending connection", () => {
  /** Runs `bad` on one connection while a good client stores and gets acked on another. */
  async function withGoodNeighbour(h: Harness, bad: (client: ForwardTestClient) => Promise<void>) {
    const good = await h.connect();
    const badClient = await h.connect();
    await bad(badClient);
    const ack = await sendChunk(good, "good-1", [{ ok: 1 }]);
    expect(ack?.value).toEqual({ ack: "good-1" });
    expect(h.target.records.filter((r) => r.tag === "good").map((r) => r.record)).toEqual([{ ok: 1 }]);
    return badClient;
  }

  async function expectClosedWith(h: Harness, client: ForwardTestClient, code: string) {
    await client.closed;
    await eventually(() => expect(h.metric(`logpipe_forward_errors_total{code="${code}"}`)).toBe(1));
    expect(h.logs.some((l) => l.level === "warn" && l.fields?.["code"] === code)).toBe(true);
  }

  test("malformed msgpack", async () => {
    const h = await startForward();
    const bad = await withGoodNeighbour(h, (c) => c.write(Buffer.from([0x93, 0xa3, 0x61, 0x70, 0x70, 0xc1])));
    await expectClosedWith(h, bad, "malformed_msgpack");
  });

  test("a frame truncated by the client closing", async () => {
    const h = await startForward();
    const frame = exchanges("plain_ack")[0]!.frame;
    const bad = await withGoodNeighbour(h, async (c) => {
      await c.write(frame.subarray(0, 100));
      c.end();
    });
    await expectClosedWith(h, bad, "truncated_frame");
    expect(h.target.records.filter((r) => r.tag === FIXTURE_TAG)).toEqual([]);
  });

  test("a frame over max_frame_bytes", async () => {
    const h = await startForward({ max_frame_bytes: 4096 });
    const big = forwardFrame("app", [entry(T, { message: "x".repeat(8000) })], { chunk: "big" });
    const bad = await withGoodNeighbour(h, (c) => c.write(big).catch(() => undefined));
    await expectClosedWith(h, bad, "frame_too_large");
    expect(bad.reads).toEqual([]);
  });

  test("a gzip bomb over max_decompressed_bytes", async () => {
    const h = await startForward({ max_decompressed_bytes: 256 * 1024 });
    const bomb = gzipSync(Buffer.alloc(8 * 1024 * 1024), { level: 9 });
    const frame = packedForwardFrame("app", bomb, { chunk: "bomb", compressed: "gzip" });
    const bad = await withGoodNeighbour(h, (c) => c.write(frame));
    await expectClosedWith(h, bad, "decompressed_too_large");
    expect(bad.reads).toEqual([]);
  });

  test("a corrupt gzip blob", async () => {
    const h = await startForward();
    const frame = packedForwardFrame("app", Buffer.from("not gzip at all"), {
      chunk: "z",
      compressed: "gzip",
    });
    const bad = await withGoodNeighbour(h, (c) => c.write(frame));
    await expectClosedWith(h, bad, "bad_gzip");
  });

  test("nesting deep enough to exhaust a recursive decoder", async () => {
    const h = await startForward();
    const deep = Buffer.concat([Buffer.from([0x92, 0xa1, 0x61]), Buffer.alloc(100_000, 0x91)]);
    const bad = await withGoodNeighbour(h, (c) => c.write(deep).catch(() => undefined));
    await expectClosedWith(h, bad, "too_deep");
  });

  test("a bare integer instead of a frame", async () => {
    const h = await startForward();
    const bad = await withGoodNeighbour(h, (c) => c.write(pack(42)));
    await expectClosedWith(h, bad, "bad_frame_shape");
  });

  test("invalid UTF-8 in a record is repaired, stored and acked", async () => {
    const h = await startForward();
    const client = await h.connect();
    const record = Buffer.concat([
      Buffer.from([0x81, 0xa7]),
      Buffer.from("message"),
      Buffer.from([0xa3, 0x61, 0xff, 0x62]),
    ]);
    const frame = forwardFrame("app", [Buffer.concat([Buffer.from([0x92]), pack(T), record])], {
      chunk: "utf8",
    });
    await client.write(frame);
    expect((await client.nextFrame())?.value).toEqual({ ack: "utf8" });
    expect(h.target.records[0]!.record).toEqual({ message: "a\uFFFDb" });
    expect(client.isOpen).toBe(true);
  });

  test("a non-object record is counted and skipped; the rest of the frame is stored and acked", async () => {
    const h = await startForward();
    const client = await h.connect();
    const frame = forwardFrame("app", [entry(T, { n: 1 }), entry(T, "text"), entry(T, { n: 3 })], {
      chunk: "mixed",
    });
    await client.write(frame);
    expect((await client.nextFrame())?.value).toEqual({ ack: "mixed" });
    expect(h.target.records.map((r) => r.record)).toEqual([{ n: 1 }, { n: 3 }]);
    // Decoded here so the bad entry could be left out, rather than stored as the client's bytes.
    expect(h.target.appends.map((a) => a.packed)).toEqual([false]);
    expect(h.metric('logpipe_forward_entries_rejected_total{code="non_object_record"}')).toBe(1);
    expect(h.logs.filter((l) => l.fields?.["code"] === "non_object_record")).toHaveLength(1);
    expect(client.isOpen).toBe(true);
  });

  test("a chunk whose entries are all rejected is still acked, so it is not resent forever", async () => {
    const h = await startForward();
    const client = await h.connect();
    await client.write(forwardFrame("app", [entry(T, [1, 2])], { chunk: "none" }));
    expect((await client.nextFrame())?.value).toEqual({ ack: "none" });
    expect(h.target.appends).toEqual([]);
  });

  test("a failed append closes the connection without an ack; the resend is stored", async () => {
    const h = await startForward();
    h.target.failNextAppend = new Error("disk full");
    const frame = exchanges("plain_ack")[0]!;
    const first = await h.connect();
    await first.write(frame.frame);
    expect(await first.nextFrame()).toBeUndefined();
    expect(h.metric('logpipe_forward_errors_total{code="append_failed"}')).toBe(1);
    const retry = await h.connect();
    await retry.write(frame.frame);
    expect((await retry.nextFrame())?.raw).toEqual(frame.ack);
    expect(h.target.records).toHaveLength(2);
  });
});

describe("backpressure", () => {
  test("with the buffer full nothing is acked until space returns, then everything is", async () => {
    const h = await startForward();
    h.target.setFull(true);
    const client = await h.connect();
    const [one, two] = exchanges("plain_ack");
    await client.write(one!.frame);
    await client.write(two!.frame);
    await eventually(() => expect(h.metric("logpipe_forward_frames_total")).toBe(1));
    // give a wrongly early ack every chance to show up
    await new Promise((r) => setTimeout(r, 100));
    expect(client.reads).toEqual([]);
    expect(h.target.appends).toEqual([]);
    expect(h.metric("logpipe_forward_frames_total")).toBe(1);
    h.target.setFull(false);
    expect((await client.nextFrame())?.raw).toEqual(one!.ack);
    expect((await client.nextFrame())?.raw).toEqual(two!.ack);
    expect(h.target.records).toHaveLength(4);
  });

  test("ack-less frames wait for space too and none is lost", async () => {
    const h = await startForward();
    h.target.setFull(true);
    const client = await h.connect();
    const frames = exchanges("plain_default");
    for (const f of frames) await client.write(f.frame);
    await eventually(() => expect(h.metric("logpipe_forward_frames_total")).toBeGreaterThan(0));
    expect(h.target.appends).toEqual([]);
    h.target.setFull(false);
    const total = frames.reduce((n, f) => n + f.times.length, 0);
    await eventually(() => expect(h.target.records).toHaveLength(total));
    expect(h.target.records.map((r) => r.time)).toEqual(frames.flatMap((f) => f.times));
  });
});

describe("connection limits", () => {
  test("connections over max_connections are closed at once and counted; the others keep working", async () => {
    const h = await startForward({ max_connections: 2 });
    const a = await h.connect();
    const b = await h.connect();
    await eventually(() => expect(h.metric("logpipe_forward_connections")).toBe(2));
    const c = await h.connect();
    await c.closed;
    expect(h.metric('logpipe_forward_errors_total{code="too_many_connections"}')).toBe(1);
    expect((await sendChunk(a, "a", [{ from: "a" }]))?.value).toEqual({ ack: "a" });
    expect((await sendChunk(b, "b", [{ from: "b" }]))?.value).toEqual({ ack: "b" });
  });

  test("a closed connection frees its slot", async () => {
    const h = await startForward({ max_connections: 1 });
    const a = await h.connect();
    a.destroy();
    await eventually(() => expect(h.metric("logpipe_forward_connections")).toBe(0));
    const b = await h.connect();
    expect((await sendChunk(b, "b", [{ from: "b" }]))?.value).toEqual({ ack: "b" });
  });

  test("an idle connection is closed after idle_timeout_ms", async () => {
    const h = await startForward({ idle_timeout_ms: 100 });
    const client = await h.connect();
    await client.closed;
    expect(h.metric('logpipe_forward_errors_total{code="idle_timeout"}')).toBe(1);
  });

  test("a client waiting for its ack on a full buffer is not idle", async () => {
    const h = await startForward({ idle_timeout_ms: 100 });
    h.target.setFull(true);
    const client = await h.connect();
    const frame = exchanges("plain_ack")[0]!;
    await client.write(frame.frame);
    await new Promise((r) => setTimeout(r, 400));
    expect(client.isOpen).toBe(true);
    h.target.setFull(false);
    expect((await client.nextFrame())?.raw).toEqual(frame.ack);
  });
});

describe("lifecycle", () => {
  test("shutdown lets an in-flight append finish and its ack go out, then closes", async () => {
    const h = await startForward();
    h.target.appendDelayMs = 150;
    const client = await h.connect();
    const frame = exchanges("plain_ack")[0]!;
    await client.write(frame.frame);
    await eventually(() => expect(h.metric("logpipe_forward_frames_total")).toBe(1));
    const stopped = h.input.shutdown();
    expect((await client.nextFrame())?.raw).toEqual(frame.ack);
    // acked only once stored
    expect(h.target.records).toHaveLength(2);
    await client.closed;
    await stopped;
  });

  test("shutdown does not wait for a full buffer; the unacked chunk is left to the client to resend", async () => {
    const h = await startForward();
    h.target.setFull(true);
    const client = await h.connect();
    await client.write(exchanges("plain_ack")[0]!.frame);
    await eventually(() => expect(h.metric("logpipe_forward_frames_total")).toBe(1));
    await h.input.shutdown();
    expect(await client.nextFrame()).toBeUndefined();
    expect(h.target.appends).toEqual([]);
  });

  test("shutdown stops accepting connections", async () => {
    const h = await startForward();
    await h.input.shutdown();
    await expect(h.connect()).rejects.toThrow();
  });

  test("shutdown is idempotent and safe without start", async () => {
    const input = new ForwardInput(ForwardInputConfigSchema.parse({ port: 0 }), new MemoryIngestTarget(), {
      metrics: new MetricsRegistry(),
    });
    await input.shutdown();
    await input.shutdown();
    expect(input.address()).toBeUndefined();
  });

  test("a disabled input does not listen", async () => {
    const h = await startForward({ enabled: false });
    expect(h.address).toBeUndefined();
  });

  test("the config rejects unknown keys", () => {
    expect(() => ForwardInputConfigSchema.parse({ port: 0, chunk_size: 1 })).toThrow();
  });
});
