import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FakeFirehose } from "../support/fake-firehose.js";
import {
  type ForwardProcess,
  readDeadLetters,
  readMetric,
  runCliWithFakeAws,
  startForward,
  waitUntil,
  writeForwardConfig,
} from "../support/forward-process.js";

function firehoseConfig(fake: FakeFirehose) {
  return {
    outputs: {
      firehose: {
        endpoint: fake.endpoint,
        region: "us-east-1",
        delivery_stream: "logs",
        // One event per record, so a per-record failure names exactly one event.
        one_event_per_record: true,
        retry: { max_elapsed_ms: 2_000, initial_delay_ms: 20, max_delay_ms: 200 },
      },
    },
    forwarder: { stats_interval_s: 0, batch_events: 100, concurrency: 1 },
  };
}

function seqsAt(fake: FakeFirehose): number[] {
  return fake
    .events()
    .map((e) => Number((e.attrs as Record<string, unknown> | undefined)?.seq))
    .sort((a, b) => a - b);
}

async function postNdjson(http: URL, seqs: number[]): Promise<Response> {
  const body = seqs.map((seq) => JSON.stringify({ run: "e2e", seq, message: `http ${seq}` })).join("\n");
  return fetch(new URL("/v1/logs?tag=http", http), {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
  });
}

describe("logpipe forward to Firehose", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function setup() {
    const fake = await FakeFirehose.start();
    cleanups.push(() => fake.close());
    const dir = await mkdtemp(join(tmpdir(), "logpipe-fwd-fh-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const config = await writeForwardConfig(dir, firehoseConfig(fake));
    const dataDir = join(dir, "data");
    const start = async (): Promise<ForwardProcess> => {
      const forwarder = await startForward(config, dataDir);
      cleanups.push(() => forwarder.stop("SIGKILL"));
      return forwarder;
    };
    return { fake, config, dataDir, start };
  }

  it("resends only the records Firehose throttled, each event arriving once", async () => {
    const { fake, start } = await setup();
    // Every other record of the next calls is throttled per record; the rest is stored.
    fake.failRecords((_, index) => index % 2 === 0, { code: "ServiceUnavailableException" }, 3);
    const forwarder = await start();
    const seqs = Array.from({ length: 50 }, (_, i) => i);
    expect((await postNdjson(forwarder.http, seqs)).status).toBe(200);
    await waitUntil("all 50 events arrived", () => fake.events().length >= 50);
    const puts = fake.callsOf("PutRecordBatch");
    const failed = puts.reduce((sum, c) => sum + (c.failedPutCount ?? 0), 0);
    const sent = puts.reduce((sum, c) => sum + c.records.length, 0);
    expect(failed).toBeGreaterThan(0);
    // Every record went out once, plus once more for each time it failed: nothing else was resent.
    expect(sent).toBe(50 + failed);
    expect(seqsAt(fake)).toEqual(seqs);
  }, 30_000);

  it("dead-letters records Firehose refuses for good, and replays them once it takes them", async () => {
    const { fake, config, dataDir, start } = await setup();
    const refuse = (data: Buffer) => {
      const seq = Number((JSON.parse(data.toString("utf8")) as { attrs?: { seq?: string } }).attrs?.seq);
      return seq % 5 === 0;
    };
    fake.failRecords(refuse, { code: "InvalidKMSResourceException", message: "KMS key disabled" }, 1_000);
    const forwarder = await start();
    const seqs = Array.from({ length: 20 }, (_, i) => i);
    expect((await postNdjson(forwarder.http, seqs)).status).toBe(200);
    await waitUntil(
      "4 events are dead-lettered and 16 delivered",
      async () =>
        (await readMetric(forwarder.metrics, "logpipe_dead_letters_total")) >= 4 &&
        fake.events().length >= 16,
    );
    await forwarder.stop("SIGTERM");

    // The stats line logged at shutdown adds up what happened.
    expect(forwarder.output()).toMatch(
      /stats in=20 out\{firehose=16\} retried=\d+ dead_lettered=4 buffer_bytes=\d+/,
    );
    expect(seqsAt(fake)).toEqual(seqs.filter((s) => s % 5 !== 0));
    const { files, letters } = await readDeadLetters(dataDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^firehose-\d{4}-\d{2}-\d{2}\.ndjson$/);
    expect(letters.map((l) => Number(l.event.attrs.seq)).sort((a, b) => a - b)).toEqual([0, 5, 10, 15]);
    for (const letter of letters) {
      expect(letter).toMatchObject({ output: "firehose", stage: "sending" });
      expect(letter.code).toMatch(/kms/i);
      expect(letter.reason).toContain("KMS key disabled");
    }

    // The key is fixed: the fake stores everything from now on.
    (fake as unknown as { faults: unknown[] }).faults.length = 0;
    const replay = await runCliWithFakeAws(["dlq", "replay", "--config", config, "--data-dir", dataDir]);
    expect(replay.code).toBe(0);
    expect(JSON.parse(replay.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      output: "firehose",
      delivered: 4,
      deadLetteredAgain: 0,
      keptForLater: 0,
    });
    expect(seqsAt(fake)).toEqual(seqs);
    expect((await readDeadLetters(dataDir)).files).toEqual([]);
  }, 30_000);
});
