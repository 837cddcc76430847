import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HttpInputError } from "../../../../collectors/inputs/http/errors.js";
import {
  bodyFormatFor,
  exceedsDepth,
  type ParseLimits,
  parseBody,
} from "../../../../collectors/inputs/http/parse.js";

const LIMITS: ParseLimits = { maxLineBytes: 1024, maxDepth: 8, maxEvents: 100 };

function ndjson(text: string, limits = LIMITS) {
  return parseBody(Buffer.from(text, "utf8"), "ndjson", limits);
}

function json(text: string, limits = LIMITS) {
  return parseBody(Buffer.from(text, "utf8"), "json", limits);
}

/** The reason the parser gives for text JSON.parse refuses, built from the engine's own message. */
function invalidJson(text: string): string {
  try {
    JSON.parse(text);
  } catch (error) {
    return `invalid JSON: ${(error as Error).message}`;
  }
  throw new Error(`${text} is valid JSON`);
}

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
}

describe("bodyFormatFor", () => {
  it.each([
    ["application/x-ndjson", "ndjson"],
    ["application/jsonl", "ndjson"],
    ["text/plain; charset=utf-8", "ndjson"],
    ["Application/JSON; charset=UTF-8", "json"],
    [undefined, "ndjson"],
  ])("reads %s as %s", (type, format) => {
    expect(bodyFormatFor(type)).toBe(format);
  });

  it("refuses media types it cannot read", () => {
    expect(bodyFormatFor("application/x-www-form-urlencoded")).toBeUndefined();
    expect(bodyFormatFor("application/x-protobuf")).toBeUndefined();
  });
});

describe("parseBody, NDJSON", () => {
  it("turns each line into a record with its line number", () => {
    const out = ndjson('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(out.records).toEqual([
      { line: 1, record: { a: 1 } },
      { line: 2, record: { b: 2 } },
      { line: 3, record: { c: 3 } },
    ]);
    expect(out.rejected).toEqual([]);
  });

  it("skips empty and blank lines but keeps physical line numbers", () => {
    const out = ndjson('\n{"a":1}\r\n   \r\n\t\n{"b":2}');
    expect(out.records.map((r) => r.line)).toEqual([2, 5]);
    expect(out.rejected).toEqual([]);
  });

  it("ignores a UTF-8 byte-order mark before the first record", () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]);
    expect(parseBody(body, "ndjson", LIMITS).records).toEqual([{ line: 1, record: { a: 1 } }]);
  });

  it("keeps the good lines and lists each bad one by line number and reason", () => {
    const out = ndjson('{"a":1}\n{"a":2,}\n{"a":3}\nnot json\n{"a":5}\n');
    expect(out.records.map((r) => r.record)).toEqual([{ a: 1 }, { a: 3 }, { a: 5 }]);
    expect(out.rejected).toEqual([
      { line: 2, code: "invalid_json", reason: invalidJson('{"a":2,}') },
      { line: 4, code: "invalid_json", reason: invalidJson("not json") },
    ]);
  });

  it("rejects lines that are valid JSON but not objects", () => {
    const out = ndjson('[1,2]\n"text"\n42\nnull\ntrue\n{"ok":1}');
    expect(out.rejected).toEqual([
      { line: 1, code: "not_object", reason: "not a JSON object: got array" },
      { line: 2, code: "not_object", reason: "not a JSON object: got string" },
      { line: 3, code: "not_object", reason: "not a JSON object: got number" },
      { line: 4, code: "not_object", reason: "not a JSON object: got null" },
      { line: 5, code: "not_object", reason: "not a JSON object: got boolean" },
    ]);
    expect(out.records).toEqual([{ line: 6, record: { ok: 1 } }]);
  });

  it("accepts nesting at the depth limit and rejects one level deeper", () => {
    const out = ndjson(`${nested(8)}\n${nested(9)}`);
    expect(out.records.map((r) => r.line)).toEqual([1]);
    expect(out.rejected).toEqual([{ line: 2, code: "too_deep", reason: "nested deeper than 8 levels" }]);
  });

  it("rejects a hostile deeply nested line without sinking its neighbours", () => {
    const hostile = `{"x":${"[".repeat(100_000)}${"]".repeat(100_000)}}`;
    const limits = { ...LIMITS, maxLineBytes: 1_000_000 };
    const out = ndjson(`{"a":1}\n${hostile}\n{"a":3}`, limits);
    expect(out.records.map((r) => r.record)).toEqual([{ a: 1 }, { a: 3 }]);
    expect(out.rejected).toEqual([{ line: 2, code: "too_deep", reason: "nested deeper than 8 levels" }]);
  });

  it("does not count brackets inside strings, even after escaped quotes", () => {
    const text = JSON.stringify({ message: `say \\"${"[{".repeat(50)}\\" ok` });
    expect(ndjson(text).records).toHaveLength(1);
  });

  it("rejects a line over the byte limit and keeps the others", () => {
    const long = JSON.stringify({ m: "x".repeat(2000) });
    const out = ndjson(`{"a":1}\n${long}\n{"a":3}`);
    expect(out.records.map((r) => r.line)).toEqual([1, 3]);
    expect(out.rejected).toEqual([
      {
        line: 2,
        code: "line_too_long",
        reason: `record is ${Buffer.byteLength(long)} bytes, over the 1024-byte limit`,
      },
    ]);
  });

  it("measures the line limit in bytes, not characters", () => {
    const line = JSON.stringify({ m: "é".repeat(600) });
    expect(line.length).toBeLessThan(1024);
    expect(ndjson(line).rejected[0]?.code).toBe("line_too_long");
  });

  it("repairs invalid UTF-8 with U+FFFD instead of rejecting the line", () => {
    const body = Buffer.concat([
      Buffer.from('{"m":"a'),
      Buffer.from([0xff, 0xc3]),
      Buffer.from('b"}\n{"m":"ok"}'),
    ]);
    const out = parseBody(body, "ndjson", LIMITS);
    expect(out.repairedUtf8).toBe(true);
    expect(out.records.map((r) => r.record)).toEqual([{ m: "a\uFFFD\uFFFDb" }, { m: "ok" }]);
  });

  it("reports clean UTF-8 as not repaired", () => {
    expect(ndjson('{"m":"héllo ✓"}').repairedUtf8).toBe(false);
  });

  it("rejects a __proto__ key at any depth, also when spelled with escapes", () => {
    const out = ndjson(
      '{"__proto__":{"admin":true}}\n{"a":{"\\u005f_proto__":1}}\n{"m":"__proto__ is fine as a value"}',
    );
    expect(out.rejected).toEqual([
      { line: 1, code: "forbidden_key", reason: 'key "__proto__" is not allowed' },
      { line: 2, code: "forbidden_key", reason: 'key "__proto__" is not allowed' },
    ]);
    expect(out.records.map((r) => r.line)).toEqual([3]);
  });

  it("refuses the whole body when it holds more records than allowed", () => {
    const body = '{"a":1}\n'.repeat(101);
    expect(() => ndjson(body)).toThrow(HttpInputError);
    try {
      ndjson(body);
    } catch (error) {
      expect((error as HttpInputError).status).toBe(413);
      expect((error as HttpInputError).code).toBe("too_many_events");
    }
  });

  it("counts rejected lines toward the record limit but not blank ones", () => {
    expect(ndjson(`${"bad\n".repeat(50)}${"\n".repeat(500)}${'{"a":1}\n'.repeat(50)}`).records).toHaveLength(
      50,
    );
  });

  it("clips very long parser messages", () => {
    const out = ndjson(`{"a": ${"x".repeat(5000)}}`, { ...LIMITS, maxLineBytes: 10_000 });
    expect(out.rejected[0]!.reason.length).toBeLessThanOrEqual(200);
  });
});

