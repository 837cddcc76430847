import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { ForwarderError } from "../../../collectors/logger/errors.js";
import {
  classify,
  eventTime,
  FluentChunkSender,
  type FluentChunkSenderOptions,
} from "../../../collectors/logger/fluent-sender.js";
import type { QueuedEvent } from "../../../collectors/logger/queue.js";
import { pack } from "../../support/forward-client.js";
import { startForwarder, unusedPort } from "./harness.js";

const servers: Server[] = [];
const sockets = new Set<Socket>();
const senders: FluentChunkSender[] = [];

afterEach(async () => {
  for (const sender of senders.splice(0)) sender.close();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
  );
});

/** A TCP server that calls `onData` with each connection's first bytes. */
async function rawServer(onData: (socket: Socket, data: Buffer) => void): Promise<number> {
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.once("data", (data) => onData(socket, data));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return (server.address() as { port: number }).port;
}

function sender(port: number, overrides: Partial<FluentChunkSenderOptions> = {}): FluentChunkSender {
  const s = new FluentChunkSender({
    host: "127.0.0.1",
    port,
    tag: "svc",
    ackTimeoutMs: 20_000,
    maxChunkBytes: 1024 * 1024,
    clientHostname: "client-test",
    ...overrides,
  });
  senders.push(s);
  return s;
}

const events: QueuedEvent[] = [
  { timeMs: 1_700_000_000_123, record: { message: "a" }, bytes: 50 },
  { timeMs: 1_700_000_000_124, record: { message: "b" }, bytes: 50 },
];

async function failure(promise: Promise<void>): Promise<ForwarderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ForwarderError) return error;
    throw error;
  }
  throw new Error("expected the send to fail");
}

describe("FluentChunkSender", () => {
  test("a chunk acknowledged by a real forward input resolves, with both events stored", async () => {
    const fw = await startForwarder();
    await sender(fw.port).send(events);
    expect(fw.target.records.map((r) => [r.record["message"], r.time])).toEqual([
      ["a", 1_700_000_000_123],
      ["b", 1_700_000_000_124],
    ]);
  });

  test("nothing listening: the send fails as connect_failed", async () => {
    const error = await failure(sender(await unusedPort()).send(events));
    expect(error.code).toBe("connect_failed");
    expect(error.stage).toBe("sending");
  });

  test("a server that never answers: the send fails as ack_timeout", async () => {
    const port = await rawServer(() => undefined);
    const error = await failure(sender(port, { ackTimeoutMs: 100 }).send(events));
    expect(error.code).toBe("ack_timeout");
  });

  test("a server that hangs up without an ack: the send fails as connection_closed, without waiting for the timeout", async () => {
    const port = await rawServer((socket) => socket.destroy());
    const error = await failure(sender(port).send(events));
    expect(error.code).toBe("connection_closed");
  });

  test("an ack for another chunk: the send fails as ack_mismatch", async () => {
    const port = await rawServer((socket) => socket.write(pack({ ack: "not-your-chunk" })));
    const error = await failure(sender(port).send(events));
    expect(error.code).toBe("ack_mismatch");
  });

  test("after a failure the next send starts on a fresh connection", async () => {
    const fw = await startForwarder();
    fw.target.failNextAppend = new Error("disk full");
    const s = sender(fw.port);

    await expect(s.send(events)).rejects.toBeInstanceOf(ForwarderError);
    await s.send(events);

    expect(fw.metric("logpipe_forward_connections_total")).toBe(2);
    expect(fw.target.records).toHaveLength(2);
  });

  test("consecutive successful chunks share one connection", async () => {
    const fw = await startForwarder();
    const s = sender(fw.port);

    await s.send([events[0]!]);
    await s.send([events[1]!]);

    expect(fw.metric("logpipe_forward_connections_total")).toBe(1);
    expect(fw.target.appends).toHaveLength(2);
  });

  test("close() fails the chunk in flight as closed, and later sends too", async () => {
    const port = await rawServer(() => undefined);
    const s = sender(port);
    const inFlight = s.send(events);
    s.close();
    expect((await failure(inFlight)).code).toBe("closed");
    expect((await failure(s.send(events))).code).toBe("closed");
  });
});

describe("eventTime and classify", () => {
  test("EventTime carries the milliseconds as nanoseconds", () => {
    expect(eventTime(1_700_000_000_123)).toMatchObject({ epoch: 1_700_000_000, nano: 123_000_000 });
    expect(eventTime(-5)).toMatchObject({ epoch: 0, nano: 0 });
  });

  test("fluent-logger's errors map onto stable codes", () => {
    const named = (name: string, extra: object = {}) => Object.assign(new Error("x"), { name, ...extra });
    expect(classify(named("ResponseTimeoutError")).code).toBe("ack_timeout");
    expect(classify(named("ResponseError")).code).toBe("ack_mismatch");
    expect(classify(named("HandshakeError")).code).toBe("handshake_failed");
    expect(classify(named("Error", { code: "ECONNREFUSED" })).code).toBe("connect_failed");
    expect(classify(named("Error", { code: "ECONNRESET" })).code).toBe("connection_closed");
    expect(classify("weird").code).toBe("connection_closed");
  });
});
