import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RedactConfig, RedactConfigSchema } from "../../../processors/transforms/config.js";
import {
  compileRedactor,
  luhnValid,
  RedactionTally,
  redact,
  replacement,
} from "../../../processors/transforms/redact.js";

function redactor(config: Partial<RedactConfig> = {}) {
  return compileRedactor(RedactConfigSchema.parse(config));
}

const all = redactor();

/** Well-known test numbers that pass Luhn. */
const VISA = "4111111111111111";
const AMEX = "378282246310005";
const MASTERCARD = "5555555555554444";
const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

describe("luhnValid", () => {
  it("accepts valid card numbers", () => {
    for (const n of [VISA, AMEX, MASTERCARD]) expect(luhnValid(n)).toBe(true);
  });

  it("rejects a number with a wrong check digit", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
  });
});

describe("redaction of each kind", () => {
  it.each([
    ["email", "contact alice.smith+news@mail.example.co.uk now", "contact [REDACTED:email] now"],
    ["email", "from:bob@example.com", "from:[REDACTED:email]"],
    ["card", `paid with ${VISA} today`, "paid with [REDACTED:card] today"],
    ["card", "card 4111 1111 1111 1111 ok", "card [REDACTED:card] ok"],
    ["card", "card 4111-1111-1111-1111 ok", "card [REDACTED:card] ok"],
    ["card", `amex ${AMEX}`, "amex [REDACTED:card]"],
    ["card", `pan=${MASTERCARD}`, "pan=[REDACTED:card]"],
    ["aws_access_key", "key AKIAIOSFODNN7EXAMPLE used", "key [REDACTED:aws_access_key] used"],
    ["aws_access_key", "session ASIAY34FZKBOKMUTVV7A", "session [REDACTED:aws_access_key]"],
    [
      "aws_secret_key",
      `aws_secret_access_key=${AWS_SECRET}`,
      "aws_secret_access_key=[REDACTED:aws_secret_key]",
    ],
    [
      "aws_secret_key",
      `{"secretAccessKey": "${AWS_SECRET}"}`,
      '{"secretAccessKey": "[REDACTED:aws_secret_key]"}',
    ],
    [
      "aws_secret_key",
      `AWS_SECRET_ACCESS_KEY: ${AWS_SECRET}`,
      "AWS_SECRET_ACCESS_KEY: [REDACTED:aws_secret_key]",
    ],
    [
      "aws_secret_key",
      `{\\"SecretAccessKey\\":\\"${AWS_SECRET}\\"}`,
      '{\\"SecretAccessKey\\":\\"[REDACTED:aws_secret_key]\\"}',
    ],
    ["bearer", "Authorization: Bearer abc123.def-456_ghi", "Authorization: Bearer [REDACTED:bearer]"],
    ["bearer", "authorization: bearer 9f8e7d6c5b4a39281706", "authorization: bearer [REDACTED:bearer]"],
    ["jwt", `token=${JWT}`, "token=[REDACTED:jwt]"],
    ["jwt", `Authorization: Bearer ${JWT}`, "Authorization: Bearer [REDACTED:jwt]"],
  ])("redacts %s in %j", (kind, input, expected) => {
    const out = redact(input, all);
    expect(out.text).toBe(expected);
    expect(out.counts).toEqual({ [kind]: 1 });
  });
});

describe("near misses stay", () => {
  it.each([
    ["a 16-digit number failing Luhn", "order 4111111111111112 shipped"],
    ["an epoch-millisecond timestamp", "at 1764957600123 done"],
    ["a 20-digit id", "trace 41111111111111111111 seen"],
    ["a number too short for a card", "invoice 411111111111"],
    ["an order id with @", "order ORD-2024-0042@v2 placed"],
    ["a package version", "installed pino@10.4.0"],
    ["a host-local address", "mail to root@localhost failed"],
    ["an access key id that is too short", "AKIAIOSFODNN7EXAMPL"],
    ["a lower-case access key id", "akiaiosfodnn7example"],
    ["a 40-character value without a secret name", `checksum ${AWS_SECRET}`],
    ["prose about bearer authentication", "Bearer authentication is required"],
    ["a lone JWT header", "eyJhbGciOiJIUzI1NiJ9 is a header"],
    ["a UUID", "id 550e8400-e29b-41d4-a716-446655440000"],
    ["an IPv4 address", "from 203.0.113.7 port 443"],
  ])("%s", (_name, input) => {
    const out = redact(input, all);
    expect(out.text).toBe(input);
    expect(out.counts).toEqual({});
  });
});

