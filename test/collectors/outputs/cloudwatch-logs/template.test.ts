import { describe, expect, it } from "vitest";
import { compileTemplate, sanitizeName } from "../../../../collectors/outputs/cloudwatch-logs/template.js";
import { makeEvent } from "./helpers.js";

describe("compileTemplate", () => {
  it("fills every placeholder from the event", () => {
    const render = compileTemplate("group", "/logpipe/{env}/{region}/{service}/{level}/{date}", {});
    const event = makeEvent({
      env: "prod",
      region: "eu-west-1",
      level: "error",
      "@timestamp": "2026-03-10T23:59:59.999Z",
    });
    expect(render(event)).toBe("/logpipe/prod/eu-west-1/checkout/error/2026-03-10");
  });

  it("uses the configured default for an absent field, and `unknown` without one", () => {
    const render = compileTemplate("stream", "{host}/{env}", { host: "machine-7" });
    const { host: _host, ...withoutHost } = makeEvent();
    expect(render(withoutHost)).toBe("machine-7/unknown");
  });

  it("renders a template without placeholders as is", () => {
    expect(compileTemplate("group", "/fixed/group", {})(makeEvent())).toBe("/fixed/group");
  });

  it("cleans field values that are not allowed in a log group name", () => {
    const render = compileTemplate("group", "/logpipe/{service}", {});
    expect(render(makeEvent({ service: "pay ments:v2*ü😀" }))).toBe("/logpipe/pay_ments_v2___");
  });
});

describe("sanitizeName", () => {
  it("keeps only the log group charset", () => {
    expect(sanitizeName("group", "a.b-c_d/e#f:g h")).toBe("a.b-c_d/e#f_g_h");
  });

  it("moves a group name off the reserved aws/ prefix", () => {
    expect(sanitizeName("group", "aws/lambda/x")).toBe("_aws/lambda/x");
    expect(sanitizeName("group", "AWS/x")).toBe("_AWS/x");
  });

  it("allows any character in a stream name but colon, asterisk and control characters", () => {
    expect(sanitizeName("stream", "host:1*ü\n😀 ok")).toBe("host_1_ü_😀 ok");
  });

  it("replaces lone surrogates in a stream name", () => {
    expect(sanitizeName("stream", "a\ud800b")).toBe("a_b");
  });

  it("caps names at 512 characters without splitting a surrogate pair", () => {
    expect(sanitizeName("group", "g".repeat(600))).toHaveLength(512);
    const stream = sanitizeName("stream", `${"s".repeat(511)}😀tail`);
    expect(stream).toBe("s".repeat(511));
  });

  it("never returns an empty name", () => {
    expect(sanitizeName("group", "")).toBe("_");
    expect(sanitizeName("stream", "")).toBe("_");
  });
});
