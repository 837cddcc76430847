import { describe, expect, it } from "vitest";
import { AdaptiveConcurrency, type Slot } from "../../../collectors/outputs/concurrency.js";

async function hold(limiter: AdaptiveConcurrency, n: number): Promise<Slot[]> {
  const slots: Slot[] = [];
  for (let i = 0; i < n; i++) slots.push(await limiter.acquire());
  return slots;
}

describe("AdaptiveConcurrency", () => {
  it("makes a caller wait while the limit is in use", async () => {
    const limiter = new AdaptiveConcurrency(2, 2);
    const [a] = await hold(limiter, 2);
    let third = false;
    const waiting = limiter.acquire().then((slot) => {
      third = true;
      return slot;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    a!.release("other");
    await waiting;
    expect(third).toBe(true);
    expect(limiter.inFlight).toBe(2);
  });

  it("grows by one after a window of successes", async () => {
    const limiter = new AdaptiveConcurrency(1, 10);
    (await limiter.acquire()).release("success");
    expect(limiter.limit).toBe(2);
    (await limiter.acquire()).release("success");
    expect(limiter.limit).toBe(2);
    (await limiter.acquire()).release("success");
    expect(limiter.limit).toBe(3);
  });

  it("never grows past max", async () => {
    const limiter = new AdaptiveConcurrency(1, 3);
    for (let i = 0; i < 50; i++) (await limiter.acquire()).release("success");
    expect(limiter.limit).toBe(3);
  });

  it("halves on throttling but never below min", async () => {
    const limiter = new AdaptiveConcurrency(2, 16, undefined, 16);
    (await limiter.acquire()).release("throttled");
    expect(limiter.limit).toBe(8);
    for (let i = 0; i < 5; i++) (await limiter.acquire()).release("throttled");
    expect(limiter.limit).toBe(2);
  });

  it("cuts once for a burst of throttled calls that were in flight together", async () => {
    const limiter = new AdaptiveConcurrency(1, 16, undefined, 16);
    const slots = await hold(limiter, 8);
    for (const slot of slots) slot.release("throttled");
    expect(limiter.limit).toBe(8);
  });

  it("reports every change of the limit", async () => {
    const seen: number[] = [];
    const limiter = new AdaptiveConcurrency(1, 4, (limit) => seen.push(limit), 4);
    (await limiter.acquire()).release("throttled");
    (await limiter.acquire()).release("success");
    (await limiter.acquire()).release("success");
    expect(seen).toEqual([4, 2, 3]);
  });

  it("ignores a second release of the same slot", async () => {
    const limiter = new AdaptiveConcurrency(1, 4);
    const slot = await limiter.acquire();
    slot.release("other");
    slot.release("other");
    expect(limiter.inFlight).toBe(0);
  });

  it("stops waiting when the signal aborts", async () => {
    const limiter = new AdaptiveConcurrency(1, 1);
    await hold(limiter, 1);
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    controller.abort(new Error("stop"));
    await expect(waiting).rejects.toThrow("stop");
    expect(limiter.inFlight).toBe(1);
  });
});
