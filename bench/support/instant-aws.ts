import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A CloudWatch Logs + Firehose endpoint for benchmarks that answers every call at once with
 * success, so a run measures the forwarder and not a service. It reads only what it must to
 * answer correctly: the event count of PutLogEvents and the record count of PutRecordBatch.
 * It shares the machine with the process measured, so it counts without parsing where it can.
 */
export interface InstantAws {
  readonly endpoint: string;
  /** Events PutLogEvents accepted. */
  readonly logEvents: number;
  /** Records PutRecordBatch accepted, and the newline-delimited events inside them. */
  readonly records: number;
  readonly recordEvents: number;
  close(): Promise<void>;
}

export async function startInstantAws(): Promise<InstantAws> {
  const state = { logEvents: 0, records: 0, recordEvents: 0 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.slice(target.indexOf(".") + 1);
      let answer: unknown = {};
      if (operation === "PutLogEvents") {
        state.logEvents += countLogEvents(Buffer.concat(chunks));
        answer = { nextSequenceToken: "0" };
      } else if (operation === "PutRecordBatch") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Records: { Data: string }[] };
        state.records += body.Records.length;
        for (const record of body.Records) {
          const data = Buffer.from(record.Data, "base64");
          let lines = 0;
          for (let i = 0; i < data.length; i++) if (data[i] === 0x0a) lines++;
          if (data.length > 0 && data[data.length - 1] !== 0x0a) lines++;
          state.recordEvents += lines;
        }
        answer = {
          FailedPutCount: 0,
          Encrypted: false,
          RequestResponses: body.Records.map((_, i) => ({ RecordId: `r${i}` })),
        };
      }
      // CreateLogGroup, CreateLogStream, PutRetentionPolicy and the rest: `{}`.
      const text = JSON.stringify(answer);
      res.writeHead(200, {
        "content-type": "application/x-amz-json-1.1",
        "content-length": Buffer.byteLength(text),
        "x-amzn-requestid": "00000000-0000-0000-0000-000000000000",
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get logEvents() {
      return state.logEvents;
    },
    get records() {
      return state.records;
    },
    get recordEvents() {
      return state.recordEvents;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const EVENT_START = Buffer.from('{"timestamp":');

/**
 * Log events in a PutLogEvents body without parsing it: each event object opens with its
 * `timestamp` key, and inside a message (itself escaped JSON) that key's quotes are escaped.
 */
function countLogEvents(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(EVENT_START); at !== -1; at = body.indexOf(EVENT_START, at + 1)) count++;
  return count;
}
