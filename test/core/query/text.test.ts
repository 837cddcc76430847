import { describe, expect, it } from "vitest";
import { analyze, isWordText } from "../../../core/query/text.js";

describe("analyze", () => {
  it.each([
    ["Order placed for user alice", ["order", "placed", "for", "user", "alice"]],
    ["GET /api/orders/42 took 12ms", ["get", "api", "orders", "42", "took", "12ms"]],
    ["order-42", ["order", "42"]],
    ["user alice@example.com", ["user", "alice", "example.com"]],
    ["db.internal:5432", ["db.internal", "5432"]],
    ["10:30 and 10.0.0.1", ["10", "30", "and", "10.0.0.1"]],
    ["it's 1,000 items", ["it's", "1,000", "items"]],
    ["user_id=42", ["user_id", "42"]],
    ["v1.2 a.1 1.a", ["v1.2", "a", "1", "1", "a"]],
    ["trailing. dots.. ..", ["trailing", "dots"]],
    ["Ünïcode ÉCHEC", ["ünïcode", "échec"]],
    ["!!! --- ///", []],
  ])("splits %j", (text, words) => {
    expect(analyze(text)).toEqual(words);
  });
});

describe("isWordText", () => {
  it("accepts letters, digits and joiners, and refuses separators", () => {
    expect(isWordText("db.internal")).toBe(true);
    expect(isWordText("")).toBe(true);
    expect(isWordText("/health")).toBe(false);
    expect(isWordText("a b")).toBe(false);
  });
});
