import { createHash, timingSafeEqual } from "node:crypto";
import { ForwardProtocolError } from "./errors.js";
import type { Frame } from "./frame-decoder.js";
import { encodeBin, encodeStr, readRaw } from "./msgpack-scan.js";

/**
 * The shared-key handshake of the forward protocol: the server sends HELO with a nonce, the
 * client answers PING with a salt and `sha512_hex(salt + client_hostname + nonce + key)`, the
 * server answers PONG with `sha512_hex(salt + server_hostname + nonce + key)`. Salt and nonce
 * are raw bytes (Fluent Bit packs them as msgpack str), so they are read and hashed as bytes,
 * never as text. Username/password authentication is not offered (HELO `auth` is empty).
 */

const HELO = Buffer.from("HELO");
const PING = Buffer.from("PING");

/** `["HELO", {nonce: bin, auth: "", keepalive: true}]`, the layout Fluentd and Fluent Bit expect. */
export function encodeHelo(nonce: Uint8Array): Buffer {
  return Buffer.concat([
    Buffer.from([0x92]),
    encodeStr(HELO),
    Buffer.from([0x83]),
    encodeStr("nonce"),
    encodeBin(nonce),
    encodeStr("auth"),
    encodeStr(""),
    encodeStr("keepalive"),
    Buffer.from([0xc3]),
  ]);
}

export interface Ping {
  /** The client's hostname, raw bytes as sent (hashed as such). */
  clientHostname: Buffer;
  salt: Buffer;
  /** The hex digest the client computed. */
  digest: Buffer;
}

/** True when the frame is an array whose first element is the str "PING". */
export function isPing(frame: Frame): boolean {
  if (frame.topKind !== "array" || frame.elementCount < 1) return false;
  const first = frame.elements[0]!;
  const span = readRaw(frame.bytes, first, frame.elements[1] ?? frame.bytes.length);
  return span !== undefined && frame.bytes.subarray(span.start, span.end).equals(PING);
}

/**
 * Reads `["PING", client_hostname, salt, digest, username, password_digest]`; the last two
 * are ignored. Throws `bad_ping` on any other shape.
 */
export function parsePing(frame: Frame): Ping {
  const { bytes, elements } = frame;
  if (!isPing(frame) || frame.elementCount < 4) {
    throw new ForwardProtocolError("bad_ping", "expected [PING, hostname, salt, digest, ...]");
  }
  const field = (i: number): Buffer => {
    const span = readRaw(bytes, elements[i]!, elements[i + 1] ?? bytes.length);
    if (!span) throw new ForwardProtocolError("bad_ping", `PING element ${i} is not a string`);
    return bytes.subarray(span.start, span.end);
  };
  return { clientHostname: field(1), salt: field(2), digest: field(3) };
}

/** `sha512_hex(salt + hostname + nonce + shared_key)`, over raw bytes. */
export function sharedKeyDigest(
  salt: Uint8Array,
  hostname: Uint8Array | string,
  nonce: Uint8Array,
  sharedKey: string,
): string {
  return createHash("sha512").update(salt).update(hostname).update(nonce).update(sharedKey).digest("hex");
}

/** Whether the PING proves knowledge of the shared key (compared in constant time). */
export function verifyPing(ping: Ping, nonce: Uint8Array, sharedKey: string): boolean {
  const expected = Buffer.from(sharedKeyDigest(ping.salt, ping.clientHostname, nonce, sharedKey), "latin1");
  const got = Buffer.from(ping.digest.toString("latin1").toLowerCase(), "latin1");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** `["PONG", true, "", server_hostname, sha512_hex(salt + server_hostname + nonce + key)]`. */
export function encodePongOk(ping: Ping, nonce: Uint8Array, sharedKey: string, selfHostname: string): Buffer {
  const digest = sharedKeyDigest(ping.salt, selfHostname, nonce, sharedKey);
  return encodePong(true, "", selfHostname, digest);
}

/** `["PONG", false, reason, "", ""]`. */
export function encodePongFailure(reason: string): Buffer {
  return encodePong(false, reason, "", "");
}

function encodePong(ok: boolean, reason: string, hostname: string, digest: string): Buffer {
  return Buffer.concat([
    Buffer.from([0x95]),
    encodeStr("PONG"),
    Buffer.from([ok ? 0xc3 : 0xc2]),
    encodeStr(reason),
    encodeStr(hostname),
    encodeStr(digest),
  ]);
}
