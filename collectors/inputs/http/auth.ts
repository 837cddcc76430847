import { createHash, timingSafeEqual } from "node:crypto";

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * Checks an `Authorization` header against the expected bearer token in constant time. Both
 * sides are hashed first so the comparison has equal lengths and leaks neither the token's
 * content nor its length.
 */
export function bearerTokenMatches(authorization: string | undefined, expected: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? "");
  // Compare even when the header is missing or malformed, so every failure costs the same.
  const given = match?.[1] ?? "";
  const equal = timingSafeEqual(digest(given), digest(expected));
  return match !== null && equal;
}
