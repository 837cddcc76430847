import { describe, expect, it } from "vitest";
import { InFlightWrites } from "../../core/in-flight.js";
import type { ItemOutcome } from "../../core/stage.js";

describe("InFlightWrites", () => {
  it("passes outcomes of a write through", async () => {
    const writes = new InFlightWrites("test sink");
    const outcomes = await writes.run(1, async () => [{ status: "accepted" }] as ItemOutcome[]);
    expect(outcomes).toEqual([{ status: "accepted" }]);
  });

  it("waits for writes in flight when closed", async () => {
    const writes = new InFlightWrites("test sink");
    let finish!: () => void;
    let finished = false;
    const run = writes.run(1, async () => {
      await new Promise<void>((resolve) => {
        finish = resolve;
      });
      finished = true;
      return [{ status: "accepted" }] as ItemOutcome[];
    });
    const closing = writes.close();
    finish();
    await closing;
    expect(finished).toBe(true);
    await expect(run).resolves.toHaveLength(1);
  });

  it("answers every item retryable once closed, without calling deliver", async () => {
    const writes = new InFlightWrites("test sink");
    await writes.close();
    await writes.close();
    let called = false;
    const outcomes = await writes.run(3, async () => {
      called = true;
      return [];
    });
    expect(called).toBe(false);
    expect(outcomes).toEqual(Array(3).fill({ status: "retryable", reason: "test sink is shut down" }));
  });
});
