import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fluent from "fluent-logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startUp, type UpProcess } from "../support/cli-process.js";

type Sender = fluent.FluentSender<Record<string, unknown>>;

function sender(forward: URL, options: fluent.Options): Sender {
  return fluent.createFluentSender<Record<string, unknown>>("e2e", {
    host: forward.hostname,
    port: Number(forward.port),
    reconnectInterval: 200,
    internalLogger: { info: () => undefined, error: () => undefined },
    ...options,
  });
}

function emit(s: Sender, label: string, record: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) =>
    s.emit(label, record, (error) => (error ? reject(error) : resolve())),
  );
}

function close(s: Sender): void {
  (s as unknown as { _disconnect(): void })._disconnect();
}

async function searchJson(args: string[]): Promise<Record<string, unknown>[]> {
  const result = await runCli(["search", "--json", "--since", "1h", "--limit", "10000", ...args]);
  if (result.code !== 0) throw new Error(`search failed (${result.code}): ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function sqlJson(args: string[]): Promise<Record<string, unknown>[]> {
  const result = await runCli(["sql", "--json", ...args]);
  if (result.code !== 0) throw new Error(`sql failed (${result.code}): ${result.stderr}`);
  return result.stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Polls until `check` passes: delivery into the store is asynchronous after the ack. */
async function eventually<T>(
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await probe();
  while (!check(value) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    value = await probe();
  }
  return value;
}

describe("logpipe up, end to end", () => {
  let dir: string;
  let up: UpProcess;
  const run = `run${Date.now().toString(36)}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "logpipe-e2e-"));
    up = await startUp(["--data-dir", dir, "--forward-port", "0", "--http-port", "0", "--api-port", "0"]);
  });

  afterAll(async () => {
    await up?.stop("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });

  it("prints every listener and the data directory", () => {
    expect(up.forward.protocol).toBe("tcp:");
    expect(Number(up.forward.port)).toBeGreaterThan(0);
    expect(up.http.protocol).toBe("http:");
    expect(up.api).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(up.output()).toContain(dir);
  });

  it("stores events from fluent-logger (Message and acked PackedForward) and HTTP, and finds each exactly once", async () => {
    const message = sender(up.forward, { eventMode: "Message" });
    const packed = sender(up.forward, {
      eventMode: "PackedForward",
      requireAckResponse: true,
      flushInterval: 20,
    });
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        emit(message, "message", { run, mode: "message", seq: i, level: "info", message: `message ${i}` }),
      ),
    );
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        emit(packed, "packed", {
          run,
          mode: "packed",
          seq: i,
          level: i % 10 === 0 ? "error" : "info",
          message: `packed ${i}`,
        }),
      ),
    );
    close(message);
    close(packed);

    const lines = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ run, mode: "http", seq: i, service: "web", level: "warn", message: `http ${i}` }),
    );
    lines.splice(5, 0, "{not json");
    const response = await fetch(new URL("/v1/logs", up.http), {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: lines.join("\n"),
    });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as { accepted: number; rejected: { line: number }[] };
    expect(answer.accepted).toBe(30);
    expect(answer.rejected.map((r) => r.line)).toEqual([6]);

    const events = await eventually(
      () => searchJson(["--server", up.api, `run:${run}`]),
      (found) => found.length >= 280,
    );
    expect(events).toHaveLength(280);
    expect(new Set(events.map((e) => e.id)).size).toBe(280);
    const byMode = (mode: string) =>
      events.filter((e) => (e.attrs as Record<string, string>).mode === mode).length;
    expect([byMode("message"), byMode("packed"), byMode("http")]).toEqual([50, 200, 30]);

    const errors = await searchJson(["--server", up.api, `run:${run} and level:error`]);
    expect(errors).toHaveLength(20);

    const counts = await sqlJson([
      "--server",
      up.api,
      `SELECT count(*) AS n, count(DISTINCT id) AS ids FROM logs WHERE attrs['run'] = '${run}'`,
    ]);
    expect(counts).toEqual([{ n: 280, ids: 280 }]);
  });

  it("reports a DQL syntax error with its column and exit status 1", async () => {
    const result = await runCli(["search", "--server", up.api, "level:error and (service:x"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/column \d+|\^/);
  });

  it("flushes on SIGTERM, exits 0, and the data directory answers the same queries afterwards", async () => {
    expect(await up.stop("SIGTERM")).toBe(0);
    const events = await searchJson(["--data-dir", dir, `run:${run}`]);
    expect(events).toHaveLength(280);
    const counts = await sqlJson([
      "--data-dir",
      dir,
      `SELECT count(*) AS n FROM logs WHERE attrs['run'] = '${run}'`,
    ]);
    expect(counts).toEqual([{ n: 280 }]);
  });
});

describe("logpipe up with a shared key", () => {
  it("accepts clients that complete the handshake and refuses the others", async () => {
    const dir = await mkdtemp(join(tmpdir(), "logpipe-e2e-key-"));
    const config = join(dir, "logpipe.yaml");
    await writeFile(
      config,
      `inputs:\n  forward:\n    shared_key: s3cret-key\n    self_hostname: e2e-server\n`,
    );
    const up = await startUp([
      "--config",
      config,
      "--data-dir",
      dir,
      "--forward-port",
      "0",
      "--http-port",
      "0",
      "--api-port",
      "0",
    ]);
    try {
      const good = sender(up.forward, {
        eventMode: "PackedForward",
        requireAckResponse: true,
        flushInterval: 20,
        security: { clientHostname: "e2e-client", sharedKey: "s3cret-key" },
      });
      await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          emit(good, "secure", { run: "keyed", seq: i, message: `secure ${i}` }),
        ),
      );
      close(good);

      const bad = sender(up.forward, {
        eventMode: "PackedForward",
        requireAckResponse: true,
        ackResponseTimeout: 2_000,
        security: { clientHostname: "intruder", sharedKey: "wrong-key" },
      });
      const refused = await Promise.race([
        emit(bad, "secure", { run: "keyed", seq: 999, message: "must not arrive" }).then(
          () => "acked",
          () => "refused",
        ),
        new Promise((r) => setTimeout(() => r("refused"), 5_000)),
      ]);
      close(bad);
      expect(refused).toBe("refused");

      const events = await eventually(
        () => searchJson(["--server", up.api, "run:keyed"]),
        (found) => found.length >= 25,
      );
      expect(events.map((e) => (e.attrs as Record<string, string>).seq).sort()).toEqual(
        Array.from({ length: 25 }, (_, i) => String(i)).sort(),
      );
    } finally {
      await up.stop("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });
});
