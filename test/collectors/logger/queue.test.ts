import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { EventQueue, type QueuedEvent } from "../../../collectors/logger/queue.js";

const event = (bytes: number, n = 0): QueuedEvent => ({ timeMs: 0, record: { n }, bytes });

describe("EventQueue", () => {
  test("refuses an event beyond maxEvents", () => {
    const q = new EventQueue(2, 1000);
    expect([q.offer(event(1)), q.offer(event(1)), q.offer(event(1))]).toEqual(["queued", "queued", "full"]);
  });

  test("refuses an event beyond maxBytes, and one larger than maxBytes as oversized", () => {
    const q = new EventQueue(100, 100);
    expect(q.offer(event(60))).toBe("queued");
    expect(q.offer(event(60))).toBe("full");
    expect(q.offer(event(101))).toBe("oversized");
    expect(q.offer(event(40))).toBe("queued");
  });

  test("taken events keep counting against the bound until released", () => {
    const q = new EventQueue(2, 1000);
    q.offer(event(1));
    q.offer(event(1));
    const taken = q.take(10, 1000);
    expect(q.waiting).toBe(0);
    expect(q.offer(event(1))).toBe("full");
    q.release(taken);
    expect(q.offer(event(1))).toBe("queued");
  });

  test("take respects chunk limits but always takes at least one event", () => {
    const q = new EventQueue(100, 10_000);
    for (let i = 0; i < 5; i++) q.offer(event(300, i));
    expect(q.take(2, 10_000).map((e) => e.record["n"])).toEqual([0, 1]);
    expect(q.take(10, 500).map((e) => e.record["n"])).toEqual([2]);
    expect(q.take(10, 100).map((e) => e.record["n"])).toEqual([3]);
  });

  test("drain empties the waiting events and frees their room", () => {
    const q = new EventQueue(3, 1000);
    q.offer(event(10));
    q.offer(event(10));
    expect(q.drain()).toHaveLength(2);
    expect(q.events).toBe(0);
    expect(q.bytes).toBe(0);
  });

  test("property: held events and bytes never exceed the bounds, and FIFO order holds", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer({ min: 1, max: 300 }), fc.constant(-1)), { maxLength: 300 }),
        (ops) => {
          const q = new EventQueue(20, 1000);
          let next = 0;
          let expected = 0;
          for (const op of ops) {
            if (op === -1) {
              const taken = q.take(5, 400);
              for (const e of taken) expect(e.record["n"]).toBe(expected++);
              q.release(taken);
            } else if (q.offer(event(op, next)) === "queued") next++;
            expect(q.events).toBeLessThanOrEqual(20);
            expect(q.bytes).toBeLessThanOrEqual(1000);
            expect(q.events).toBe(q.waiting);
          }
        },
      ),
    );
  });
});
