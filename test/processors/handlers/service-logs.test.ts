import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LogEventSchema } from "../../../core/event/schema.js";
import { createSubscriptionProcessor } from "../../../processors/handlers/index.js";
import { createTransformer } from "../../../processors/transforms/index.js";
import { encodeSubscription } from "../../fixtures/aws/encode.js";
import { MemoryDeadLetters, ScriptedSink, T0, VirtualClock } from "./support.js";

const VPC_LINES = readFileSync(
  new URL("../../fixtures/aws-logs/vpc-flow-default.log", import.meta.url),
  "utf8",
)
  .split("\n")
  .filter((line) => line.trim() && !line.startsWith("#"));

function run(logGroup: string, messages: string[]) {
  const sink = new ScriptedSink("opensearch", () => ({ status: "accepted" }));
  const deadLetter = new MemoryDeadLetters();
  const processor = createSubscriptionProcessor({
    transform: createTransformer({}),
    sinks: [sink],
    deadLetter,
    clock: new VirtualClock(),
    random: () => 0.5,
  });
  const payload = encodeSubscription({
    messageType: "DATA_MESSAGE",
    owner: "123456789010",
    logGroup,
    logStream: "eni-1235b8ca123456789-all",
    subscriptionFilters: ["logpipe"],
    logEvents: messages.map((message, i) => ({ id: `3${i}`.padEnd(56, "0"), timestamp: T0, message })),
  });
  return {
    sink,
    deadLetter,
    done: processor.process(payload, { remainingMs: 60_000, requestId: "req-vpc" }),
  };
}

describe("AWS service logs through the subscription handler", () => {
  it("parses VPC Flow Log lines from a flow-log group into the schema", async () => {
    const { sink, deadLetter, done } = run("/aws/vpc/flowlogs", VPC_LINES);
    await done;
    const events = [...sink.stored.values()];
    expect(events).toHaveLength(VPC_LINES.length);
    for (const event of events) expect(() => LogEventSchema.parse(event)).not.toThrow();
    const rejected = events.find((e) => e.attrs?.["flow.action"] === "REJECT");
    expect(rejected?.level).toBe("warn");
    expect(rejected?.attrs?.["flow.srcaddr"]).toBe("172.31.9.69");
    expect(rejected?.log_group).toBe("/aws/vpc/flowlogs");
    expect(deadLetter.entries).toEqual([]);
  });

  it("dead-letters a malformed flow-log line with the parser's reason and keeps the rest", async () => {
    const { sink, deadLetter, done } = run("/aws/vpc/flowlogs", [VPC_LINES[0]!, "2 123 not enough fields"]);
    await done;
    expect(sink.stored.size).toBe(1);
    expect(deadLetter.entries).toHaveLength(1);
    expect(deadLetter.entries[0]).toMatchObject({ output: "transform" });
    expect(String(deadLetter.entries[0]!.reason)).toMatch(/^vpc_flow: /);
  });

  it("leaves application log groups to the ordinary transforms", async () => {
    const { sink, done } = run("/logpipe/checkout", ['{"level":"error","message":"boom"}']);
    await done;
    const [event] = [...sink.stored.values()];
    expect(event).toMatchObject({ service: "checkout", level: "error", message: "boom" });
  });
});
