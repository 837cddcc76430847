import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { floorSeconds, packedForwardFrames, sendWithAcks } from "./forward-frames.js";
import { startInstantAws } from "./instant-aws.js";
import { cpuTimes, listener, peakRssMiB, readCounter, round, startCli } from "./process-stats.js";

/** The forwarder's CPU target: CPU-seconds per million events, i.e. CPU-µs per event. */
export const FORWARDER_CPU_TARGET = 3.4;

export interface ForwardOutputBench {
  bench: string;
  /** Output name in the config and in `logpipe_output_events_total{output=…}`. */
  output: "cloudwatch_logs" | "firehose";
  /** The output's config section, given the instant endpoint. */
  outputConfig(endpoint: string): Record<string, unknown>;
  events: number;
  perChunk: number;
  connections: number;
}

/**
 * PackedForward with acks → `logpipe forward` (durable buffer → transforms → one AWS output)
 * → an endpoint that answers at once, until the output counted every event; against the floor
 * of decoding the same frames with msgpackr alone, in the same run.
 */
export async function runForwardOutputBench(options: ForwardOutputBench): Promise<Record<string, unknown>> {
  const { events, perChunk, connections } = options;
  const frames = packedForwardFrames(events, perChunk, Date.now() - 60_000);

  const floor = floorSeconds(frames, events);

  const aws = await startInstantAws();
  const dir = await mkdtemp(join(tmpdir(), "logpipe-bench-"));
  const config = join(dir, "logpipe.yaml");
  await writeFile(
    config,
    stringify({
      outputs: { [options.output]: options.outputConfig(aws.endpoint) },
      forwarder: { stats_interval_s: 0 },
    }),
  );
  // The child inherits these: static credentials, so the SDK signs without looking for real ones.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_REGION: "us-east-1",
    AWS_EC2_METADATA_DISABLED: "true",
  });
  const { child, output } = await startCli([
    "forward",
    "--config",
    config,
    "--data-dir",
    join(dir, "data"),
    "--forward-port",
    "0",
    "--http-port",
    "0",
    "--metrics-port",
    "0",
  ]);
  try {
    const forward = new URL(listener(output(), "forward"));
    const metrics = `${listener(output(), "metrics").replace(/\/$/, "")}/metrics`;
    const pid = child.pid!;
    const splitBefore = cpuTimes(pid);
    const start = process.hrtime.bigint();
    await sendWithAcks(forward.hostname, Number(forward.port), frames, connections);
    const ackedSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const deadline = Date.now() + 300_000;
    const label = `output="${options.output}"`;
    while ((await readCounter(metrics, "logpipe_output_events_total", label)) < events) {
      if (Date.now() > deadline) throw new Error(`events did not all reach ${options.output} in 5 minutes`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const deliveredSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const splitAfter = cpuTimes(pid);
    const user = splitAfter.user - splitBefore.user;
    const cpu = user + (splitAfter.system - splitBefore.system);
    return {
      bench: options.bench,
      events,
      entries_per_chunk: perChunk,
      connections,
      acked_seconds: round(ackedSeconds),
      delivered_seconds: round(deliveredSeconds),
      events_per_s: Math.round(events / deliveredSeconds),
      acked_events_per_s: Math.round(events / ackedSeconds),
      cpu_seconds_per_million: round((cpu / events) * 1e6),
      // Kernel time is mostly the buffer's writes and fsyncs; user time is the JavaScript.
      cpu_user_share: cpu > 0 ? round(user / cpu) : 0,
      peak_rss_mib: round(peakRssMiB(pid)),
      at_endpoint: { log_events: aws.logEvents, records: aws.records, record_events: aws.recordEvents },
      floor: { what: "msgpackr decode of the same frames", events_per_s: Math.round(events / floor) },
      ratio_to_floor: round(events / deliveredSeconds / (events / floor)),
      targets: { cpu_seconds_per_million_max: FORWARDER_CPU_TARGET, peak_rss_mib_max: 256 },
    };
  } finally {
    child.kill("SIGKILL");
    await aws.close();
    await rm(dir, { recursive: true, force: true });
  }
}
