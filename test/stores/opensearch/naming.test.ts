import { describe, expect, it } from "vitest";
import {
  indexDay,
  indexNameFor,
  indexPatternFor,
  indexSafeService,
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

  it("covers every name the store writes with the prefix pattern", () => {
    expect(indexPatternFor("logs-")).toBe("logs-*");
  });
});
