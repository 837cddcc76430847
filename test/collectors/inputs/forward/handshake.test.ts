import { createHash } from "node:crypto";
import { Unpackr } from "msgpackr";
import { describe, expect, test } from "vitest";
import { ForwardProtocolError } from "../../../../collectors/inputs/forward/errors.js";
import { type Frame, FrameDecoder } from "../../../../collectors/inputs/forward/frame-decoder.js";
import {
  encodeHelo,
  encodePongFailure,
  encodePongOk,
  isPing,
  parsePing,
  sharedKeyDigest,
  verifyPing,
} from "../../../../collectors/inputs/forward/handshake.js";
import { pack } from "../../../support/forward-client.js";
import { fixture } from "./fluent-bit-fixtures.js";

const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });
const DIR = "shared_key_gzip_ack";

function frameOf(bytes: Buffer): Frame {
  const decoder = new FrameDecoder({ maxFrameBytes: 1 << 20 });
  decoder.push(bytes);
  return decoder.next()!;
}

function sha512hex(...parts: (Buffer | string)[]): string {
  const hash = createHash("sha512");
  for (const part of parts) hash.update(part);
  return hash.digest("hex");
}

describe("HELO", () => {
  test("has the recorded layout: nonce as 16-byte bin, empty auth, keepalive true", () => {
    const recorded = fixture(DIR, "shared_key_gzip_ack_helo_sent.bin");
    const nonce = recorded.subarray(15, 31);
    expect(encodeHelo(nonce)).toEqual(recorded);
  });
});

describe("PING", () => {
  const recorded = fixture(DIR, "shared_key_gzip_ack_ping_1.bin");

  test("reads Fluent Bit's PING with the salt as its 16 raw bytes", () => {
    const ping = parsePing(frameOf(recorded));
    expect(ping.clientHostname.toString()).toBe("fb-client");
    expect(ping.salt).toHaveLength(16);
    expect(ping.salt).toEqual(recorded.subarray(17, 33));
    expect(ping.digest.toString()).toMatch(/^[0-9a-f]{128}$/);
  });

  test("verifies a digest computed over the raw salt, hostname, nonce and key", () => {
    const nonce = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
    const salt = Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const digest = sha512hex(salt, "fb-client", nonce, "secret");
    const bytes = Buffer.concat([
      Buffer.from([0x96]),
      pack("PING"),
      pack("fb-client"),
      Buffer.from([0xb0]),
      salt,
      pack(digest),
      pack(""),
      pack(""),
    ]);
    const ping = parsePing(frameOf(bytes));
    expect(verifyPing(ping, nonce, "secret")).toBe(true);
    expect(verifyPing(ping, nonce, "other")).toBe(false);
  });

  test("rejects a PING whose salt is not a string", () => {
    const bytes = pack(["PING", "host", 42, "digest", "", ""]);
    expect(() => parsePing(frameOf(bytes))).toThrow(ForwardProtocolError);
  });

  test("tells a PING from a data frame", () => {
    expect(isPing(frameOf(recorded))).toBe(true);
    expect(isPing(frameOf(pack(["dummy.0", [], {}])))).toBe(false);
    expect(isPing(frameOf(pack(42)))).toBe(false);
  });
});

describe("PONG", () => {
  test("answers with the server hostname and its digest, in the recorded layout", () => {
    const recorded = unpackr.unpack(fixture(DIR, "shared_key_gzip_ack_pong_sent_1.bin")) as unknown[];
    const ping = {
      clientHostname: Buffer.from("fb-client"),
      salt: Buffer.alloc(16, 7),
      digest: Buffer.alloc(0),
    };
    const nonce = Buffer.alloc(16, 9);
    const pong = unpackr.unpack(encodePongOk(ping, nonce, "secret", "capture-server")) as unknown[];
    expect(pong.slice(0, 4)).toEqual(recorded.slice(0, 4));
    expect(pong[4]).toBe(sha512hex(ping.salt, "capture-server", nonce, "secret"));
    expect(pong[4]).toBe(sharedKeyDigest(ping.salt, "capture-server", nonce, "secret"));
  });

  test("refuses with the reason Fluent Bit expects", () => {
    expect(unpackr.unpack(encodePongFailure("shared_key mismatch"))).toEqual([
      "PONG",
      false,
      "shared_key mismatch",
      "",
      "",
    ]);
  });
});
