import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { type ForwardTestClient, pack } from "../../../support/forward-client.js";
import { exchanges, FIXTURE_RECORD, fixture } from "./fluent-bit-fixtures.js";
import { eventually, startForward } from "./harness.js";

const KEY = "s3cret-shared-key";
const SERVER = "logpipe-test";

function sha512hex(...parts: (Buffer | string)[]): string {
  const hash = createHash("sha512");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

/** A PING as Fluent Bit builds it: the salt is raw bytes inside a msgpack str. */
function ping(hostname: string, salt: Buffer, nonce: Buffer, key: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x96]),
    pack("PING"),
    pack(hostname),
    Buffer.from([0xa0 | salt.length]),
    salt,
    pack(sha512hex(salt, hostname, nonce, key)),
    pack(""),
    pack(sha512hex("")),
  ]);
}

/** Reads the server's HELO and answers its nonce. */
async function helo(client: ForwardTestClient): Promise<Buffer> {
  const frame = await client.nextFrame();
  const [kind, options] = frame!.value as [string, { nonce: Uint8Array; auth: unknown; keepalive: boolean }];
  expect(kind).toBe("HELO");
  expect(options.nonce).toHaveLength(16);
  expect(options.keepalive).toBe(true);
  return Buffer.from(options.nonce);
}

// A salt that is not valid UTF-8: read as text, the digest would not match.
const SALT = Buffer.from([
  0x8b, 0xf7, 0x84, 0x50, 0xd8, 0xf8, 0xee, 0x51, 0x12, 0xe2, 0xed, 0x9f, 0x79, 0xcd, 0xd9, 0x63,
]);

describe("shared-key handshake", () => {
  test("HELO has the layout Fluent Bit received", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    const frame = await client.nextFrame();
    const recorded = fixture("shared_key_gzip_ack", "shared_key_gzip_ack_helo_sent.bin");
    // identical except for the random nonce
    expect(frame!.raw.length).toBe(recorded.length);
    expect(frame!.raw.subarray(0, 15)).toEqual(recorded.subarray(0, 15));
    expect(frame!.raw.subarray(31)).toEqual(recorded.subarray(31));
  });

  test("a good key gets PONG with the server digest; Fluent Bit's frames are then stored and acked", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    const nonce = await helo(client);
    await client.write(ping("fb-client", SALT, nonce, KEY));
    const pong = (await client.nextFrame())!.value as unknown[];
    expect(pong).toEqual(["PONG", true, "", SERVER, sha512hex(SALT, SERVER, nonce, KEY)]);

    const frames = exchanges("shared_key_gzip_ack");
    for (const exchange of frames) {
      await client.write(exchange.frame);
      expect((await client.nextFrame())?.raw).toEqual(exchange.ack);
    }
    expect(h.target.records.map((r) => r.time)).toEqual(frames.flatMap((f) => f.times));
    expect(h.target.records.every((r) => JSON.stringify(r.record) === JSON.stringify(FIXTURE_RECORD))).toBe(
      true,
    );
  });

  test("a wrong key gets PONG false with the reason and the connection is closed", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    const nonce = await helo(client);
    await client.write(ping("fb-client", SALT, nonce, "wrong-key"));
    expect((await client.nextFrame())?.value).toEqual(["PONG", false, "shared_key mismatch", "", ""]);
    await client.closed;
    expect(h.metric('logpipe_forward_errors_total{code="shared_key_mismatch"}')).toBe(1);
  });

  test("a digest over the salt decoded as UTF-8 text does not pass", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    const nonce = await helo(client);
    const textSalt = Buffer.from(SALT.toString("utf8"));
    const digest = sha512hex(textSalt, "fb-client", nonce, KEY);
    const frame = Buffer.concat([
      Buffer.from([0x96]),
      pack("PING"),
      pack("fb-client"),
      Buffer.from([0xb0]),
      SALT,
      pack(digest),
      pack(""),
      pack(""),
    ]);
    await client.write(frame);
    const pong = (await client.nextFrame())!.value as unknown[];
    expect(pong[1]).toBe(false);
  });

  test("data before the handshake closes the connection and stores nothing", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    await helo(client);
    await client.write(exchanges("plain_ack")[0]!.frame);
    await client.closed;
    expect(h.target.appends).toEqual([]);
    expect(h.metric('logpipe_forward_errors_total{code="handshake_required"}')).toBe(1);
  });

  test("a malformed PING closes the connection", async () => {
    const h = await startForward({ shared_key: KEY, self_hostname: SERVER });
    const client = await h.connect();
    await helo(client);
    await client.write(pack(["PING", "host"]));
    await client.closed;
    await eventually(() => expect(h.metric('logpipe_forward_errors_total{code="bad_ping"}')).toBe(1));
  });
});
