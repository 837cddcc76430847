import { describe, expect, test } from "vitest";
import { LoggerOptionsSchema } from "../../../collectors/logger/config.js";
import { ForwarderError } from "../../../collectors/logger/errors.js";
import type { ChunkSender } from "../../../collectors/logger/fluent-sender.js";
import type { QueuedEvent } from "../../../collectors/logger/queue.js";
import { Shipper } from "../../../collectors/logger/shipper.js";
import type { Clock } from "../../../core/retry.js";
import { eventually } from "./harness.js";

/** A sender whose every chunk waits until the test answers it. */
class ScriptedSender implements ChunkSender {
  readonly chunks: number[][] = [];
  private answers: { resolve(): void; reject(error: Error): void }[] = [];
  closed = false;
  inFlight = 0;
  maxInFlight = 0;

  send(events: readonly QueuedEvent[]): Promise<void> {
    this.chunks.push(events.map((e) => e.record["n"] as number));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<void>((resolve, reject) => {
      this.answers.push({
        resolve: () => {
          this.inFlight--;
          resolve();
        },
        reject: (error) => {
          this.inFlight--;
          reject(error);
        },
      });
    });
  }

  close(): void {
    this.closed = true;
    for (const answer of this.answers.splice(0)) answer.reject(new ForwarderError("closed", "closed"));
  }

  async ack(): Promise<void> {
    await eventually(() => expect(this.answers.length).toBeGreaterThan(0));
    this.answers.shift()!.resolve();
  }

  async fail(code: "ack_timeout" | "closed" = "ack_timeout"): Promise<void> {
    await eventually(() => expect(this.answers.length).toBeGreaterThan(0));
    this.answers.shift()!.reject(new ForwarderError(code, `failed: ${code}`));
  }
}

const sleeps: number[] = [];
const instantClock: Clock = {
  now: () => 0,
  sleep: async (ms) => {
    sleeps.push(ms);
  },
};

function shipper(overrides: Record<string, unknown> = {}) {
  const settings = LoggerOptionsSchema.parse({
    service: "s",
    flushIntervalMs: 1,
    retry: { initialDelayMs: 10, maxDelayMs: 1000 },
    ...overrides,
  });
  const sender = new ScriptedSender();
  const diagnostics: string[] = [];
  sleeps.length = 0;
  const s = new Shipper(settings, {
    sender,
    log: (_level, message) => diagnostics.push(message),
    clock: instantClock,
    random: () => 0.5,
  });
  return { s, sender, diagnostics };
}

const event = (n: number): QueuedEvent => ({ timeMs: 0, record: { n }, bytes: 100 });

describe("Shipper", () => {
  test("events logged together go out as one chunk", async () => {
    const { s, sender } = shipper();
    for (let i = 0; i < 3; i++) s.enqueue(event(i));
    const flushed = s.flush();
    await sender.ack();
    await flushed;
    expect(sender.chunks).toEqual([[0, 1, 2]]);
    expect(s.stats()).toMatchObject({ sent: 3, acked: 3, queued: 0 });
  });

  test("chunks respect chunk.maxEvents and only one is in flight at a time", async () => {
    const { s, sender } = shipper({ chunk: { maxEvents: 2 } });
    for (let i = 0; i < 5; i++) s.enqueue(event(i));
    const flushed = s.flush();
    for (let i = 0; i < 3; i++) await sender.ack();
    await flushed;
    expect(sender.chunks).toEqual([[0, 1], [2, 3], [4]]);
    expect(sender.maxInFlight).toBe(1);
  });

  test("a chunk that keeps failing is tried 1 + maxRetries times, then its events count as failed", async () => {
    const { s, sender, diagnostics } = shipper({ maxRetries: 2 });
    s.enqueue(event(1));
    s.enqueue(event(2));
    const flushed = s.flush();
    for (let i = 0; i < 3; i++) await sender.fail();
    await flushed;
    expect(sender.chunks).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(s.stats()).toMatchObject({ sent: 6, retried: 4, failed: 2, acked: 0, queued: 0 });
    await eventually(() => expect(diagnostics.some((d) => d.startsWith("gave up on 2 events"))).toBe(true));
  });

  test("the waits between attempts follow the backoff policy through the injected clock", async () => {
    const { s, sender } = shipper({ maxRetries: 3 });
    s.enqueue(event(1));
    const flushed = s.flush();
    for (let i = 0; i < 3; i++) await sender.fail();
    await sender.ack();
    await flushed;
    // Full jitter with random() = 0.5: half of 10, 20, 40.
    expect(sleeps).toEqual([5, 10, 20]);
    expect(s.stats()).toMatchObject({ acked: 1, failed: 0, retried: 3 });
  });

  test("a failed chunk does not hold back the next one", async () => {
    const { s, sender } = shipper({ maxRetries: 0, chunk: { maxEvents: 1 } });
    s.enqueue(event(1));
    s.enqueue(event(2));
    const flushed = s.flush();
    await sender.fail();
    await sender.ack();
    await flushed;
    expect(s.stats()).toMatchObject({ failed: 1, acked: 1 });
  });

  test("flush waits for the events accepted before it, not for later ones", async () => {
    const { s, sender } = shipper({ chunk: { maxEvents: 1 } });
    s.enqueue(event(1));
    let done = false;
    const flushed = s.flush().then(() => {
      done = true;
    });
    s.enqueue(event(2));
    await sender.ack();
    await flushed;
    expect(done).toBe(true);
    expect(s.stats()).toMatchObject({ acked: 1, queued: 1 });
  });

  test("flush resolves after its timeout even when nothing was acknowledged", async () => {
    const { s } = shipper();
    s.enqueue(event(1));
    await s.flush(20);
    expect(s.stats()).toMatchObject({ queued: 1, acked: 0 });
  });

  test("close gives up on unsent events, closes the sender and refuses new events as dropped", async () => {
    const { s, sender } = shipper({ chunk: { maxEvents: 1 } });
    for (let i = 0; i < 3; i++) s.enqueue(event(i));
    await s.close(20);
    expect(sender.closed).toBe(true);
    expect(s.stats()).toMatchObject({ failed: 3, queued: 0, acked: 0 });
    expect(s.enqueue(event(9))).toBe(false);
    expect(s.stats().dropped).toBe(1);
  });

  test("a full queue refuses events without waiting and counts them", () => {
    const { s } = shipper({ queue: { maxEvents: 2 } });
    expect([s.enqueue(event(1)), s.enqueue(event(2)), s.enqueue(event(3))]).toEqual([true, true, false]);
    expect(s.stats()).toMatchObject({ queued: 2, dropped: 1 });
  });

  test("close with nothing logged resolves, twice", async () => {
    const { s, sender } = shipper();
    const first = s.close();
    expect(s.close()).toBe(first);
    await first;
    expect(sender.chunks).toEqual([]);
  });
});
