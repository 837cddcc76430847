import { isIP } from "node:net";

/**
 * Coercion of HTTP fields. Each returns the schema value, or undefined when the raw value is not
 * unambiguously one (the caller then keeps it in attrs under its own key).
 */

const KNOWN_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "PATCH",
  "PROPFIND",
  "PROPPATCH",
  "MKCOL",
  "COPY",
  "MOVE",
  "LOCK",
  "UNLOCK",
  "PURGE",
  "QUERY",
]);

/**
 * A request method: a known method in any case, or an upper-case token (extension methods such
 * as `PURGE` are written that way). `getUser` is an RPC name, not a method, and is rejected.
 */
export function coerceMethod(raw: unknown): string | undefined {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 16) return undefined;
  if (KNOWN_METHODS.has(raw)) return raw;
  const upper = raw.toUpperCase();
  if (KNOWN_METHODS.has(upper)) return upper;
  return /^[A-Z][A-Z-]*$/.test(raw) ? raw : undefined;
}

/**
 * Path and query of a request target: `/a/b?x=1#f` → `/a/b` and `x=1`; an absolute URL
 * (`https://host/a?x`) gives its path. Undefined for non-strings and targets that are not paths.
 */
export function splitTarget(raw: unknown): { path: string; query: string | undefined } | undefined {
  if (typeof raw !== "string" || raw.length === 0) return undefined;
  let target = raw;
  const scheme = target.indexOf("://");
  if (scheme > 0 && scheme < 16 && /^[A-Za-z][A-Za-z0-9+.-]*$/.test(target.slice(0, scheme))) {
    const slash = target.indexOf("/", scheme + 3);
    const stop = target.slice(scheme + 3).search(/[?#]/);
    const authorityEnd = stop < 0 ? -1 : scheme + 3 + stop;
    if (slash < 0 || (authorityEnd >= 0 && authorityEnd < slash)) {
      target = `/${authorityEnd >= 0 ? target.slice(authorityEnd) : ""}`;
    } else target = target.slice(slash);
  }
  if (target[0] !== "/" && target !== "*") return undefined;
  const hash = target.indexOf("#");
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf("?");
  if (q < 0) return { path: target, query: undefined };
  const query = target.slice(q + 1);
  return { path: target.slice(0, q), query: query.length > 0 ? query : undefined };
}

function toNumber(raw: unknown): number | undefined {
  if (typeof raw === "number") return raw;
  if (typeof raw === "string" && raw.length > 0 && raw.length <= 32) {
    const s = raw.trim();
    if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s)) return undefined;
    return Number(s);
  }
  return undefined;
}

/** A status code in 0–999 (`"201"` → 201); `plausibleOnly` narrows to real codes 100–599. */
export function coerceStatus(raw: unknown, plausibleOnly = false): number | undefined {
  const n = toNumber(raw);
  if (n === undefined || !Number.isInteger(n) || n < 0 || n > 999) return undefined;
  if (plausibleOnly && (n < 100 || n > 599)) return undefined;
  return n + 0; // -0 would not survive a JSON round trip
}

/** A non-negative finite duration, multiplied by `scale` to become milliseconds. */
export function coerceLatency(raw: unknown, scale = 1): number | undefined {
  const n = toNumber(raw);
  if (n === undefined || !Number.isFinite(n) || n < 0) return undefined;
  const ms = n * scale + 0; // -0 would not survive a JSON round trip
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * A client address the `ip` mapping accepts: the first entry of an `X-Forwarded-For` list, with a
 * port, IPv6 brackets or a zone id removed. Anything that is not an IPv4/IPv6 address is rejected, because
 * an OpenSearch `ip` field refuses the whole document otherwise.
 */
export function coerceIp(raw: unknown): string | undefined {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 256) return undefined;
  let s = raw;
  const comma = s.indexOf(",");
  if (comma >= 0) s = s.slice(0, comma);
  s = s.trim();
  // A zone id (`fe80::1%eth0`) is meaningless off the host, and `ip` fields refuse it.
  const zone = s.indexOf("%");
  if (zone > 0) s = s.slice(0, zone);
  if (isIP(s) !== 0) return s;
  if (s[0] === "[") {
    const close = s.indexOf("]");
    if (close > 0) {
      const inner = s.slice(1, close);
      return isIP(inner) === 6 ? inner : undefined;
    }
    return undefined;
  }
  const colon = s.indexOf(":");
  if (colon > 0 && colon === s.lastIndexOf(":") && /^\d{1,5}$/.test(s.slice(colon + 1))) {
    const host = s.slice(0, colon);
    return isIP(host) === 4 ? host : undefined;
  }
  return undefined;
}
