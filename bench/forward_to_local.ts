/**
 * forward → local: PackedForward with acks into `logpipe up` (durable buffer → transforms →
 * DuckDB store), measured end to end until a query finds every event, against the floor of
 * decoding the same frames with msgpackr alone in the same run.
 *
 *   npm run build && node dist/bench/forward_to_local.js [events] [entries-per-chunk] [connections]
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HttpQueryBackend } from "../cli/api/client.js";
import { floorSeconds, packedForwardFrames, sendWithAcks } from "./support/forward-frames.js";
import { cpuSeconds, listener, peakRssMiB, readCounter, round, startCli } from "./support/process-stats.js";

// A million events take about ten seconds: long enough that JIT warm-up and the last load
// before the final query (up to `refresh.max_rows` events) do not dominate, as they do in 300k.
const events = Number(process.argv[2] ?? 1_000_000);
const perChunk = Number(process.argv[3] ?? 1_000);
const connections = Number(process.argv[4] ?? 4);

const frames = packedForwardFrames(events, perChunk, Date.now() - 60_000);

const floor = floorSeconds(frames, events);

const dataDir = await mkdtemp(join(tmpdir(), "logpipe-bench-"));
const { child, output } = await startCli([
  "up",
  "--data-dir",
  dataDir,
  "--forward-port",
  "0",
  "--http-port",
  "0",
  "--api-port",
  "0",
]);
try {
  const forward = new URL(listener(output(), "forward"));
  const api = listener(output(), "api");
  const metrics = `${api}/metrics`;
  const pid = child.pid!;
  const cpuBefore = cpuSeconds(pid);
  const start = process.hrtime.bigint();
  await sendWithAcks(forward.hostname, Number(forward.port), frames, connections);
  const ackedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const deadline = Date.now() + 300_000;
  // Every event accepted by the store, then the moment a query finds them all: a query loads
  // whatever the store accepted and has not made searchable yet, as a user's search would.
  while ((await readCounter(metrics, "logpipe_output_events_total", 'output="local-store"')) < events) {
    if (Date.now() > deadline) throw new Error("events did not all reach the store in 5 minutes");
    await new Promise((r) => setTimeout(r, 20));
  }
  const { rows } = await new HttpQueryBackend(api).sql("SELECT count(*) FROM events");
  const found = Number(rows[0]?.[0]);
  if (found !== events) throw new Error(`a search found ${found} events of ${events}`);
  const storedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const result = {
    bench: "forward_to_local",
    events,
    entries_per_chunk: perChunk,
    connections,
    acked_seconds: round(ackedSeconds),
    stored_seconds: round(storedSeconds),
    events_per_s: Math.round(events / storedSeconds),
    acked_events_per_s: Math.round(events / ackedSeconds),
    cpu_seconds_per_million: round((cpu / events) * 1e6),
    peak_rss_mib: round(peakRssMiB(pid)),
    floor: { what: "msgpackr decode of the same frames", events_per_s: Math.round(events / floor) },
    ratio_to_floor: round(events / storedSeconds / (events / floor)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
}
