import { describe, expect, it } from "vitest";
import { Mutex, SharedLock } from "../../../stores/local/locks.js";

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("Mutex", () => {
  it("runs tasks one at a time in call order, even after a failure", async () => {
    const mutex = new Mutex();
    const log: string[] = [];
    const gate = deferred();
    const first = mutex.run(async () => {
      log.push("first:start");
      await gate.promise;
      log.push("first:end");
      throw new Error("boom");
    });
    const second = mutex.run(async () => {
      log.push("second");
      return 2;
    });
    await tick();
    expect(log).toEqual(["first:start"]);
    gate.resolve();
    await expect(first).rejects.toThrow("boom");
    await expect(second).resolves.toBe(2);
    expect(log).toEqual(["first:start", "first:end", "second"]);
  });
});

describe("SharedLock", () => {
  it("lets readers share and keeps an exclusive holder waiting until they finish", async () => {
    const lock = new SharedLock();
    const log: string[] = [];
    const readers = [deferred(), deferred()];
    const r = readers.map((d, i) =>
      lock.shared(async () => {
        log.push(`read${i}`);
        await d.promise;
      }),
    );
    const w = lock.exclusive(async () => {
      log.push("write");
    });
    await tick();
    expect(log).toEqual(["read0", "read1"]);
    readers[0]!.resolve();
    await tick();
    expect(log).not.toContain("write");
    readers[1]!.resolve();
    await Promise.all([...r, w]);
    expect(log).toEqual(["read0", "read1", "write"]);
  });

  it("queues new readers behind a waiting exclusive holder", async () => {
    const lock = new SharedLock();
    const log: string[] = [];
    const gate = deferred();
    const first = lock.shared(async () => gate.promise);
    const w = lock.exclusive(async () => {
      log.push("write");
    });
    const late = lock.shared(async () => {
      log.push("late read");
    });
    await tick();
    expect(log).toEqual([]);
    gate.resolve();
    await Promise.all([first, w, late]);
    expect(log).toEqual(["write", "late read"]);
  });
});
