import { describe, expect, it } from "vitest";
import {
  coerceIp,
  coerceLatency,
  coerceMethod,
  coerceStatus,
  splitTarget,
} from "../../../processors/transforms/http.js";

describe("coerceMethod", () => {
  it.each([
    ["GET", "GET"],
    ["post", "POST"],
    ["Patch", "PATCH"],
    ["PURGE", "PURGE"],
    ["M-SEARCH", "M-SEARCH"],
  ])("accepts %j as %s", (raw, method) => {
    expect(coerceMethod(raw)).toBe(method);
  });

  it.each(["getUser", "", "GET /", "X".repeat(17), 1, null])("rejects %j", (raw) => {
    expect(coerceMethod(raw)).toBeUndefined();
  });
});

describe("splitTarget", () => {
  it.each([
    ["/api/v1/orders", "/api/v1/orders", undefined],
    ["/api/v1/orders?id=5&x=1", "/api/v1/orders", "id=5&x=1"],
    ["/a#frag", "/a", undefined],
    ["/a?", "/a", undefined],
    ["https://shop.example.com/cart?step=2", "/cart", "step=2"],
    ["https://shop.example.com", "/", undefined],
    ["https://shop.example.com?x=1", "/", "x=1"],
    ["*", "*", undefined],
  ])("splits %j into path %j and query %j", (raw, path, query) => {
    expect(splitTarget(raw)).toEqual({ path, query });
  });

  it.each(["", "orders", "C:\\logs", 5, null])("rejects %j", (raw) => {
    expect(splitTarget(raw)).toBeUndefined();
  });
});

describe("coerceStatus", () => {
  it.each([
    [201, 201],
    ["201", 201],
    [" 404 ", 404],
    [0, 0],
    [999, 999],
    [201.0, 201],
  ])("accepts %j as %d", (raw, status) => {
    expect(coerceStatus(raw)).toBe(status);
  });

  it.each([201.5, -1, 1000, "ok", "2o1", "", null, true, Number.NaN])("rejects %j", (raw) => {
    expect(coerceStatus(raw)).toBeUndefined();
  });

  it("only accepts real status codes when asked for plausible ones", () => {
    expect(coerceStatus(3, true)).toBeUndefined();
    expect(coerceStatus(200, true)).toBe(200);
    expect(coerceStatus(600, true)).toBeUndefined();
  });
});

describe("coerceLatency", () => {
  it("accepts numbers and numeric strings", () => {
    expect(coerceLatency(12.5)).toBe(12.5);
    expect(coerceLatency("12.5")).toBe(12.5);
    expect(coerceLatency(0)).toBe(0);
  });

  it("scales seconds to milliseconds", () => {
    expect(coerceLatency("0.250", 1000)).toBe(250);
  });

  it.each([-1, "fast", Number.POSITIVE_INFINITY, Number.NaN, "1e400", null])("rejects %j", (raw) => {
    expect(coerceLatency(raw)).toBeUndefined();
  });
});

describe("coerceIp", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["2001:db8::1", "2001:db8::1"],
    ["::ffff:203.0.113.7", "::ffff:203.0.113.7"],
    ["203.0.113.7, 10.0.0.1", "203.0.113.7"],
    ["203.0.113.7:51234", "203.0.113.7"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["fe80::1%eth0", "fe80::1"],
  ])("accepts %j as %s", (raw, ip) => {
    expect(coerceIp(raw)).toBe(ip);
  });

  it.each(["localhost", "999.1.1.1", "unknown", "-", "", "1.2.3", 3232235777, null])("rejects %j", (raw) => {
    expect(coerceIp(raw)).toBeUndefined();
  });
});
