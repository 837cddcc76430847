import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CommitTracker } from "../../../collectors/buffer/commit-tracker.js";

describe("CommitTracker", () => {
  it("advances the committed position with in-order commits", () => {
    const tracker = new CommitTracker(100);
    const a = tracker.issue(110, 10);
    const b = tracker.issue(125, 15);
    expect(tracker.complete(a)).toBe(10);
    expect(tracker.committed).toBe(110);
    expect(tracker.complete(b)).toBe(15);
    expect(tracker.committed).toBe(125);
  });

  it("holds the position at a gap until the earlier range is committed", () => {
    const tracker = new CommitTracker(0);
    const a = tracker.issue(5, 5);
    const b = tracker.issue(9, 4);
    const c = tracker.issue(12, 3);
    expect(tracker.complete(c)).toBe(0);
    expect(tracker.complete(b)).toBe(0);
    expect(tracker.committed).toBe(0);
    expect(tracker.complete(a)).toBe(12);
    expect(tracker.committed).toBe(12);
  });

  it("counts a ticket committed twice only once", () => {
    const tracker = new CommitTracker(0);
    const a = tracker.issue(3, 3);
    expect(tracker.complete(a)).toBe(3);
    expect(tracker.complete(a)).toBe(0);
  });

  it("hands out adjacent ranges that start where the previous ended", () => {
    const tracker = new CommitTracker(7);
    const a = tracker.issue(9, 2);
    const b = tracker.issue(20, 4);
    expect([a.from, a.to, b.from, b.to]).toEqual([7, 9, 9, 20]);
  });

  it("refuses a range that ends before the last one", () => {
    const tracker = new CommitTracker(10);
    expect(() => tracker.issue(5, 1)).toThrow(RangeError);
  });

  it("always sits at the end of the longest committed prefix, whatever the commit order", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3000 }),
        fc.infiniteStream(fc.nat()),
        (sizes, picks) => {
          const tracker = new CommitTracker(0);
          const tickets = sizes.map((size) => tracker.issue(tracker.issued + size, size));
          const order = tickets.map((_, i) => i);
          const it = picks[Symbol.iterator]();
          for (let i = order.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
          const done = new Set<number>();
          let released = 0;
          for (const index of order) {
            released += tracker.complete(tickets[index]!);
            done.add(index);
            let prefix = 0;
            while (done.has(prefix)) prefix++;
            expect(tracker.committed).toBe(prefix === 0 ? 0 : tickets[prefix - 1]!.to);
          }
          expect(released).toBe(sizes.reduce((a, b) => a + b, 0));
          expect(tracker.outstanding).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
