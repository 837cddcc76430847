import { describe, expect, it } from "vitest";
import { convertAthenaValue, convertRow, isHeaderRow } from "../../../stores/lake/athena-results.js";

describe("convertAthenaValue", () => {
  it.each([
    ["42", "integer", 42],
    ["-7", "bigint", -7],
    ["3", "tinyint", 3],
    ["1.5", "double", 1.5],
    ["2.25", "real", 2.25],
    ["true", "boolean", true],
    ["false", "boolean", false],
    ["hello", "varchar", "hello"],
    ["", "varchar", ""],
    ["12.3400", "decimal(10,4)", "12.3400"],
    ["2026-01-05 10:00:00.000", "timestamp", "2026-01-05 10:00:00.000"],
    ["[1, 2]", "array(integer)", "[1, 2]"],
  ])("reads %j of type %s as %j", (value, type, expected) => {
    expect(convertAthenaValue(value, type)).toEqual(expected);
  });

  it("reads a missing value as NULL for every type", () => {
    for (const type of ["varchar", "integer", "double", "boolean"])
      expect(convertAthenaValue(undefined, type)).toBeNull();
  });

  it("keeps a bigint beyond 2^53 as its exact string", () => {
    expect(convertAthenaValue("9007199254740993", "bigint")).toBe("9007199254740993");
  });

  it("reads NaN and infinities of doubles as numbers", () => {
    expect(convertAthenaValue("NaN", "double")).toBeNaN();
    expect(convertAthenaValue("Infinity", "double")).toBe(Number.POSITIVE_INFINITY);
  });

  it("keeps a value that does not fit its type as the string sent", () => {
    expect(convertAthenaValue("abc", "integer")).toBe("abc");
    expect(convertAthenaValue("1e3", "integer")).toBe("1e3");
    expect(convertAthenaValue("yes", "boolean")).toBe("yes");
  });
});

describe("rows", () => {
  const columns = [
    { name: "service", type: "varchar" },
    { name: "n", type: "bigint" },
  ];

  it("recognises Athena's header row by the column names", () => {
    expect(isHeaderRow({ Data: [{ VarCharValue: "service" }, { VarCharValue: "n" }] }, columns)).toBe(true);
    expect(isHeaderRow({ Data: [{ VarCharValue: "checkout" }, { VarCharValue: "3" }] }, columns)).toBe(false);
    expect(isHeaderRow(undefined, columns)).toBe(false);
  });

  it("converts each value by its column and fills short rows with NULL", () => {
    expect(convertRow({ Data: [{ VarCharValue: "checkout" }, { VarCharValue: "3" }] }, columns)).toEqual([
      "checkout",
      3,
    ]);
    expect(convertRow({ Data: [{ VarCharValue: "checkout" }] }, columns)).toEqual(["checkout", null]);
    expect(convertRow({}, columns)).toEqual([null, null]);
  });
});
