import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFLATE_HELD_BACK_BYTES,
  decodeLines,
  dedupeById,
  fitsInObject,
  groupBytesFor,
  isSettled,
  LineGrouper,
  type ListedObject,
  parseLakeLine,
  planCompaction,
  splitLinesBySize,
} from "../../../stores/lake/compaction-plan.js";

const MiB = 1024 * 1024;
const policy = {
  prefix: "",
  now: Date.parse("2026-01-05T12:20:00.000Z"),
  minObjects: 3,
  targetBytes: 8 * MiB,
  settleMinutes: 15,
};

function objects(partition: string, count: number, size = 1000): ListedObject[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `logs/${partition}/01J${String(i).padStart(23, "0")}.json.gz`,
    size,
  }));
}

describe("isSettled", () => {
  const p = { service: "a", dt: "2026-01-05", hour: "11" };

  it("is false before the hour has been closed for the settle time", () => {
    expect(isSettled(p, Date.parse("2026-01-05T12:14:59.999Z"), 15)).toBe(false);
  });

  it("is true once the hour has been closed for the settle time", () => {
    expect(isSettled(p, Date.parse("2026-01-05T12:15:00.000Z"), 15)).toBe(true);
  });
});

describe("planCompaction", () => {
  it("plans a settled hour with enough small objects, inputs in key order", () => {
    const listed = objects("service=a/dt=2026-01-05/hour=10", 3).reverse();
    const plans = planCompaction(listed, policy);
    expect(plans).toHaveLength(1);
    expect(plans[0]!.partition).toEqual({ service: "a", dt: "2026-01-05", hour: "10" });
    expect(plans[0]!.inputs.map((o) => o.key)).toEqual([...listed].reverse().map((o) => o.key));
  });

  it("leaves the current hour and an hour still settling alone", () => {
    const listed = [
      ...objects("service=a/dt=2026-01-05/hour=12", 5),
      ...objects("service=a/dt=2026-01-05/hour=11", 5),
    ];
    expect(planCompaction(listed, { ...policy, settleMinutes: 30 })).toEqual([]);
  });

  it("leaves an hour with fewer small objects than the minimum alone", () => {
    expect(planCompaction(objects("service=a/dt=2026-01-05/hour=10", 2), policy)).toEqual([]);
  });

  it("counts only objects below half the target as small, and merges only those", () => {
    const big = { key: "logs/service=a/dt=2026-01-05/hour=10/01JBIG.json.gz", size: 4 * MiB };
    const plans = planCompaction([...objects("service=a/dt=2026-01-05/hour=10", 3), big], policy);
    expect(plans[0]!.inputs.map((o) => o.key)).not.toContain(big.key);
    expect(planCompaction([...objects("service=a/dt=2026-01-05/hour=10", 2), big], policy)).toEqual([]);
  });

  it("ignores keys that are not lake objects", () => {
    const listed = [
      { key: "logs/service=a/dt=2026-01-05/hour=10/_SUCCESS", size: 0 },
      { key: "logs/service=a/dt=2026-01-05/hour=10/x.parquet", size: 0 },
      { key: "logs/README", size: 0 },
      ...objects("service=a/dt=2026-01-05/hour=10", 2),
    ];
    expect(planCompaction(listed, policy)).toEqual([]);
  });

  it("plans each partition on its own", () => {
    const listed = [
      ...objects("service=a/dt=2026-01-05/hour=10", 3),
      ...objects("service=b/dt=2026-01-05/hour=10", 1),
      ...objects("service=b/dt=2026-01-04/hour=23", 4),
    ];
    expect(
      planCompaction(listed, policy).map(
        (p) => `${p.partition.service}/${p.partition.dt}/${p.inputs.length}`,
      ),
    ).toEqual(["a/2026-01-05/3", "b/2026-01-04/4"]);
  });
});

