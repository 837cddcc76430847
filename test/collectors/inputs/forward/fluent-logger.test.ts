import fluent from "fluent-logger";
import { afterEach, describe, expect, test } from "vitest";
import { eventually, type Harness, startForward } from "./harness.js";

type Sender = fluent.FluentSender<Record<string, unknown>>;

const quiet = { info: () => undefined, error: () => undefined };
const senders: Sender[] = [];

afterEach(() => {
  for (const sender of senders.splice(0)) {
    (sender as unknown as { _disconnect(): void })._disconnect();
  }
});

function senderFor(h: Harness, options: fluent.Options): Sender {
  const url = new URL(h.address);
  const sender = fluent.createFluentSender("svc", {
    host: url.hostname,
    port: Number(url.port),
    internalLogger: quiet,
    flushInterval: 10,
    ackResponseTimeout: 20_000,
    // a failing test must not leave a reconnect timer behind
    enableReconnect: false,
    ...options,
  } as fluent.Options) as Sender;
  senders.push(sender);
  return sender;
}

/** Emits each record and resolves once every callback reported success (or rejects on the first error). */
function emitAll(sender: Sender, records: Record<string, unknown>[], time: Date): Promise<void> {
  return Promise.all(
    records.map(
      (record) =>
        new Promise<void>((resolve, reject) => {
          sender.emit("checkout", record, time, (error?: Error) => (error ? reject(error) : resolve()));
        }),
    ),
  ).then(() => undefined);
}

const TIME = new Date("2026-03-01T12:00:00.000Z");
const RECORDS = [
  { level: "info", message: "order placed", n: 1 },
  { level: "warn", message: "slow payment", n: 2 },
  { level: "error", message: "card declined", n: 3 },
];

async function expectStored(h: Harness) {
  await eventually(() => expect(h.target.records).toHaveLength(RECORDS.length));
  const stored = [...h.target.records].sort((a, b) => Number(a.record["n"]) - Number(b.record["n"]));
  expect(stored.map((r) => r.record)).toEqual(RECORDS);
  expect(stored.every((r) => r.tag === "svc.checkout" && r.time === TIME.getTime())).toBe(true);
}

describe("fluent-logger client", () => {
  test("Message mode without acks", async () => {
    const h = await startForward();
    await emitAll(senderFor(h, {}), RECORDS, TIME);
    await expectStored(h);
    expect(h.metric("logpipe_forward_acks_total")).toBe(0);
  });

  test("Message mode with requireAckResponse: each event is acked after it is stored", async () => {
    const h = await startForward();
    await emitAll(senderFor(h, { requireAckResponse: true }), RECORDS, TIME);
    await expectStored(h);
    expect(h.metric("logpipe_forward_acks_total")).toBe(RECORDS.length);
  });

  test("PackedForward with requireAckResponse: the chunk is acked", async () => {
    const h = await startForward();
    await emitAll(senderFor(h, { eventMode: "PackedForward", requireAckResponse: true }), RECORDS, TIME);
    await expectStored(h);
    expect(h.metric("logpipe_forward_acks_total")).toBeGreaterThanOrEqual(1);
    expect(h.target.appends.every((a) => a.dedupKey !== undefined)).toBe(true);
  });

  test("CompressedPackedForward with requireAckResponse", async () => {
    const h = await startForward();
    await emitAll(
      senderFor(h, { eventMode: "CompressedPackedForward", requireAckResponse: true }),
      RECORDS,
      TIME,
    );
    await expectStored(h);
  });

  test("shared-key handshake, then PackedForward with acks", async () => {
    const h = await startForward({ shared_key: "fluent-logger-key", self_hostname: "logpipe-test" });
    const sender = senderFor(h, {
      eventMode: "PackedForward",
      requireAckResponse: true,
      security: { clientHostname: "app-host", sharedKey: "fluent-logger-key" },
    });
    await emitAll(sender, RECORDS, TIME);
    await expectStored(h);
    expect(h.metric('logpipe_forward_errors_total{code="shared_key_mismatch"}')).toBe(0);
  });

  test("shared-key handshake in Message mode", async () => {
    const h = await startForward({ shared_key: "fluent-logger-key", self_hostname: "logpipe-test" });
    const sender = senderFor(h, {
      requireAckResponse: true,
      security: { clientHostname: "app-host", sharedKey: "fluent-logger-key" },
    });
    await emitAll(sender, RECORDS, TIME);
    await expectStored(h);
  });
});
