import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fluent from "fluent-logger";
import { afterEach, describe, expect, it } from "vitest";
import { FakeCloudWatchLogs } from "../support/fake-cloudwatch-logs.js";
import { eventTime, ForwardTestClient, pack, packedForwardFrame } from "../support/forward-client.js";
import {
  type ForwardProcess,
  readDeadLetters,
  readMetric,
  runCliWithFakeAws,
  startForward,
  waitUntil,
  writeForwardConfig,
} from "../support/forward-process.js";

const BATCH_EVENTS = 200;
const CONCURRENCY = 1;

function cloudwatchConfig(fake: FakeCloudWatchLogs, extra: Record<string, unknown> = {}) {
  return {
    outputs: {
      cloudwatch_logs: {
        endpoint: fake.endpoint,
        region: "us-east-1",
        log_group: "/logpipe/e2e",
        log_stream: "forwarder",
        retry: { max_elapsed_ms: 2_000, initial_delay_ms: 20, max_delay_ms: 200 },
      },
    },
    forwarder: { stats_interval_s: 0, batch_events: BATCH_EVENTS, concurrency: CONCURRENCY },
    ...extra,
  };
}

/** Counts of each `attrs.seq` stored at the fake. */
function storedSeqs(fake: FakeCloudWatchLogs): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { event } of fake.allMessages()) {
    const seq = Number((event.attrs as Record<string, unknown> | undefined)?.seq);
    counts.set(seq, (counts.get(seq) ?? 0) + 1);
  }
  return counts;
}

function fluentSender(forward: URL) {
  return fluent.createFluentSender<Record<string, unknown>>("e2e", {
    host: forward.hostname,
    port: Number(forward.port),
    eventMode: "PackedForward",
    requireAckResponse: true,
    ackResponseTimeout: 4_000,
    flushInterval: 5,
    reconnectInterval: 60_000,
    internalLogger: { info: () => undefined, error: () => undefined },
  });
}

/** Emits `seqs` through the sender and resolves with those the forwarder acked. */
function emitAll(sender: ReturnType<typeof fluentSender>, seqs: number[]): Promise<number[]> {
  return Promise.all(
    seqs.map(
      (seq) =>
        new Promise<number | undefined>((resolve) =>
          sender.emit("app", { run: "e2e", seq, message: `event ${seq}` }, (error) =>
            resolve(error ? undefined : seq),
          ),
        ),
    ),
  ).then((acked) => acked.filter((s): s is number => s !== undefined));
}

/** Drops every fault still scheduled, as an operator fixing the service would. */
function recover(fake: FakeCloudWatchLogs): void {
  (fake as unknown as { faults: unknown[] }).faults.length = 0;
}

async function postNdjson(http: URL, seqs: number[]): Promise<Response> {
  const body = seqs.map((seq) => JSON.stringify({ run: "e2e", seq, message: `http ${seq}` })).join("\n");
  return fetch(new URL("/v1/logs?tag=http", http), {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
  });
}

