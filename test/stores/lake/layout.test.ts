import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compactedKey,
  deadLetterKey,
  keyFits,
  normalisePrefix,
  objectKey,
  parseObjectKey,
  partitionEnd,
  partitionOfEvent,
  sanitiseService,
} from "../../../stores/lake/layout.js";

const ULID = "01JH0000000000000000000000";

describe("sanitiseService", () => {
  it("keeps letters, digits, underscore, dot and hyphen", () => {
    expect(sanitiseService("Checkout-API_v2.1")).toBe("Checkout-API_v2.1");
  });

  it("replaces slashes, spaces, equals signs and percent signs with underscores", () => {
    expect(sanitiseService("team/pay ments=x%y")).toBe("team_pay_ments_x_y");
  });

  it("replaces each non-ASCII code point with one underscore", () => {
    expect(sanitiseService("café🚀")).toBe("caf__");
  });

  it("cannot produce a path traversal segment because the value sits after service=", () => {
    const key = objectKey("", { service: sanitiseService("../../etc"), dt: "2026-01-05", hour: "10" }, ULID);
    expect(key).toBe(`logs/service=.._.._etc/dt=2026-01-05/hour=10/${ULID}.json.gz`);
  });

  it("turns an empty name into an underscore so the path keeps its segment", () => {
    expect(sanitiseService("")).toBe("_");
  });
});

describe("partitionOfEvent", () => {
  it("takes day and hour from @timestamp in UTC", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-01-05T10:59:59.999Z" })).toEqual({
      service: "api",
      dt: "2026-01-05",
      hour: "10",
    });
  });

  it("pads single-digit hours with a zero", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-01-05T03:00:00.000Z" })?.hour).toBe("03");
  });

  it("puts midnight UTC into hour 00 of the new day", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-01-06T00:00:00.000Z" })).toMatchObject({
      dt: "2026-01-06",
      hour: "00",
    });
  });

  it("converts a timestamp with an offset to the UTC day before", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-01-06T01:30:00.000+02:00" })).toMatchObject(
      {
        dt: "2026-01-05",
        hour: "23",
      },
    );
  });

  it("handles the last hour of a leap day", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2028-02-29T23:00:00.000Z" })).toMatchObject({
      dt: "2028-02-29",
      hour: "23",
    });
  });

  it("sanitises the service", () => {
    expect(partitionOfEvent({ service: "a b", "@timestamp": "2026-01-05T10:00:00.000Z" })?.service).toBe(
      "a_b",
    );
  });

  it("answers undefined for a timestamp that is not a time", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "yesterday" })).toBeUndefined();
  });

  it("answers undefined for a year outside 0000-9999", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "+010000-01-01T00:00:00.000Z" })).toBeUndefined();
  });

  it("rolls a day past the month's end over as Date.parse does", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-02-30T10:00:00.000Z" })).toMatchObject({
      dt: "2026-03-02",
      hour: "10",
    });
  });

  it("reads hour 24 as midnight of the next day", () => {
    expect(partitionOfEvent({ service: "api", "@timestamp": "2026-01-05T24:00:00.000Z" })).toMatchObject({
      dt: "2026-01-06",
      hour: "00",
    });
  });

  it("gives a schema timestamp the day and hour of its parsed time", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253_402_300_799_999 }), (ms) => {
        const date = new Date(ms);
        const p = partitionOfEvent({ service: "api", "@timestamp": date.toISOString() });
        expect(p).toEqual({
          service: "api",
          dt: date.toISOString().slice(0, 10),
          hour: String(date.getUTCHours()).padStart(2, "0"),
        });
      }),
    );
  });
});

describe("keys", () => {
  const p = { service: "checkout", dt: "2026-01-05", hour: "07" };

  it("puts objects under <prefix>logs/service=/dt=/hour=/<ulid>.json.gz", () => {
    expect(objectKey("prod", p, ULID)).toBe(
      `prod/logs/service=checkout/dt=2026-01-05/hour=07/${ULID}.json.gz`,
    );
  });

  it("normalises prefixes to end in exactly one slash", () => {
    expect(normalisePrefix("a/b//")).toBe("a/b/");
    expect(normalisePrefix("")).toBe("");
    expect(normalisePrefix("a")).toBe("a/");
  });

  it("names merged objects compacted-<ulid>.json.gz in the same partition", () => {
    expect(compactedKey("", p, ULID)).toBe(
      `logs/service=checkout/dt=2026-01-05/hour=07/compacted-${ULID}.json.gz`,
    );
  });

  it("keeps dead letters outside the table location", () => {
    expect(deadLetterKey("prod/", p, "x.json.gz")).toBe(
      "prod/dead-letter/compaction/service=checkout/dt=2026-01-05/hour=07/x.json.gz",
    );
  });

  it("gives each object a distinct name by default", () => {
    expect(objectKey("", p)).not.toBe(objectKey("", p));
  });

  it("reports keys longer than S3's 1024 bytes", () => {
    expect(keyFits("a".repeat(1024))).toBe(true);
    expect(keyFits("é".repeat(513))).toBe(false);
  });
});

describe("parseObjectKey", () => {
  it("reads back the partition of a key it built", () => {
    const p = { service: "a.b-c_d", dt: "2026-12-31", hour: "23" };
    expect(parseObjectKey("pre/", objectKey("pre/", p, ULID))).toEqual({
      partition: p,
      name: `${ULID}.json.gz`,
    });
  });

  it("ignores keys outside the prefix, other extensions, deeper folders and impossible dates", () => {
    expect(parseObjectKey("", "other/service=a/dt=2026-01-05/hour=01/x.json.gz")).toBeUndefined();
    expect(parseObjectKey("", "logs/service=a/dt=2026-01-05/hour=01/x.parquet")).toBeUndefined();
    expect(parseObjectKey("", "logs/service=a/dt=2026-01-05/hour=01/sub/x.json.gz")).toBeUndefined();
    expect(parseObjectKey("", "logs/service=a/dt=2026-02-30/hour=01/x.json.gz")).toBeUndefined();
    expect(parseObjectKey("", "logs/service=a/dt=2026-01-05/hour=24/x.json.gz")).toBeUndefined();
    expect(parseObjectKey("", "logs/service=a b/dt=2026-01-05/hour=01/x.json.gz")).toBeUndefined();
  });
});

describe("partitionEnd", () => {
  it("is the start of the next hour", () => {
    expect(new Date(partitionEnd({ dt: "2026-01-05", hour: "23" })).toISOString()).toBe(
      "2026-01-06T00:00:00.000Z",
    );
  });
});