describe("parseBody, JSON", () => {
  it("reads a single object", () => {
    expect(json('{"a":1}').records).toEqual([{ line: 1, record: { a: 1 } }]);
  });

  it("reads a pretty-printed single object", () => {
    expect(json(JSON.stringify({ a: 1, b: { c: [1, 2] } }, null, 2)).records).toEqual([
      { line: 1, record: { a: 1, b: { c: [1, 2] } } },
    ]);
  });

  it("reads each array element as a record numbered by position", () => {
    const out = json('[{"a":1}, {"b":2} ,{"c":3}]');
    expect(out.records).toEqual([
      { line: 1, record: { a: 1 } },
      { line: 2, record: { b: 2 } },
      { line: 3, record: { c: 3 } },
    ]);
  });

  it("reads an empty array as no records", () => {
    expect(json(" [ ] ")).toEqual({ records: [], rejected: [], repairedUtf8: false });
  });

  it("keeps the good elements when one is invalid or not an object", () => {
    const out = json('[{"a":1}, {"a":}, "str", {"a":4}]');
    expect(out.records.map((r) => r.line)).toEqual([1, 4]);
    expect(out.rejected).toEqual([
      { line: 2, code: "invalid_json", reason: invalidJson('{"a":}') },
      { line: 3, code: "not_object", reason: "not a JSON object: got string" },
    ]);
  });

  it("does not split on commas inside nested values or strings", () => {
    const out = json('[{"a":[1,2,{"b":","}],"c":"x,y]"}]');
    expect(out.records).toEqual([{ line: 1, record: { a: [1, 2, { b: "," }], c: "x,y]" } }]);
  });

  it("reports a trailing comma as an empty element", () => {
    const out = json('[{"a":1},]');
    expect(out.records).toHaveLength(1);
    expect(out.rejected).toEqual([{ line: 2, code: "invalid_json", reason: invalidJson("") }]);
  });

  it("keeps complete elements of a truncated array and reports the truncation", () => {
    const out = json('[{"a":1},{"b":2},{"c":');
    expect(out.records.map((r) => r.record)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(out.rejected).toEqual([
      { line: 3, code: "invalid_json", reason: invalidJson('{"c":') },
      {
        line: 4,
        code: "invalid_json",
        reason: "invalid JSON: the array is not closed with ] (truncated body?)",
      },
    ]);
  });

  it("reports content after the closing bracket", () => {
    const out = json('[{"a":1}] {"b":2}');
    expect(out.records).toHaveLength(1);
    expect(out.rejected).toEqual([
      {
        line: 2,
        code: "invalid_json",
        reason: "invalid JSON: unexpected content after the closing ] of the array",
      },
    ]);
  });

  it("rejects a too-deep element by position and keeps the others", () => {
    const out = json(`[{"a":1},${nested(9)},{"a":3}]`);
    expect(out.records.map((r) => r.line)).toEqual([1, 3]);
    expect(out.rejected).toEqual([{ line: 2, code: "too_deep", reason: "nested deeper than 8 levels" }]);
  });

  it("rejects a hostile unclosed nesting without parsing it", () => {
    const out = json(`[${"[".repeat(200_000)}`, { ...LIMITS, maxLineBytes: 1_000_000 });
    expect(out.records).toEqual([]);
    expect(out.rejected.map((r) => r.code)).toEqual(["too_deep", "invalid_json"]);
  });

  it("rejects an element over the byte limit by position", () => {
    const long = JSON.stringify({ m: "x".repeat(2000) });
    const out = json(`[{"a":1},${long}]`);
    expect(out.records.map((r) => r.line)).toEqual([1]);
    expect(out.rejected.map((r) => [r.line, r.code])).toEqual([[2, "line_too_long"]]);
  });

  it("rejects a single value that is not an object", () => {
    expect(json('"hello"').rejected).toEqual([
      { line: 1, code: "not_object", reason: "not a JSON object: got string" },
    ]);
  });

  it("reports a broken single document once, at line 1", () => {
    const text = '{\n  "a": 1,\n  "b": \n}';
    expect(json(text)).toEqual({
      records: [],
      rejected: [{ line: 1, code: "invalid_json", reason: invalidJson(text) }],
      repairedUtf8: false,
    });
  });

  it("reads NDJSON sent as application/json line by line", () => {
    const out = json('{"a":1}\n{"a":2}\nbad\n');
    expect(out.records.map((r) => r.record)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(out.rejected).toEqual([{ line: 3, code: "invalid_json", reason: invalidJson("bad") }]);
  });

  it("refuses an array with more elements than allowed", () => {
    expect(() => json(`[${'{"a":1},'.repeat(100)}{"a":1}]`)).toThrow(/more than 100 records/);
  });
});

describe("exceedsDepth", () => {
  it("answers false for shallow text and true past the limit", () => {
    expect(exceedsDepth('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(exceedsDepth('{"a":[1,{"b":2}]}', 2)).toBe(true);
  });

  it("ignores brackets inside strings", () => {
    expect(exceedsDepth(`{"a":"${"[".repeat(100)}"}`, 1)).toBe(false);
  });
});

describe("parseBody properties", () => {
  // `__proto__` keys are refused by design (see above), so the generator leaves them out.
  const record = fc
    .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })
    .filter((r) => !JSON.stringify(r).includes('"__proto__"'));
  const wide = { maxLineBytes: 1 << 20, maxDepth: 32, maxEvents: 1000 };

  it("reads back every record written as NDJSON or as a JSON array", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const expected = records.map((r) => JSON.parse(JSON.stringify(r)));
        const lines = parseBody(
          Buffer.from(records.map((r) => JSON.stringify(r)).join("\n")),
          "ndjson",
          wide,
        );
        const array = parseBody(Buffer.from(JSON.stringify(records)), "json", wide);
        expect(lines.records.map((r) => r.record)).toEqual(expected);
        expect(array.records.map((r) => r.record)).toEqual(expected);
        expect(lines.rejected).toEqual([]);
        expect(array.rejected).toEqual([]);
      }),
    );
  });

  it("never throws anything but a whole-request refusal on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom("ndjson", "json"), (bytes, format) => {
        try {
          const out = parseBody(Buffer.from(bytes), format as "ndjson" | "json", LIMITS);
          for (const r of out.records) expect(typeof r.record).toBe("object");
        } catch (error) {
          expect(error).toBeInstanceOf(HttpInputError);
        }
      }),
    );
  });
});
