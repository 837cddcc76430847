import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  indexDay,
  indexNameFor,
  indexPatternFor,
  indexSafeService,
  isCanonicalUtc,
} from "../../../stores/opensearch/naming.js";

describe("index names", () => {
  it.each([
    ["checkout", "checkout"],
    ["Checkout-API", "checkout-api"],
    ["cart service/v2", "cart_service_v2"],
    ['O\'Reilly "quoted"', "o_reilly_quoted_"],
    ["ümlaut", "_mlaut"],
    ["a*b?c<d>e|f,g#h:i\\j", "a_b_c_d_e_f_g_h_i_j"],
    ["_private", "_private"],
    ["", "unknown"],
  ])("cleans service %j to %j", (service, expected) => {
    expect(indexSafeService(service)).toBe(expected);
  });

  it("caps a very long service so the index name stays under 255 bytes", () => {
    const name = indexNameFor(
      { service: "s".repeat(10_000), "@timestamp": "2026-01-05T00:00:00.000Z" },
      {
        prefix: "p".repeat(100),
        dataStream: false,
      },
    );
    expect(Buffer.byteLength(name!)).toBeLessThanOrEqual(255);
  });

  it("names the UTC day of the timestamp, not the local one", () => {
    expect(indexDay("2026-01-05T23:30:00.000-02:00")).toBe("2026.01.06");
  });

  it.each(["", "yesterday", "2026-13-45T00:00:00Z", "+275760-09-13T00:00:00.001Z"])(
    "gives no day for %j",
    (timestamp) => {
      expect(indexDay(timestamp)).toBeUndefined();
    },
  );

  it.each([
    ["2026-02-30T10:00:00.000Z", "2026.03.02"],
    ["2026-01-05T24:00:00.000Z", "2026.01.06"],
    ["2024-02-29T23:59:59.999Z", "2024.02.29"],
    ["2025-02-29T00:00:00.000Z", "2025.03.01"],
  ])("names the day Date.parse gives %j, also where a field rolls over", (timestamp, day) => {
    expect(indexDay(timestamp)).toBe(day);
  });

  it("names the same day from a schema timestamp as from its parsed time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(indexDay(iso)).toBe(`${iso.slice(0, 4)}.${iso.slice(5, 7)}.${iso.slice(8, 10)}`);
      }),
    );
  });

  it.each([
    ["2026-01-05T10:00:00.000Z", true],
    ["2000-02-29T00:00:00.000Z", true],
    ["1900-02-29T00:00:00.000Z", false],
    ["2026-04-31T00:00:00.000Z", false],
    ["2026-01-05T24:00:00.000Z", false],
    ["2026-01-05T10:60:00.000Z", false],
    ["2026-01-05T10:00:00.000+00:00", false],
    ["2026-01-05 10:00:00.000Z", false],
    ["2026-01-05T10:00:00.00aZ", false],
    ["2026-1-05T10:00:00.000ZZ", false],
  ])("recognises %j as canonical: %j", (timestamp, canonical) => {
    expect(isCanonicalUtc(timestamp)).toBe(canonical);
  });

  it("covers every name the store writes with the prefix pattern", () => {
    expect(indexPatternFor("logs-")).toBe("logs-*");
  });
});
