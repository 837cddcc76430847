import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HANDLER_ENV_VARS } from "../../../processors/handlers/index.js";

/** The text of the README section with this heading, up to the next heading of the same or a higher level. */
function section(markdown: string, title: string): string | undefined {
  const lines = markdown.split("\n");
  const start = lines.findIndex((line) => new RegExp(`^#{1,6}\\s+${title}\\s*$`).test(line));
  if (start < 0) return undefined;
  const level = /^#+/.exec(lines[start]!)![0].length;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    const heading = /^(#+)\s/.exec(lines[i]!);
    if (heading && heading[1]!.length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start + 1, end).join("\n");
}

describe("README", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const text = section(readme, "Lambda handler configuration");

  it("has a Lambda handler configuration section", () => {
    expect(text).toBeDefined();
  });

  it.each(HANDLER_ENV_VARS)("documents %s in that section", (name) => {
    expect(text ?? "").toContain(`\`${name}\``);
  });
});
