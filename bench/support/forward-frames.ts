import { createHash } from "node:crypto";
import { connect, type Socket } from "node:net";
import { Packr, Unpackr } from "msgpackr";

const packr = new Packr({ useRecords: false });

/** Fluent EventTime as msgpack fixext8 type 0: seconds and nanoseconds, big-endian. */
function eventTime(ms: number): Buffer {
  const out = Buffer.alloc(10);
  out[0] = 0xd7;
  out[1] = 0x00;
  out.writeUInt32BE(Math.floor(ms / 1000), 2);
  out.writeUInt32BE((ms % 1000) * 1_000_000, 6);
  return out;
}

/** A realistic request-log record, ~200 bytes as msgpack, like the Fluent Bit fixtures. */
export function sampleRecord(i: number): Record<string, unknown> {
  return {
    level: i % 50 === 0 ? "error" : "info",
    service: "checkout-api",
    message: "order placed",
    trace_id: `4bf92f3577b34da6a3ce929d0e0e${(i % 65536).toString(16).padStart(4, "0")}`,
    http: { method: "POST", path: "/api/v1/orders", status: i % 50 === 0 ? 503 : 201, duration_ms: 12.5 },
    seq: i,
  };
}

/**
 * PackedForward frames with a `chunk` option (so the server acks each), `entriesPerChunk`
 * events each, as Fluent Bit sends them.
 */
export function packedForwardFrames(total: number, entriesPerChunk: number, startMs: number): Buffer[] {
  const frames: Buffer[] = [];
  for (let first = 0; first < total; first += entriesPerChunk) {
    const entries: Buffer[] = [];
    for (let i = first; i < Math.min(total, first + entriesPerChunk); i++) {
      entries.push(Buffer.from([0x92]), eventTime(startMs + i), packr.pack(sampleRecord(i)));
    }
    const blob = Buffer.concat(entries);
    const chunk = createHash("sha512").update(blob).digest().subarray(0, 16).toString("base64");
    frames.push(
      packr.pack(["bench.forward", blob, { chunk, size: Math.min(entriesPerChunk, total - first) }]),
    );
  }
  return frames;
}

/** The floor: decoding the same frames with msgpackr and nothing else. Returns events decoded. */
export function decodeFramesOnly(frames: Buffer[]): number {
  const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
  let events = 0;
  for (const frame of frames) {
    const [, blob] = unpackr.unpack(frame) as [string, Uint8Array];
    events += unpackr.unpackMultiple(Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength))?.length ?? 0;
  }
  // Each entry is [time, record]: unpackMultiple yields entries.
  return events;
}

/** The floor's time: the best of three `decodeFramesOnly` runs over `frames`, in seconds. */
export function floorSeconds(frames: Buffer[], events: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const decoded = decodeFramesOnly(frames);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
    if (decoded !== events) throw new Error(`floor decoded ${decoded} of ${events}`);
  }
  return best;
}

/**
 * Sends frames over `connections` sockets, each waiting for the ack of its frame before the next
 * (as an acking Fluent Bit output does with one in-flight chunk per connection).
 */
export async function sendWithAcks(
  host: string,
  port: number,
  frames: Buffer[],
  connections: number,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    const socket: Socket = connect(port, host);
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    let waiting: { resolve: () => void; reject: (error: Error) => void } | undefined;
    socket.on("data", () => waiting?.resolve());
    socket.on("error", (error) => waiting?.reject(error));
    while (next < frames.length) {
      const frame = frames[next++]!;
      await new Promise<void>((resolve, reject) => {
        waiting = { resolve, reject };
        socket.write(frame);
      });
    }
    socket.end();
  };
  await Promise.all(Array.from({ length: connections }, lane));
}
