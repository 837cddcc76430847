import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fluent from "fluent-logger";
import { afterAll, describe, expect, it } from "vitest";
import { runCli, startUp } from "../support/cli-process.js";

describe("logpipe up killed with SIGKILL", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("keeps every acked event after a restart, none twice", async () => {
    const dir = await mkdtemp(join(tmpdir(), "logpipe-crash-"));
    dirs.push(dir);
    const args = ["--data-dir", dir, "--forward-port", "0", "--http-port", "0", "--api-port", "0"];
    const first = await startUp(args);
    const client = fluent.createFluentSender<Record<string, unknown>>("crash", {
      host: first.forward.hostname,
      port: Number(first.forward.port),
      eventMode: "PackedForward",
      requireAckResponse: true,
      ackResponseTimeout: 5_000,
      flushInterval: 5,
      reconnectInterval: 60_000,
      internalLogger: { info: () => undefined, error: () => undefined },
    });
    const acked = new Set<number>();
    let sent = 0;
    let stop = false;
    // Keep a window of unacked events in flight, as a busy service would.
    const streaming = (async () => {
      while (!stop) {
        const wave = Array.from({ length: 200 }, () => sent++);
        await Promise.all(
          wave.map(
            (seq) =>
              new Promise<void>((resolve) =>
                client.emit("stream", { run: "crash", seq, message: `event ${seq}` }, (error) => {
                  if (!error) acked.add(seq);
                  resolve();
                }),
              ),
          ),
        );
      }
    })();
    const deadline = Date.now() + 30_000;
    while (acked.size < 3_000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await first.stop("SIGKILL");
    stop = true;
    await streaming;
    (client as unknown as { _disconnect(): void })._disconnect();
    expect(acked.size).toBeGreaterThanOrEqual(3_000);

    const second = await startUp(args);
    try {
      const search = async () => {
        const result = await runCli([
          "search",
          "--server",
          second.api,
          "--json",
          "--since",
          "1h",
          "--limit",
          "100000",
          "run:crash",
        ]);
        expect(result.code).toBe(0);
        return result.stdout
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: string; attrs: { seq: string } });
      };
      let events = await search();
      const until = Date.now() + 30_000;
      while (
        ![...acked].every((seq) => events.some((e) => e.attrs.seq === String(seq))) &&
        Date.now() < until
      ) {
        await new Promise((r) => setTimeout(r, 500));
        events = await search();
      }
      const seqs = events.map((e) => Number(e.attrs.seq));
      const storedSeqs = new Set(seqs);
      const missing = [...acked].filter((seq) => !storedSeqs.has(seq));
      expect(missing).toEqual([]);
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
      expect(seqs.length).toBeLessThanOrEqual(sent);
    } finally {
      await second.stop("SIGKILL");
    }
  }, 120_000);
});
