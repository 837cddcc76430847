import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Frames recorded from Fluent Bit 4.2.8 (see test/fixtures/fluent-bit/README.md). */
export const FIXTURES = join(import.meta.dirname, "../../../fixtures/fluent-bit");

/** The record in every fixture frame, as the README states it. */
export const FIXTURE_RECORD = {
  level: "info",
  service: "checkout-api",
  message: "order placed",
  trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
  http: { method: "POST", path: "/api/v1/orders", status: 201, duration_ms: 12.5 },
};

export const FIXTURE_TAG = "dummy.0";

export function fixture(folder: string, file: string): Buffer {
  return readFileSync(join(FIXTURES, folder, file));
}

export interface FixtureExchange {
  /** e.g. `plain_ack/plain_ack_Forward_1.bin` */
  name: string;
  frame: Buffer;
  /** The ack Fluent Bit received for it, when it asked for one. */
  ack: Buffer | undefined;
  /** Event times of its entries, epoch ms (EventTime nanoseconds truncated to ms). */
  times: number[];
}

/**
 * Entry times written out from the recorded frames (EventTime seconds.nanoseconds, or integer
 * seconds with time_as_integer), independently of the decoder under test.
 */
const TIMES: Record<string, number[]> = {
  "gzip_ack_CompressedPackedForward_1.bin": [1795309637843],
  "gzip_ack_CompressedPackedForward_2.bin": [1795309638251, 1795309638751],
  "gzip_ack_CompressedPackedForward_3.bin": [1795309639251, 1795309639751],
  "gzip_ack_CompressedPackedForward_4.bin": [1795309640251],
  "plain_ack_Forward_1.bin": [1795309645364, 1795309645751],
  "plain_ack_Forward_2.bin": [1795309646251, 1795309646751],
  "plain_ack_Forward_3.bin": [1795309647252, 1795309647751],
  "plain_default_Forward_1.bin": [1795309652882],
  "plain_default_Forward_2.bin": [1795309653251, 1795309653751],
  "plain_default_Forward_3.bin": [1795309654252, 1795309654751],
  "plain_default_Forward_4.bin": [1795309655251],
  "shared_key_gzip_ack_CompressedPackedForward_2.bin": [1795310279834],
  "shared_key_gzip_ack_CompressedPackedForward_4.bin": [1795310280251, 1795310280751],
  "shared_key_gzip_ack_CompressedPackedForward_5.bin": [1795310281252, 1795310281751],
  "shared_key_gzip_ack_CompressedPackedForward_6.bin": [1795310282251],
  "time_as_integer_ack_Forward_1.bin": [1795309667000],
  "time_as_integer_ack_Forward_2.bin": [1795309668000, 1795309668000],
  "time_as_integer_ack_Forward_3.bin": [1795309669000, 1795309669000],
  "time_as_integer_ack_Forward_4.bin": [1795309670000],
};

/** The data frames of one fixture folder, in order, each with the ack recorded for it. */
export function exchanges(folder: string): FixtureExchange[] {
  const files = readdirSync(join(FIXTURES, folder)).sort();
  return files
    .filter((f) => /_(Compressed)?(Packed)?Forward_\d+\.bin$/.test(f))
    .map((file) => {
      const n = /_(\d+)\.bin$/.exec(file)![1];
      const ackFile = files.find((f) => f.endsWith(`_ack_sent_${n}.bin`));
      const times = TIMES[file];
      if (!times) throw new Error(`no expected times for ${file}`);
      return {
        name: `${folder}/${file}`,
        frame: fixture(folder, file),
        ack: ackFile ? fixture(folder, ackFile) : undefined,
        times,
      };
    });
}

export const DATA_FOLDERS = ["plain_default", "plain_ack", "gzip_ack", "time_as_integer_ack"] as const;
