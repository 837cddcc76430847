import { describe, expect, it } from "vitest";
import { DemoTraffic, seededRandom } from "../../../cli/demo/traffic.js";

const BURST_START = Date.UTC(2026, 11, 5, 12, 0, 0); // a multiple of 120 s: inside the payments burst
const CALM = BURST_START + 60_000;

function many(traffic: DemoTraffic, start: number, requests: number) {
  return Array.from({ length: requests }, (_, i) => traffic.request(start + (i % 15_000))).flat();
}

describe("demo traffic", () => {
  it("is reproducible for a seed", () => {
    expect(new DemoTraffic(7).request(CALM)).toEqual(new DemoTraffic(7).request(CALM));
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });

  it("shares one trace id across every service a request touches", () => {
    const traffic = new DemoTraffic(3);
    const checkout = many(traffic, CALM, 200).filter((r) => r.record.service === "checkout");
    const traceId = checkout[0]!.record.trace_id;
    const sameTrace = many(new DemoTraffic(3), CALM, 200).filter((r) => r.record.trace_id === traceId);
    expect(new Set(sameTrace.map((r) => r.record.service))).toEqual(
      new Set(["gateway", "auth", "checkout", "inventory", "payments"]),
    );
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it("comes from at least five services with request fields", () => {
    const records = many(new DemoTraffic(5), CALM, 500);
    expect(new Set(records.map((r) => r.record.service)).size).toBeGreaterThanOrEqual(5);
    for (const { tag, record, time } of records) {
      expect(tag).toBe(`${record.service}.access`);
      expect(Number.isInteger(time)).toBe(true);
      const http = record.http as { status: number; latency_ms: number; method: string };
      expect(http.status).toBeGreaterThanOrEqual(200);
      expect(http.latency_ms).toBeGreaterThan(0);
    }
  });

  it("bursts payment errors for 20 s of every two minutes", () => {
    const errorRate = (start: number) => {
      const payments = many(new DemoTraffic(11), start, 3000).filter((r) => r.record.service === "payments");
      return payments.filter((r) => r.record.level === "error").length / payments.length;
    };
    expect(errorRate(BURST_START)).toBeGreaterThan(0.3);
    expect(errorRate(CALM)).toBeLessThan(0.05);
  });
});
