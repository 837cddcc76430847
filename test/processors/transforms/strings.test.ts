import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  boundedJson,
  boundUtf8,
  cutChars,
  truncateUtf8,
  utf8Bytes,
  wellFormed,
} from "../../../processors/transforms/strings.js";

describe("wellFormed", () => {
  it("replaces lone surrogates with U+FFFD", () => {
    expect(wellFormed("a\ud800b\udc00")).toBe("a\ufffdb\ufffd");
  });

  it("keeps surrogate pairs", () => {
    expect(wellFormed("😀")).toBe("😀");
  });
});

describe("truncateUtf8", () => {
  it("leaves a string that fits unchanged", () => {
    expect(truncateUtf8("héllo", 6)).toBeUndefined();
  });

  it("cuts an ASCII string and names how many bytes were removed", () => {
    const out = truncateUtf8("x".repeat(1000), 100)!;
    expect(out).toMatch(/^x+…\[truncated \d+ bytes\]$/);
    const kept = out.indexOf("…");
    expect(out.endsWith(`…[truncated ${1000 - kept} bytes]`)).toBe(true);
    expect(utf8Bytes(out)).toBeLessThanOrEqual(100);
  });

  it.each([
    ["two-byte", "é"],
    ["three-byte", "€"],
    ["four-byte (surrogate pair)", "😀"],
  ])("never splits a %s character", (_name, ch) => {
    for (let max = 40; max < 60; max++) {
      const out = truncateUtf8(ch.repeat(100), max)!;
      const kept = out.slice(0, out.indexOf("…"));
      expect(kept).toBe(ch.repeat(kept.length / ch.length));
      expect(utf8Bytes(out)).toBeLessThanOrEqual(max);
      const removed = Number(/truncated (\d+) bytes/.exec(out)![1]);
      expect(utf8Bytes(kept) + removed).toBe(utf8Bytes(ch.repeat(100)));
    }
  });

  it("moves a cut inside a token back to the token's start", () => {
    const s = `paid ${"7".repeat(40)} ok`;
    const out = truncateUtf8(s, 40)!;
    expect(out).toBe(`paid …[truncated ${utf8Bytes(s) - 5} bytes]`);
  });

  it("cuts inside a token longer than the back-off distance", () => {
    const out = truncateUtf8(`a ${"7".repeat(200)}`, 100)!;
    expect(out).toMatch(/^a 7+…\[truncated \d+ bytes\]$/);
  });

  it("counts bytes an earlier cut removed", () => {
    expect(truncateUtf8("abc", 100, 50)).toBe("abc…[truncated 50 bytes]");
  });

  it("always fits the cap, whatever the input", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme", maxLength: 400 }),
        fc.integer({ min: 40, max: 300 }),
        (s, max) => {
          expect(utf8Bytes(boundUtf8(s, max))).toBeLessThanOrEqual(max);
        },
      ),
    );
  });
});

describe("cutChars", () => {
  it("does not leave half a surrogate pair", () => {
    expect(cutChars("a😀", 2)).toBe("a");
  });
});

describe("boundedJson", () => {
  it("writes valid JSON for a small value", () => {
    const value = { a: [1, "x", true, null], b: { c: 1.5 } };
    expect(JSON.parse(boundedJson(value, 1000, 10))).toEqual(value);
  });

  it("replaces what is nested too deeply with a marker", () => {
    expect(boundedJson({ a: { b: { c: 1 } } }, 1000, 2)).toBe('{"a":{"b":"[depth]"}}');
  });

  it("survives nesting that JSON.stringify cannot", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(boundedJson(deep, 1000, 8)).toBe(`${"[".repeat(8)}"[depth]"${"]".repeat(8)}`);
  });

  it("terminates on a cycle", () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = a;
    expect(boundedJson(a, 10_000, 4)).toBe(
      '{"x":1,"self":{"x":1,"self":{"x":1,"self":{"x":1,"self":"[depth]"}}}}',
    );
  });

  it("stops soon after the budget on a huge array", () => {
    const out = boundedJson(
      Array.from({ length: 100_000 }, (_, i) => i),
      1000,
      8,
    );
    expect(out.length).toBeGreaterThan(1000);
    expect(out.length).toBeLessThan(1100);
  });

  it("writes non-finite numbers as null and bigints as digits", () => {
    expect(boundedJson([Number.NaN, Number.POSITIVE_INFINITY, 10n], 100, 4)).toBe("[null,null,10]");
  });

  it("escapes lone surrogates so the output is well-formed", () => {
    const out = boundedJson({ "k\ud800": "v\udfff" }, 100, 4);
    expect(wellFormed(out)).toBe(out);
    expect(out).toBe('{"k\\ud800":"v\\udfff"}');
  });
});
