import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { type LogEvent, LogEventSchema } from "../../../../core/event/schema.js";
import {
  type ParsedServiceLog,
  type ServiceLogOrigin,
  type ServiceLogResult,
  toIncomingRecord,
} from "../../../../processors/transforms/aws/index.js";
import {
  createTransformer,
  type Transform,
  type TransformContext,
  type TransformsConfigInput,
} from "../../../../processors/transforms/index.js";

const FIXTURES = new URL("../../../fixtures/aws-logs/", import.meta.url);

/** 2025-12-05T18:00:00.000Z: when the handler received the payload. */
export const RECEIVED_AT = Date.UTC(2025, 11, 5, 18, 0, 0, 0);

export const ORIGIN: ServiceLogOrigin = { id: "origin-id-0001", receivedAt: RECEIVED_AT, source: "s3" };

export function fixture(name: string): string {
  return readFileSync(new URL(name, FIXTURES), "utf8");
}

/** The non-blank lines of a fixture. */
export function fixtureLines(name: string): string[] {
  return fixture(name)
    .split("\n")
    .filter((line) => line.trim().length > 0);
}

/**
 * The ALB examples as the documentation prints them: one entry per block, spread over several
 * lines "only to make them easier to read"; an entry is its lines joined by single spaces.
 */
export function albDocumentationEntries(): string[] {
  return fixture("alb-access-log-examples.txt")
    .split(/\n\s*\n/)
    .filter((block) => block.trim().length > 0)
    .map((block) =>
      block
        .split("\n")
        .map((line) => line.trim())
        .join(" "),
    );
}

/** Asserts the parse succeeded and returns it. */
export function parsed(result: ServiceLogResult): ParsedServiceLog {
  if (!result.ok) throw new Error(`parse failed: ${result.code} ${result.reason}`);
  return result;
}

/**
 * Runs a parsed service log through the transform chain, asserts the event was kept and is a
 * valid `LogEvent`, and returns it.
 */
export function finish(
  result: ServiceLogResult,
  options: { transform?: Transform; origin?: ServiceLogOrigin; context?: TransformContext } = {},
): LogEvent {
  const transform = options.transform ?? defaultTransform;
  const out = transform(toIncomingRecord(parsed(result), options.origin ?? ORIGIN), options.context);
  if (!out.ok) throw new Error(`dropped: ${out.code} ${out.reason}`);
  expect(() => LogEventSchema.parse(out.event)).not.toThrow();
  return out.event;
}

const defaultTransform = createTransformer({});

export function transformer(config: TransformsConfigInput): Transform {
  return createTransformer(config);
}
