import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadLogpipeConfig } from "../../cli/config.js";

const examples = fileURLToPath(new URL("../../examples/", import.meta.url));

describe("example configs", () => {
  const files = readdirSync(examples).filter((f) => f.endsWith(".yaml"));

  it("include the general example and the forwarder example", () => {
    expect(files).toEqual(expect.arrayContaining(["logpipe.yaml", "forwarder.yaml"]));
  });

  it.each(files)("%s validates against the config schema", async (file) => {
    await expect(loadLogpipeConfig(`${examples}${file}`)).resolves.toBeDefined();
  });

  it("configures both AWS outputs in the forwarder example", async () => {
    const config = await loadLogpipeConfig(`${examples}forwarder.yaml`);
    expect(config.outputs.cloudwatch_logs?.log_group).toBe("/logpipe/{service}");
    expect(config.outputs.firehose?.delivery_stream).toBe("logpipe-lake");
  });
});
