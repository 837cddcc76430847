import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { Packr, Unpackr } from "msgpackr";

/**
 * A raw Fluent forward protocol client for tests: writes exact bytes (whole, or a few at a
 * time) and reads the server's replies as complete msgpack frames, keeping each frame's raw
 * bytes and the socket reads they arrived in.
 */

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

export function pack(value: unknown): Buffer {
  return packr.pack(value);
}

export function unpack(bytes: Uint8Array): unknown {
  return unpackr.unpack(bytes);
}

/** Fluent EventTime: ext 0 with uint32 seconds and uint32 nanoseconds (fixext 8). */
export function eventTime(seconds: number, nanos: number): Buffer {
  const out = Buffer.alloc(10);
  out[0] = 0xd7;
  out[1] = 0x00;
  out.writeUInt32BE(seconds, 2);
  out.writeUInt32BE(nanos, 6);
  return out;
}

/** A `[time, record]` entry; `time` is raw msgpack bytes or a number. */
export function entry(time: Buffer | number, record: unknown): Buffer {
  return Buffer.concat([Buffer.from([0x92]), Buffer.isBuffer(time) ? time : pack(time), pack(record)]);
}

function arrayHeader(count: number): Buffer {
  if (count < 16) return Buffer.from([0x90 | count]);
  const out = Buffer.alloc(5);
  out[0] = 0xdd;
  out.writeUInt32BE(count, 1);
  return out;
}

/** `[tag, [entries...], option?]` from entries built with `entry`. */
export function forwardFrame(tag: string, entries: Buffer[], option?: Record<string, unknown>): Buffer {
  const parts = [arrayHeader(option ? 3 : 2), pack(tag), arrayHeader(entries.length), ...entries];
  if (option) parts.push(pack(option));
  return Buffer.concat(parts);
}

/** `[tag, bin(entries...), option?]`. */
export function packedForwardFrame(tag: string, blob: Buffer, option?: Record<string, unknown>): Buffer {
  return pack(option ? [tag, blob, option] : [tag, blob]);
}

/** `[tag, time, record, option?]`. */
export function messageFrame(
  tag: string,
  time: Buffer | number,
  record: unknown,
  option?: Record<string, unknown>,
): Buffer {
  const parts = [
    Buffer.from([option ? 0x94 : 0x93]),
    pack(tag),
    Buffer.isBuffer(time) ? time : pack(time),
    pack(record),
  ];
  if (option) parts.push(pack(option));
  return Buffer.concat(parts);
}

export interface ReceivedFrame {
  raw: Buffer;
  value: unknown;
}

export class ForwardTestClient {
  /** Every chunk the socket delivered, in order. */
  readonly reads: Buffer[] = [];
  readonly closed: Promise<void>;
  private buffered = Buffer.alloc(0);
  private readonly frames: ReceivedFrame[] = [];
  private waiters: (() => void)[] = [];
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.reads.push(chunk);
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.parse();
      this.wake();
    });
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      });
    });
  }

  /** Connects to `tcp://host:port` or `tls://host:port`. */
  static connect(address: string, tls?: ConnectionOptions): Promise<ForwardTestClient> {
    const url = new URL(address);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port);
    return new Promise((resolve, reject) => {
      const socket =
        url.protocol === "tls:"
          ? tlsConnect({ host, port, ...tls }, () => resolve(new ForwardTestClient(socket)))
          : netConnect({ host, port }, () => resolve(new ForwardTestClient(socket)));
      socket.once("error", reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Writes `bytes` in pieces of `size` bytes, each its own write, letting each go out first. */
  async writeInPieces(bytes: Uint8Array, size = 1): Promise<void> {
    for (let i = 0; i < bytes.length; i += size) {
      await this.write(bytes.subarray(i, i + size));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The next complete msgpack frame from the server, or undefined if it closed first. */
  async nextFrame(): Promise<ReceivedFrame | undefined> {
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.isClosed) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    let consumed = 0;
    try {
      unpackr.unpackMultiple(this.buffered, (value: unknown, start?: number, end?: number) => {
        this.frames.push({ raw: Buffer.from(this.buffered.subarray(start, end)), value });
        consumed = end ?? consumed;
      });
    } catch (error) {
      if (!(error as { incomplete?: boolean }).incomplete) throw error;
    }
    this.buffered = this.buffered.subarray(consumed);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
