import { describe, expect, it } from "vitest";
import { RecentKeys } from "../../../collectors/buffer/dedup.js";

describe("RecentKeys", () => {
  it("remembers keys up to its capacity and forgets the oldest first", () => {
    const keys = new RecentKeys(2);
    keys.add("a");
    keys.add("b");
    keys.add("c");
    expect([keys.has("a"), keys.has("b"), keys.has("c")]).toEqual([false, true, true]);
    expect(keys.size).toBe(2);
  });

  it("keeps a key that is added again as the youngest", () => {
    const keys = new RecentKeys(2);
    keys.add("a");
    keys.add("b");
    keys.add("a");
    keys.add("c");
    expect([keys.has("a"), keys.has("b"), keys.has("c")]).toEqual([true, false, true]);
  });

  it("remembers nothing with a capacity of zero", () => {
    const keys = new RecentKeys(0);
    keys.add("a");
    expect(keys.has("a")).toBe(false);
  });
});