describe("parseLakeLine", () => {
  it("accepts a JSON object with a string id", () => {
    expect(parseLakeLine('{"id":"x","message":"m"}')).toEqual({ ok: true, id: "x" });
  });

  it.each([
    ["truncated JSON", '{"id":"x","mess', "not JSON"],
    ["an array", '["id"]', "not a JSON object"],
    ["a number", "42", "not a JSON object"],
    ["null", "null", "not a JSON object"],
    ["an object without id", '{"message":"m"}', "no string id"],
    ["a numeric id", '{"id":7}', "no string id"],
    ["an empty id", '{"id":""}', "no string id"],
  ])("rejects %s with a reason", (_name, line, reason) => {
    const parsed = parseLakeLine(line);
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? "" : parsed.reason).toContain(reason);
  });

  it("does not let a __proto__ key change what it reads", () => {
    expect(parseLakeLine('{"__proto__":{"id":"evil"}}')).toEqual({ ok: false, reason: "no string id" });
  });
});

describe("decodeLines", () => {
  it("splits on newlines, drops blank lines and a trailing carriage return", () => {
    expect(decodeLines(Buffer.from('{"a":1}\r\n\n  \n{"b":2}'))).toEqual([
      { text: '{"a":1}' },
      { text: '{"b":2}' },
    ]);
  });

  it("returns a line that is not valid UTF-8 as its bytes and keeps the valid ones", () => {
    const bytes = Buffer.concat([
      Buffer.from('{"id":"a"}\n'),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
      Buffer.from('\n{"id":"b"}\n'),
    ]);
    expect(decodeLines(bytes)).toEqual([
      { text: '{"id":"a"}' },
      { invalidUtf8: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) },
      { text: '{"id":"b"}' },
    ]);
  });
});

describe("dedupeById", () => {
  it("keeps the first event of each id, in order, and counts the rest", () => {
    const events = [
      { id: "a", n: 1 },
      { id: "b", n: 2 },
      { id: "a", n: 3 },
      { id: "b", n: 4 },
      { id: "c", n: 5 },
    ];
    expect(dedupeById(events)).toEqual({
      kept: [
        { id: "a", n: 1 },
        { id: "b", n: 2 },
        { id: "c", n: 5 },
      ],
      duplicates: 2,
    });
  });
});

describe("splitting by size", () => {
  it("packs lines into groups no larger than the limit", () => {
    expect(splitLinesBySize(["aaa", "bbb", "ccc"], 8)).toEqual(["aaa\nbbb\n", "ccc\n"]);
  });

  it("gives a line larger than the limit a group of its own", () => {
    expect(splitLinesBySize(["a", "x".repeat(20), "b"], 8)).toEqual(["a\n", `${"x".repeat(20)}\n`, "b\n"]);
  });

  it("counts UTF-8 bytes, not characters", () => {
    expect(splitLinesBySize(["éé", "éé"], 6)).toEqual(["éé\n", "éé\n"]);
  });

  it("keeps every line, in order, and respects the limit for any input", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "grapheme", maxLength: 40 }).map((s) => s.replaceAll("\n", " "))),
        fc.integer({ min: 1, max: 100 }),
        (lines, max) => {
          const groups = splitLinesBySize(lines, max);
          expect(groups.join("")).toBe(lines.map((l) => `${l}\n`).join(""));
          for (const g of groups) {
            const parts = g.slice(0, -1).split("\n");
            if (parts.length > 1) expect(Buffer.byteLength(g)).toBeLessThanOrEqual(max);
          }
        },
      ),
    );
  });

  it("returns the open group only once", () => {
    const grouper = new LineGrouper(100);
    grouper.add("a");
    expect(grouper.take()).toBe("a\n");
    expect(grouper.take()).toBeUndefined();
  });

  it("uses groups of at most 64 KiB and at least 4 KiB", () => {
    expect(groupBytesFor(128 * MiB)).toBe(65_536);
    expect(groupBytesFor(64 * 1024)).toBe(4096);
  });

  it("always lets an empty object take its first group", () => {
    expect(fitsInObject({ emittedBytes: 0, writtenBytes: 0 }, 10 * MiB, MiB)).toBe(true);
  });

  it("closes an object before a group that could push it past the target", () => {
    const target = MiB;
    const room = target - DEFLATE_HELD_BACK_BYTES - 1000;
    expect(fitsInObject({ emittedBytes: room, writtenBytes: 1 }, 1000, target)).toBe(true);
    expect(fitsInObject({ emittedBytes: room, writtenBytes: 1 }, 1001, target)).toBe(false);
  });
});
