import { describe, expect, test } from "vitest";
import { LoggerLimitsSchema } from "../../../collectors/logger/config.js";
import { Normalizer } from "../../../collectors/logger/normalize.js";
import {
  buildRecord,
  isErrorLike,
  mergeFields,
  messageText,
  NO_FIELDS,
  normalizeFields,
  type RecordCore,
  recordBytes,
} from "../../../collectors/logger/record.js";

const limits = LoggerLimitsSchema.parse({});
const fields = (input: unknown) => normalizeFields(input, new Normalizer(limits));

const CORE: RecordCore = { id: "01ID", level: "info", message: "hello", service: "checkout" };

describe("normalizeFields", () => {
  test("err and error holding an Error are flattened to dotted error.* keys", () => {
    const out = fields({ err: new TypeError("boom"), other: 1 }).values;
    expect(out).toMatchObject({ "error.type": "TypeError", "error.message": "boom", other: 1 });
    expect(out["error.stack"]).toContain("TypeError: boom");
    expect(out).not.toHaveProperty("err");
  });

  test("a serialised error ({type, message, stack}) is flattened too", () => {
    expect(fields({ error: { type: "Error", message: "m", stack: "s" } }).values).toEqual({
      "error.type": "Error",
      "error.message": "m",
      "error.stack": "s",
    });
  });

  test("err holding something else is an ordinary field", () => {
    expect(fields({ err: "just text" }).values).toEqual({ err: "just text" });
  });

  test("an Error given as the fields is flattened", () => {
    expect(fields(new Error("direct")).values).toMatchObject({
      "error.type": "Error",
      "error.message": "direct",
    });
  });

  test("a non-object is kept under `fields`", () => {
    expect(fields(42).values).toEqual({ fields: 42 });
    expect(fields(["a"]).values).toEqual({ fields: ["a"] });
  });

  test("undefined or null fields are no fields", () => {
    expect(fields(undefined)).toBe(NO_FIELDS);
    expect(fields(null)).toBe(NO_FIELDS);
  });

  test("a Proxy whose keys cannot be listed is reported, not thrown", () => {
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("nope");
        },
      },
    );
    expect(fields(proxy).values).toEqual({ fields: "[Unserializable: nope]" });
  });

  test("more top-level keys than maxItems are cut with a marker", () => {
    const wide = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, i]));
    expect(normalizeFields(wide, new Normalizer({ ...limits, maxItems: 2 })).values).toEqual({
      k0: 0,
      k1: 1,
      "…": "[3 more keys]",
    });
  });
});

describe("buildRecord", () => {
  test("the logger's own fields come first, then bindings, then call fields (later wins)", () => {
    const record = buildRecord(
      { ...CORE, env: "prod", host: "h1" },
      fields({ a: 1, b: 1 }),
      fields({ b: 2, c: 2 }),
    );
    expect(Object.keys(record)).toEqual(["id", "level", "message", "service", "env", "host", "a", "b", "c"]);
    expect(record).toMatchObject({ a: 1, b: 2, c: 2 });
  });

  test("id, level and message cannot be overwritten by fields; their values move to fields.<key>", () => {
    const record = buildRecord(CORE, fields({ id: "x", level: "fatal", message: "y" }));
    expect(record).toMatchObject({
      id: "01ID",
      level: "info",
      message: "hello",
      "fields.id": "x",
      "fields.level": "fatal",
      "fields.message": "y",
    });
  });

  test("service, env, host and trace ids may be set by a field holding a non-empty string", () => {
    const record = buildRecord(
      { ...CORE, trace_id: "t1" },
      fields({ service: "billing", trace_id: "t2", host: 12, env: "" }),
    );
    expect(record).toMatchObject({ service: "billing", trace_id: "t2", "fields.host": 12, "fields.env": "" });
    expect(record).not.toHaveProperty("host");
  });

  test("absent optional fields are left out rather than sent as null", () => {
    expect(Object.keys(buildRecord(CORE))).toEqual(["id", "level", "message", "service"]);
  });
});

describe("mergeFields, messageText, recordBytes, isErrorLike", () => {
  test("merging keeps both layers with the later one winning", () => {
    const merged = mergeFields(fields({ a: 1, b: 1 }), fields({ b: 2 }));
    expect(merged.values).toEqual({ a: 1, b: 2 });
    expect(mergeFields(NO_FIELDS, merged)).toBe(merged);
    expect(mergeFields(merged, NO_FIELDS)).toBe(merged);
  });

  test("a non-string message becomes text; a long one is cut", () => {
    const n = new Normalizer({ ...limits, maxStringLength: 64 });
    expect(messageText({ a: 1 }, n)).toBe('{"a":1}');
    expect(messageText(undefined, n)).toBe("");
    expect(messageText(new Error("from error"), n)).toBe("from error");
    expect(messageText("m".repeat(100), n)).toBe(`${"m".repeat(64)}…[truncated 36 chars]`);
  });

  test("the size estimate counts the message and the fields", () => {
    const base = recordBytes(CORE, 0);
    expect(recordBytes({ ...CORE, message: "x".repeat(1000) }, 0)).toBeGreaterThanOrEqual(base + 995);
    expect(recordBytes(CORE, 500)).toBe(base + 500);
  });

  test("error-likeness: real errors and serialised ones, not arbitrary objects", () => {
    expect(isErrorLike(new Error("x"))).toBe(true);
    expect(isErrorLike({ type: "E", message: "m" })).toBe(true);
    expect(isErrorLike({ message: "m" })).toBe(false);
    expect(isErrorLike("Error: x")).toBe(false);
  });
});
