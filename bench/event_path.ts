/**
 * The per-event work of the forwarder, stage by stage, with no I/O: check a PackedForward
 * frame's entries (forward input), decode them (buffer consumer), transform, serialise each event
 * as JSON (every output), and escape that JSON into a PutLogEvents body (CloudWatch Logs). Each
 * stage runs over the same frames as `forward_to_cloudwatch` in a tight loop, best of several
 * rounds, against the floor of decoding those frames with msgpackr alone. The sum is what any
 * run of the forwarder spends before a byte is written, a fsync made or a collection run, so it
 * is the least a CPU-per-event target has to leave room for.
 *
 *   npm run build && node dist/bench/event_path.js [events]
 */

import { FrameDecoder } from "../collectors/inputs/forward/frame-decoder.js";
import {
  checkEntries,
  packEntries,
  parseEventFrame,
  unpackEntries,
} from "../collectors/inputs/forward/protocol.js";
import { putLogEventsBody } from "../collectors/outputs/cloudwatch-logs/client.js";
import type { IncomingRecord, PackedEntries } from "../core/event/incoming.js";
import type { LogEvent } from "../core/event/schema.js";
import { createTransformer } from "../processors/transforms/index.js";
import { decodeFramesOnly, packedForwardFrames } from "./support/forward-frames.js";
import { FORWARDER_CPU_TARGET } from "./support/forward-output-bench.js";

const EVENTS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;

const frames = packedForwardFrames(EVENTS, 1_000, Date.now() - 60_000);
const blocks: PackedEntries[] = frames.map((bytes) => {
  const decoder = new FrameDecoder({ maxFrameBytes: 64 * 1024 * 1024 });
  decoder.push(bytes);
  const frame = parseEventFrame(decoder.next()!);
  return packEntries(frame, frame.entries, Date.now(), "bench")!.block;
});
const transform = createTransformer({});
const decodeAll = () => blocks.map((block) => unpackEntries(block).records);
const transformAll = (records: IncomingRecord[][]) =>
  records.map((batch) => batch.map((r) => (transform(r) as { event: LogEvent }).event));

/**
 * Best µs per event over the rounds. Each stage's input is made for it and dropped after it,
 * so no stage pays for collecting a heap full of another stage's leftovers.
 */
function perEvent<T>(prepare: () => T, work: (input: T) => void): number {
  const input = prepare();
  work(input);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint();
    work(input);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / EVENTS / 1000);
  }
  return Number(best.toFixed(3));
}

const stages = {
  check_entries: perEvent(
    () => blocks,
    (input) => {
      for (const block of input) checkEntries(block.entries);
    },
  ),
  decode: perEvent(
    () => blocks,
    (input) => {
      for (const block of input) unpackEntries(block);
    },
  ),
  transform: perEvent(decodeAll, (input) => {
    for (const batch of input) for (const record of batch) transform(record);
  }),
  json: perEvent(
    () => transformAll(decodeAll()),
    (input) => {
      for (const batch of input) for (const event of batch) JSON.stringify(event);
    },
  ),
  cloudwatch_body: perEvent(
    () =>
      transformAll(decodeAll()).map((batch) =>
        batch.map((e) => ({ timestamp: 0, message: JSON.stringify(e) })),
      ),
    (input) => {
      for (const batch of input) putLogEventsBody("/logpipe/bench", "bench", batch);
    },
  ),
};
const floor = perEvent(
  () => frames,
  (input) => decodeFramesOnly(input),
);
const sum = Object.values(stages).reduce((a, b) => a + b, 0);
process.stdout.write(
  `${JSON.stringify({
    bench: "event_path",
    events: EVENTS,
    us_per_event: stages,
    sum_us_per_event: Number(sum.toFixed(3)),
    floor: { what: "msgpackr decode of the same frames", us_per_event: floor },
    ratio_to_floor: Number((sum / floor).toFixed(2)),
    forwarder_target_cpu_us_per_event: FORWARDER_CPU_TARGET,
  })}\n`,
);
