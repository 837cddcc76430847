import { describe, expect, it } from "vitest";
import type { LogEvent } from "../../../core/event/schema.js";
import { EVENT_JSON, eventJson, groupByPartition } from "../../../stores/lake/batch.js";
import { makeEvent } from "./events.js";

describe("groupByPartition", () => {
  it("puts events of the same service and hour into one group, in batch order", () => {
    const a = makeEvent({ "@timestamp": "2026-01-05T10:00:00.000Z" });
    const b = makeEvent({ "@timestamp": "2026-01-05T10:59:59.999Z" });
    const { groups } = groupByPartition([a, b]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.indices).toEqual([0, 1]);
    expect(groups[0]!.body).toBe(`${JSON.stringify(a)}\n${JSON.stringify(b)}\n`);
  });

  it("separates services, days and hours, in order of first appearance", () => {
    const batch = [
      makeEvent({ service: "b", "@timestamp": "2026-01-05T10:00:00.000Z" }),
      makeEvent({ service: "a", "@timestamp": "2026-01-05T10:00:00.000Z" }),
      makeEvent({ service: "b", "@timestamp": "2026-01-05T11:00:00.000Z" }),
      makeEvent({ service: "b", "@timestamp": "2026-01-06T10:00:00.000Z" }),
      makeEvent({ service: "a", "@timestamp": "2026-01-05T10:30:00.000Z" }),
    ];
    const { groups } = groupByPartition(batch);
    expect(groups.map((g) => [g.partition.service, g.partition.dt, g.partition.hour, g.indices])).toEqual([
      ["b", "2026-01-05", "10", [0]],
      ["a", "2026-01-05", "10", [1, 4]],
      ["b", "2026-01-05", "11", [2]],
      ["b", "2026-01-06", "10", [3]],
    ]);
  });

  it("merges services that sanitise to the same path segment into one partition", () => {
    const { groups } = groupByPartition([makeEvent({ service: "a b" }), makeEvent({ service: "a/b" })]);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.partition.service).toBe("a_b");
  });

  it("keeps the original service name inside the event line", () => {
    const { groups } = groupByPartition([makeEvent({ service: "team/pay" })]);
    expect(JSON.parse(groups[0]!.body.trim()).service).toBe("team/pay");
  });

  it("rejects an event whose timestamp is not a time, and keeps the others", () => {
    const batch = [makeEvent(), makeEvent({ "@timestamp": "not a time" }), makeEvent()];
    const { groups, invalid } = groupByPartition(batch);
    expect(invalid).toEqual([expect.objectContaining({ index: 1, code: "invalid_timestamp" })]);
    expect(groups[0]!.indices).toEqual([0, 2]);
  });

  it("rejects hostile events without a service or with a value JSON cannot encode", () => {
    const noService = { ...makeEvent(), service: undefined } as unknown as LogEvent;
    const bigint = { ...makeEvent(), attrs: { n: 1n } } as unknown as LogEvent;
    const { groups, invalid } = groupByPartition([noService, bigint]);
    expect(groups).toHaveLength(0);
    expect(invalid.map((i) => i.code)).toEqual(["invalid_service", "unserializable"]);
  });

  it("encodes line separators inside messages so each event stays one line", () => {
    const { groups } = groupByPartition([makeEvent({ message: "a\nb\r\nc\u2028d" })]);
    expect(groups[0]!.body.split("\n")).toHaveLength(2);
  });

  it("writes the JSON text a frozen event carries instead of serialising it again", () => {
    const event = makeEvent();
    const carried = JSON.stringify(event, null, 0).replace('"level"', '"level" ');
    Object.defineProperty(event, EVENT_JSON, { value: carried });
    Object.freeze(event);
    expect(groupByPartition([event]).groups[0]!.body).toBe(`${carried}\n`);
  });

  it("serialises an event that is not frozen even when it carries a text, which may be stale", () => {
    const event = makeEvent();
    Object.defineProperty(event, EVENT_JSON, { value: "{}" });
    event.message = "changed";
    expect(eventJson(event)).toBe(JSON.stringify(event));
  });

  it("uses the registered symbol, so other stores can carry the text under the same key", () => {
    expect(EVENT_JSON).toBe(Symbol.for("logpipe.event.json"));
  });

  it("answers nothing for an empty batch", () => {
    expect(groupByPartition([])).toEqual({ groups: [], invalid: [] });
  });
});
