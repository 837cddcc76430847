import { describe, expect, test } from "vitest";
import { LoggerLimitsSchema } from "../../../collectors/logger/config.js";
import { MAX_NODES, Normalizer, setKey, truncate } from "../../../collectors/logger/normalize.js";

const limits = LoggerLimitsSchema.parse({});

function normalize(value: unknown, overrides: Partial<typeof limits> = {}): unknown {
  return new Normalizer({ ...limits, ...overrides }).value(value, 0);
}

describe("Normalizer: plain data passes through", () => {
  test("strings, finite numbers, booleans, null, arrays and objects are kept as they are", () => {
    const value = {
      s: "x",
      n: -1.5,
      b: false,
      z: null,
      a: [1, "two", { three: 3 }],
      o: { deep: { er: true } },
    };
    expect(normalize(value)).toEqual(value);
  });

  test("the byte estimate grows with the data", () => {
    const small = new Normalizer(limits);
    small.value({ a: "x" }, 0);
    const large = new Normalizer(limits);
    large.value({ a: "x".repeat(1000) }, 0);
    expect(large.bytes - small.bytes).toBeGreaterThanOrEqual(999);
  });

  test("multi-byte text is estimated by its UTF-8 size", () => {
    const n = new Normalizer(limits);
    n.string("€".repeat(100));
    expect(n.bytes).toBeGreaterThanOrEqual(300);
  });
});

describe("Normalizer: values the encoder cannot take become strings or disappear", () => {
  test("BigInt, symbols and non-finite numbers become strings", () => {
    expect(normalize({ big: 2n ** 70n, sym: Symbol("tag"), nan: Number.NaN, inf: -Infinity })).toEqual({
      big: "1180591620717411303424",
      sym: "Symbol(tag)",
      nan: "NaN",
      inf: "-Infinity",
    });
  });

  test("undefined and functions are left out of objects and are null inside arrays", () => {
    expect(normalize({ u: undefined, f: () => 1, keep: 1 })).toEqual({ keep: 1 });
    expect(normalize([undefined, () => 1, 2])).toEqual([null, null, 2]);
  });

  test("dates become ISO strings, an invalid date says so", () => {
    expect(normalize({ at: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), bad: new Date(Number.NaN) })).toEqual({
      at: "2026-01-02T03:04:05.006Z",
      bad: "Invalid Date",
    });
  });

  test("binary data is summarised by its size, not dumped", () => {
    expect(normalize({ buf: Buffer.alloc(10), u8: new Uint8Array(3), ab: new ArrayBuffer(7) })).toEqual({
      buf: "[binary 10 bytes]",
      u8: "[binary 3 bytes]",
      ab: "[binary 7 bytes]",
    });
  });

  test("Maps become objects and Sets arrays", () => {
    expect(
      normalize({
        m: new Map<unknown, unknown>([
          ["a", 1],
          [2, "b"],
        ]),
        s: new Set([1, 2]),
      }),
    ).toEqual({
      m: { a: 1, "2": "b" },
      s: [1, 2],
    });
  });

  test("nested errors become type, message and stack plus their own fields", () => {
    const error = Object.assign(new SyntaxError("bad token"), { line: 3 });
    expect(normalize({ e: error })).toEqual({
      e: {
        line: 3,
        type: "SyntaxError",
        message: "bad token",
        stack: expect.stringContaining("SyntaxError: bad token"),
      },
    });
  });
});

describe("Normalizer: hostile values cost bounded work and never throw", () => {
  test("a cycle is cut with a marker, while a shared (non-cyclic) reference is kept twice", () => {
    const shared = { v: 1 };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic["me"] = cyclic;
    expect(normalize(cyclic)).toEqual({ shared: { v: 1 }, again: { v: 1 }, me: "[Circular]" });
  });

  test("nesting deeper than maxDepth is replaced by a marker", () => {
    let deep: unknown = { leaf: true };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    let out = normalize(deep, { maxDepth: 3 }) as Record<string, unknown>;
    expect(out).toEqual({ next: { next: { next: "[Object]" } } });
    out = normalize([[[[1]]]], { maxDepth: 2 }) as Record<string, unknown>;
    expect(out).toEqual([["[Array]"]]);
  });

  test("objects and arrays beyond maxItems are cut with a count of what was left out", () => {
    const wide = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]));
    expect(normalize(wide, { maxItems: 3 })).toEqual({ k0: 0, k1: 1, k2: 2, "…": "[7 more keys]" });
    expect(
      normalize(
        Array.from({ length: 10 }, (_, i) => i),
        { maxItems: 3 },
      ),
    ).toEqual([0, 1, 2, "[7 more items]"]);
  });

  test("a huge graph stops after MAX_NODES objects", () => {
    const wide = Array.from({ length: 100 }, () => Array.from({ length: 1000 }, () => ({ x: 1 })));
    const n = new Normalizer({ ...limits, maxItems: 1000 });
    const out = JSON.stringify(n.value(wide, 0));
    expect((out.match(/"x":1/g) ?? []).length).toBeLessThanOrEqual(MAX_NODES);
    expect(out).toMatch(/\[\d+ more items\]/);
  });

  test("long strings are cut to maxStringLength with a marker saying how much was cut", () => {
    expect(normalize("a".repeat(200), { maxStringLength: 64 })).toBe(
      `${"a".repeat(64)}…[truncated 136 chars]`,
    );
  });

  test("a cut never splits a surrogate pair", () => {
    const text = `${"a".repeat(63)}😀tail`;
    expect(truncate(text, 64)).toBe(`${"a".repeat(63)}…[truncated 6 chars]`);
  });

  test("a throwing getter, toJSON or Proxy trap is kept as its reason", () => {
    const getter = {
      ok: 1,
      get bad() {
        throw new Error("no access");
      },
    };
    const json = {
      toJSON() {
        throw new Error("cannot serialise");
      },
    };
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(normalize({ getter, json, proxy, revoked })).toEqual({
      getter: { ok: 1, bad: "[Throws: no access]" },
      json: "[Unserializable: cannot serialise]",
      proxy: "[Unserializable: trap]",
      revoked: expect.stringMatching(/^\[Unserializable: /),
    });
  });

  test("toJSON is honoured, including one that returns its own object", () => {
    const self = {
      a: 1,
      toJSON() {
        return this;
      },
    };
    expect(normalize({ money: { toJSON: () => "12.50 EUR" }, self })).toEqual({
      money: "12.50 EUR",
      self: { a: 1 },
    });
  });

  test("a __proto__ key is kept as data and never changes a prototype", () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"ok":1}') as object;
    const out = normalize(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toEqual({ polluted: true });
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });

  test("setKey writes __proto__ as an own key", () => {
    const target: Record<string, unknown> = {};
    setKey(target, "__proto__", 1);
    expect(Object.keys(target)).toEqual(["__proto__"]);
  });
});