describe("counting", () => {
  it("counts every redaction per kind", () => {
    const out = redact(`a@example.com b@example.com ${VISA} AKIAIOSFODNN7EXAMPLE`, all);
    expect(out.counts).toEqual({ email: 2, card: 1, aws_access_key: 1 });
  });

  it("accumulates across calls in one tally", () => {
    const tally = new RedactionTally();
    all.redactText("a@example.com", tally);
    all.redactText("b@example.com", tally);
    expect(tally.counts).toEqual({ email: 2 });
    expect(tally.total).toBe(2);
  });
});

describe("configuration", () => {
  it("redacts nothing when disabled", () => {
    const off = redactor({ enabled: false });
    expect(off.enabled).toBe(false);
    expect(redact(`a@example.com ${VISA}`, off).text).toBe(`a@example.com ${VISA}`);
    expect(off.redactAttr("password", "hunter2", new RedactionTally())).toBe("hunter2");
  });

  it("applies only the kinds listed", () => {
    const onlyEmail = redactor({ kinds: ["email"] });
    expect(redact(`a@example.com ${VISA}`, onlyEmail).text).toBe(`[REDACTED:email] ${VISA}`);
  });

  it("applies extra patterns with their own kind name", () => {
    const custom = redactor({
      extra_patterns: [{ name: "employee_id", pattern: "\\bE\\d{6}\\b", flags: "", contains: "E" }],
    });
    const out = redact("by E123456 and e123456", custom);
    expect(out.text).toBe("by [REDACTED:employee_id] and e123456");
    expect(out.counts).toEqual({ employee_id: 1 });
  });

  it("skips an extra pattern when its pre-check text is absent", () => {
    const custom = redactor({
      extra_patterns: [{ name: "ssn", pattern: "\\d{3}-\\d{2}-\\d{4}", flags: "", contains: "ssn" }],
    });
    expect(redact("123-45-6789", custom).text).toBe("123-45-6789");
    expect(redact("ssn 123-45-6789", custom).text).toBe("ssn [REDACTED:ssn]");
  });
});

describe("attribute values", () => {
  it("replaces the whole value of a sensitive field, whatever its spelling", () => {
    const tally = new RedactionTally();
    for (const key of ["password", "user.Password", "req.headers.set-cookie", "X-Api-Key", "client_secret"]) {
      expect(all.redactAttr(key, "s3cr3t", tally)).toBe(replacement("sensitive_field"));
    }
    expect(tally.counts).toEqual({ sensitive_field: 5 });
  });

  it("keeps an empty sensitive value and values of ordinary fields", () => {
    const tally = new RedactionTally();
    expect(all.redactAttr("password", "", tally)).toBe("");
    expect(all.redactAttr("password_length", "12", tally)).toBe("12");
    expect(all.redactAttr("prompt_tokens", "512", tally)).toBe("512");
    expect(tally.total).toBe(0);
  });

  it("redacts an AWS secret by its key name", () => {
    const out = all.redactAttr("credentials.secretAccessKey", AWS_SECRET, new RedactionTally());
    expect(out).toBe(replacement("aws_secret_key"));
  });

  it("still redacts free-text secrets inside ordinary attribute values", () => {
    expect(all.redactAttr("user.email", "alice@example.com", new RedactionTally())).toBe("[REDACTED:email]");
  });

  it("honours a custom sensitive field list", () => {
    const custom = redactor({ sensitive_fields: ["ssn"] });
    expect(custom.redactAttr("patient.ssn", "123", new RedactionTally())).toBe(
      replacement("sensitive_field"),
    );
    expect(custom.redactAttr("password", "hunter2", new RedactionTally())).toBe("hunter2");
  });
});

describe("hostile text", () => {
  it("handles a long run of local-part characters before an @", () => {
    const text = `${"a".repeat(50_000)}@`;
    expect(redact(text, all).text).toBe(text);
  });

  it("handles a long digit run", () => {
    const text = "4".repeat(200_000);
    expect(redact(text, all).text).toBe(text);
  });

  it("handles many dotted labels after an @", () => {
    const text = `x@${"a.".repeat(50_000)}`;
    expect(redact(text, all).text).toBe(text);
  });
});

describe("idempotence", () => {
  it("finds nothing more to redact in text it already redacted", () => {
    const piece = fc.constantFrom(
      "a@example.com",
      VISA,
      "4111 1111 1111 1111",
      "AKIAIOSFODNN7EXAMPLE",
      `aws_secret_access_key=${AWS_SECRET}`,
      "Bearer abc123.def-456",
      JWT,
      " ",
      ":",
      "=",
      '"',
      "-",
      "x",
      "7",
      "@",
      ".",
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const once = redact(pieces.join(""), all);
        const twice = redact(once.text, all);
        expect(twice.text).toBe(once.text);
        expect(twice.counts).toEqual({});
      }),
      { numRuns: 300 },
    );
  });
});