describe("logpipe forward to CloudWatch Logs", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function setup(extra: Record<string, unknown> = {}) {
    const fake = await FakeCloudWatchLogs.start();
    cleanups.push(() => fake.close());
    const dir = await mkdtemp(join(tmpdir(), "logpipe-fwd-cw-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = await writeForwardConfig(dir, cloudwatchConfig(fake, extra));
    const dataDir = join(dir, "data");
    const start = async (): Promise<ForwardProcess> => {
      const forwarder = await startForward(config, dataDir);
      cleanups.push(() => forwarder.stop("SIGKILL"));
      return forwarder;
    };
    return { fake, dir, config, dataDir, start };
  }

  it("delivers every acked event after a SIGKILL and restart, duplicating only the unsettled window", async () => {
    const { fake, start } = await setup({ buffer: { cursor_flush_interval_ms: 0 } });
    // Slow puts keep deliveries in flight when the process dies.
    fake.putDelayMs = 20;
    const first = await start();
    const sender = fluentSender(first.forward);
    const acked = new Set<number>();
    let sent = 0;
    let stop = false;
    const streaming = (async () => {
      while (!stop) {
        const wave = Array.from({ length: 200 }, () => sent++);
        for (const seq of await emitAll(sender, wave)) acked.add(seq);
      }
    })();
    await waitUntil(
      "2,000 events are acked and some delivered",
      () => acked.size >= 2_000 && fake.allMessages().length > 0,
      25_000,
    );
    await first.stop("SIGKILL");
    stop = true;

    const second = await start();
    await waitUntil(
      "every acked event is at the fake",
      () => {
        const stored = storedSeqs(fake);
        return [...acked].every((seq) => stored.has(seq));
      },
      25_000,
      100,
    );
    await second.stop("SIGTERM");
    // The last wave's acks never come: wait out the sender's ack timeout before counting.
    await streaming;
    (sender as unknown as { _disconnect(): void })._disconnect();

    const stored = storedSeqs(fake);
    const missing = [...acked].filter((seq) => !stored.has(seq));
    const duplicates = [...stored.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(missing).toEqual([]);
    expect([...stored.keys()].every((seq) => seq >= 0 && seq < sent)).toBe(true);
    // Sent again after the restart: the batches in flight when the process died, plus at most the
    // batch whose commit was still on its way to disk (cursors are flushed right after each
    // commit here). More than that would mean settled work was resent.
    expect(duplicates).toBeLessThanOrEqual(sent - acked.size + (CONCURRENCY + 1) * BATCH_EVENTS);
  }, 60_000);

  it("holds events in the buffer while the service fails and delivers each exactly once after it recovers", async () => {
    const { fake, start } = await setup();
    const forwarder = await start();
    fake.failNext(1_000_000, 503);
    const client = await ForwardTestClient.connect(forwarder.forward.href);
    cleanups.push(async () => client.destroy());
    const seqs = Array.from({ length: 500 }, (_, i) => i);
    const entries = Buffer.concat(
      seqs.map((seq) =>
        Buffer.concat([
          Buffer.from([0x92]),
          eventTime(Math.floor(Date.now() / 1000), 0),
          pack({ seq, message: `m${seq}` }),
        ]),
      ),
    );
    await client.write(packedForwardFrame("app", entries, { chunk: "outage-chunk-1" }));
    const ack = (await client.nextFrame())?.value as { ack?: string } | undefined;
    expect(ack?.ack).toBe("outage-chunk-1");

    await waitUntil(
      "the output has been retrying",
      async () => (await readMetric(forwarder.metrics, "logpipe_output_retried_total")) > 0,
    );
    expect(await readMetric(forwarder.metrics, "logpipe_buffer_bytes")).toBeGreaterThan(0);
    const health = (await (await fetch(`${forwarder.metrics}/health`)).json()) as {
      buffer: { pending: Record<string, number> };
    };
    expect(health.buffer.pending.cloudwatch_logs).toBeGreaterThan(0);
    expect(fake.allMessages()).toHaveLength(0);

    recover(fake);
    await waitUntil("all 500 events arrived", () => fake.allMessages().length >= 500, 20_000);
    await waitUntil("the buffer has nothing pending", async () => {
      const h = (await (await fetch(`${forwarder.metrics}/health`)).json()) as {
        buffer: { pending: Record<string, number> };
      };
      return h.buffer.pending.cloudwatch_logs === 0;
    });
    const stored = storedSeqs(fake);
    expect([...stored.keys()].sort((a, b) => a - b)).toEqual(seqs);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
  }, 40_000);

  it("pushes back on clients when the buffer is full and loses nothing it accepted", async () => {
    const { fake, start } = await setup({
      buffer: { max_bytes: 32_768, segment_bytes: 8_192 },
      inputs: { http: { retry_after_seconds: 2 } },
    });
    fake.failNext(1_000_000, 503);
    const forwarder = await start();

    const accepted: number[] = [];
    let next = 0;
    let refused: Response | undefined;
    for (let i = 0; i < 200 && !refused; i++) {
      const seqs = Array.from({ length: 20 }, () => next++);
      const res = await postNdjson(forwarder.http, seqs);
      if (res.status === 503) refused = res;
      else {
        expect(res.status).toBe(200);
        accepted.push(...seqs);
      }
      await res.arrayBuffer().catch(() => undefined);
    }
    expect(refused?.status).toBe(503);
    expect(refused?.headers.get("retry-after")).toBe("2");
    expect((await fetch(`${forwarder.metrics}/health`)).status).toBe(503);

    // A forward client's chunk is not acked while the buffer is full.
    const client = await ForwardTestClient.connect(forwarder.forward.href);
    cleanups.push(async () => client.destroy());
    const held = Array.from({ length: 5 }, () => next++);
    const entries = Buffer.concat(
      held.map((seq) =>
        Buffer.concat([
          Buffer.from([0x92]),
          eventTime(Math.floor(Date.now() / 1000), 0),
          pack({ seq, message: `f${seq}` }),
        ]),
      ),
    );
    await client.write(packedForwardFrame("app", entries, { chunk: "held-chunk" }));
    const ack = client.nextFrame();
    const early = await Promise.race([ack, new Promise((r) => setTimeout(() => r("waiting"), 1_500))]);
    expect(early).toBe("waiting");

    recover(fake);
    expect(((await ack)?.value as { ack?: string } | undefined)?.ack).toBe("held-chunk");
    accepted.push(...held);
    await waitUntil(
      "/health is ready again",
      async () => (await fetch(`${forwarder.metrics}/health`)).status === 200,
    );
    await waitUntil(
      "every accepted event arrived",
      () => {
        const stored = storedSeqs(fake);
        return accepted.every((seq) => stored.has(seq));
      },
      20_000,
    );
    const stored = storedSeqs(fake);
    expect(accepted.filter((seq) => !stored.has(seq))).toEqual([]);
  }, 40_000);

  it("dead-letters events the service finds too old, and replays them once it takes them", async () => {
    const { fake, config, dataDir, start } = await setup();
    // The service's clock runs 15 days ahead: to it every fresh event is past the 14-day window.
    fake.now = () => Date.now() + 15 * 86_400_000;
    const forwarder = await start();
    const seqs = Array.from({ length: 10 }, (_, i) => i);
    const res = await postNdjson(forwarder.http, seqs);
    expect(res.status).toBe(200);
    await waitUntil(
      "10 events are dead-lettered",
      async () => (await readMetric(forwarder.metrics, "logpipe_dead_letters_total")) >= 10,
    );
    await forwarder.stop("SIGTERM");

    const { files, letters } = await readDeadLetters(dataDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^cloudwatch_logs-\d{4}-\d{2}-\d{2}\.ndjson$/);
    expect(letters).toHaveLength(10);
    for (const letter of letters) {
      expect(letter).toMatchObject({ output: "cloudwatch_logs", stage: "sending", code: "too_old" });
      expect(letter.reason).not.toBe("");
    }
    expect(letters.map((l) => Number(l.event.attrs.seq)).sort((a, b) => a - b)).toEqual(seqs);
    expect(fake.allMessages()).toHaveLength(0);

    fake.now = Date.now;
    const replay = await runCliWithFakeAws(["dlq", "replay", "--config", config, "--data-dir", dataDir]);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      output: "cloudwatch_logs",
      delivered: 10,
      deadLetteredAgain: 0,
      keptForLater: 0,
    });
    expect([...storedSeqs(fake).keys()].sort((a, b) => a - b)).toEqual(seqs);
    expect((await readDeadLetters(dataDir)).files).toEqual([]);
  }, 40_000);
});
