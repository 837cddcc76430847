/**
 * forward → CloudWatch Logs: PackedForward with acks into `logpipe forward` (durable buffer →
 * transforms → PutLogEvents) against an endpoint that answers at once, measured until the
 * output counted every event, against the floor of decoding the same frames with msgpackr.
 *
 *   npm run build && node dist/bench/forward_to_cloudwatch.js [events] [entries-per-chunk] [connections]
 */
import { runForwardOutputBench } from "./support/forward-output-bench.js";

const result = await runForwardOutputBench({
  bench: "forward_to_cloudwatch",
  output: "cloudwatch_logs",
  outputConfig: (endpoint) => ({
    endpoint,
    region: "us-east-1",
    log_group: "/logpipe/bench",
    log_stream: "bench",
  }),
  events: Number(process.argv[2] ?? 300_000),
  perChunk: Number(process.argv[3] ?? 1_000),
  connections: Number(process.argv[4] ?? 4),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
