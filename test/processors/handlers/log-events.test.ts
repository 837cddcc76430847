import { describe, expect, it } from "vitest";
import { logEventInput, logGroupTag } from "../../../processors/handlers/index.js";
import { T0 } from "./support.js";

const ORIGIN = { logGroup: "/logpipe/checkout", logStream: "s", receivedAt: T0 };

describe("logGroupTag", () => {
  it.each([
    ["/logpipe/checkout", "checkout"],
    ["/aws/lambda/checkout-api", "checkout-api"],
    ["/ecs/storefront.web", "storefront.web"],
    ["/trailing/slash/", "slash"],
    ["plain-group", "plain-group"],
  ])("tags %s as %s", (logGroup, tag) => {
    expect(logGroupTag(logGroup)).toBe(tag);
  });

  it("prefers the named group service of the configured pattern", () => {
    expect(
      logGroupTag("/k8s/prod/cart/containers", { serviceFromLogGroup: /^\/k8s\/\w+\/(?<service>[^/]+)/ }),
    ).toBe("cart");
  });

  it("takes the first capture group when the pattern names none", () => {
    expect(logGroupTag("/svc/orders/app", { serviceFromLogGroup: /^\/svc\/([^/]+)/ })).toBe("orders");
  });

  it("falls back to the last segment when the pattern does not match", () => {
    expect(logGroupTag("/aws/lambda/fn", { serviceFromLogGroup: /^\/svc\/([^/]+)/ })).toBe("fn");
  });
});

describe("logEventInput", () => {
  it("uses the CloudWatch id and timestamp as the fallbacks", () => {
    const input = logEventInput({ id: "cw-1", timestamp: T0 - 5, message: "m" }, ORIGIN, "checkout");
    expect(input).toMatchObject({
      id: "cw-1",
      time: T0 - 5,
      receivedAt: T0,
      tag: "checkout",
      source: "cloudwatch",
    });
  });

  it("merges extracted fields beside the message", () => {
    const input = logEventInput(
      { id: "1", timestamp: T0, message: "m", extractedFields: { status_code: "200" } },
      ORIGIN,
      "t",
    );
    expect(input.record).toEqual({ message: "m", status_code: "200" });
  });

  it("renames extracted fields that would replace the message or the id", () => {
    const input = logEventInput(
      { id: "1", timestamp: T0, message: "real", extractedFields: { message: "other", id: "x" } },
      ORIGIN,
      "t",
    );
    expect(input.record).toEqual({ message: "real", extracted_message: "other", extracted_id: "x" });
  });

  it("keeps an extracted __proto__ key as a plain field without touching the prototype", () => {
    const extractedFields = JSON.parse('{"__proto__": {"polluted": "yes"}}') as Record<string, string>;
    const input = logEventInput({ id: "1", timestamp: T0, message: "m", extractedFields }, ORIGIN, "t");
    expect(Object.getPrototypeOf(input.record)).toBe(Object.prototype);
    expect(Object.hasOwn(input.record, "__proto__")).toBe(true);
    expect((input.record as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
