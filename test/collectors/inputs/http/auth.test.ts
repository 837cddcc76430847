import { describe, expect, it } from "vitest";
import { bearerTokenMatches } from "../../../../collectors/inputs/http/auth.js";

const TOKEN = "correct-horse-battery-staple";

describe("bearerTokenMatches", () => {
  it("accepts the expected token, whatever the scheme's case", () => {
    expect(bearerTokenMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerTokenMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
  });

  it.each([
    ["a missing header", undefined],
    ["an empty header", ""],
    ["another scheme", `Basic ${TOKEN}`],
    ["a scheme without token", "Bearer "],
    ["a longer token", `Bearer ${TOKEN}x`],
    ["a prefix of the token", `Bearer ${TOKEN.slice(0, -1)}`],
    ["two tokens", `Bearer ${TOKEN} ${TOKEN}`],
  ])("refuses %s", (_, header) => {
    expect(bearerTokenMatches(header, TOKEN)).toBe(false);
  });
});
