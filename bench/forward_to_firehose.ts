/**
 * forward → Firehose: PackedForward with acks into `logpipe forward` (durable buffer →
 * transforms → PutRecordBatch of newline-packed records) against an endpoint that answers at
 * once, measured until the output counted every event, against the floor of decoding the same
 * frames with msgpackr.
 *
 *   npm run build && node dist/bench/forward_to_firehose.js [events] [entries-per-chunk] [connections]
 */
import { runForwardOutputBench } from "./support/forward-output-bench.js";

const result = await runForwardOutputBench({
  bench: "forward_to_firehose",
  output: "firehose",
  outputConfig: (endpoint) => ({ endpoint, region: "us-east-1", delivery_stream: "bench" }),
  events: Number(process.argv[2] ?? 300_000),
  perChunk: Number(process.argv[3] ?? 1_000),
  connections: Number(process.argv[4] ?? 4),
});
process.stdout.write(`${JSON.stringify(result)}\n`);
