import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../../../collectors/outputs/cloudwatch-logs/config.js";
import { DROPPED_ATTRS_KEY, encodeEvent } from "../../../../collectors/outputs/cloudwatch-logs/encode.js";
import type { LogEvent } from "../../../../core/event/schema.js";
import { makeEvent } from "./helpers.js";

const bytes = (s: string) => Buffer.byteLength(s, "utf8");
const MARKER = /…\[truncated (\d+) bytes\]$/;

function truncatedOk(original: LogEvent, cap: number) {
  const result = encodeEvent(original, cap);
  if (!result.ok) throw new Error(`expected ok, got ${result.reason}`);
  expect(result.bytes).toBe(bytes(result.message));
  expect(result.bytes).toBeLessThanOrEqual(cap);
  const parsed = JSON.parse(result.message) as LogEvent;
  return { result, parsed };
}

describe("encodeEvent", () => {
  it("sends the whole event, id included, as its JSON when it fits", () => {
    const event = makeEvent({ attrs: { "user.id": "42" } });
    const result = encodeEvent(event, MAX_MESSAGE_BYTES);
    expect(result).toEqual({
      ok: true,
      message: JSON.stringify(event),
      bytes: bytes(JSON.stringify(event)),
      truncated: "none",
    });
  });

  it("shortens an oversized message and says how many bytes were cut", () => {
    const event = makeEvent({ message: "x".repeat(5_000) });
    const { result, parsed } = truncatedOk(event, 1_000);
    expect(result.truncated).toBe("message");
    expect(parsed.id).toBe(event.id);
    const match = MARKER.exec(parsed.message)!;
    const kept = parsed.message.slice(0, match.index);
    expect(kept).toBe("x".repeat(kept.length));
    expect(Number(match[1])).toBe(5_000 - kept.length);
    // The cut is as late as it can be: one more byte would not fit.
    expect(result.bytes).toBeGreaterThan(1_000 - 2);
  });

  it("truncates a 2 MB message under the default 1 MB cap", () => {
    const event = makeEvent({ message: "é".repeat(1_000_000) });
    const { result, parsed } = truncatedOk(event, MAX_MESSAGE_BYTES);
    expect(result.bytes).toBeGreaterThan(MAX_MESSAGE_BYTES - 4);
    expect(parsed.message).toMatch(MARKER);
  });

  it("keeps valid JSON under the cap for any text, cutting only on character boundaries", () => {
    const text = fc.string({
      unit: fc.oneof(
        fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
        fc.constantFrom('"', "\\", "\n", "\u0000", "\u001f", "\u2028", "😀", "中", "\ud800", "\udc00"),
      ),
      maxLength: 400,
    });
    fc.assert(
      fc.property(text, fc.integer({ min: 256, max: 1_500 }), (message, cap) => {
        const event = makeEvent({ message, id: "id-1" });
        const result = encodeEvent(event, cap);
        if (!result.ok) throw new Error(result.reason);
        expect(bytes(result.message)).toBeLessThanOrEqual(cap);
        const parsed = JSON.parse(result.message) as LogEvent;
        expect(parsed.id).toBe("id-1");
        if (result.truncated === "none") {
          expect(parsed.message).toBe(message);
          return;
        }
        const match = MARKER.exec(parsed.message)!;
        expect(match).not.toBeNull();
        const kept = parsed.message.slice(0, match.index);
        expect(message.startsWith(kept)).toBe(true);
        const last = kept.charCodeAt(kept.length - 1);
        const next = message.charCodeAt(kept.length);
        const splitPair = last >= 0xd800 && last <= 0xdbff && next >= 0xdc00 && next <= 0xdfff;
        expect(splitPair).toBe(false);
        expect(Number(match[1])).toBe(bytes(message) - bytes(kept));
      }),
      { numRuns: 400 },
    );
  });

  it("replaces huge attrs with a marker when cutting the message is not enough", () => {
    const attrs = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key.${i}`, "v".repeat(50)]));
    const event = makeEvent({ message: "short", attrs });
    const { result, parsed } = truncatedOk(event, 2_000);
    expect(result.truncated).toBe("attrs");
    expect(parsed.message).toBe("short");
    expect(Object.keys(parsed.attrs!)).toEqual([DROPPED_ATTRS_KEY]);
    expect(parsed.attrs![DROPPED_ATTRS_KEY]).toContain("200 attrs");
  });

  it("cuts both attrs and message when both are large", () => {
    const attrs = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`key.${i}`, "v".repeat(50)]));
    const event = makeEvent({ message: "m".repeat(10_000), attrs });
    const { result, parsed } = truncatedOk(event, 2_000);
    expect(result.truncated).toBe("attrs");
    expect(parsed.message).toMatch(MARKER);
    expect(parsed.attrs).toHaveProperty(DROPPED_ATTRS_KEY);
  });

  it("rejects as too_large an event whose other fields alone exceed the cap", () => {
    const event = makeEvent({ message: "m".repeat(100), http: { user_agent: "u".repeat(5_000) } });
    const result = encodeEvent(event, 1_000);
    expect(result).toMatchObject({ ok: false, code: "too_large" });
  });
});
