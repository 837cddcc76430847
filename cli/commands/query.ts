import { type Command, Option } from "commander";
import type { LogEvent } from "../../core/event/schema.js";
import { type QueryBackend, QueryInputError, type SqlResult } from "../api/backend.js";
import { positiveIntOption } from "../options.js";
import type { TargetOptions as BackendTargetOptions } from "../stack/open-backend.js";

type TargetOptions = BackendTargetOptions & { json?: boolean };

function addTargetOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--target <where>", "which back end answers")
        .choices(["local", "opensearch", "athena"])
        .default("local"),
    )
    .option("--server <url>", "API of a running `logpipe up` (default: the one using --data-dir, if any)")
    .option("-d, --data-dir <dir>", "data directory to read when no stack is running", ".logpipe")
    .option("--endpoint <url>", "OpenSearch endpoint (--target opensearch) or Athena endpoint override")
    .addOption(new Option("--auth <type>", "OpenSearch authentication").choices(["none", "basic", "sigv4"]))
    .option("--region <region>", "AWS region (SigV4 signing, Athena)")
    .addOption(
      new Option("--service <name>", "SigV4 service: es (domains) or aoss (serverless)").choices([
        "es",
        "aoss",
      ]),
    )
    .option("--username <name>", "OpenSearch basic-auth user (password from LOGPIPE_OPENSEARCH_PASSWORD)")
    .option("--index-prefix <prefix>", "OpenSearch index prefix", "logs-")
    .option("--database <name>", "Athena database", "logpipe")
    .option("--workgroup <name>", "Athena workgroup")
    .option("--output-location <s3url>", "Athena query result location");
}

const LEVEL_LABEL: Record<string, string> = {
  trace: "TRACE",
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
  fatal: "FATAL",
};

/** One line per event for people; `--json` gives NDJSON for programs. */
export function formatEventLine(event: LogEvent): string {
  const http = event.http
    ? ` [${[event.http.method, event.http.path, event.http.status, event.http.latency_ms === undefined ? undefined : `${event.http.latency_ms}ms`].filter((x) => x !== undefined).join(" ")}]`
    : "";
  const trace = event.trace_id ? ` trace=${event.trace_id}` : "";
  return `${event["@timestamp"]} ${LEVEL_LABEL[event.level] ?? event.level} ${event.service.padEnd(10)} ${event.message}${http}${trace}`;
}

export function formatTable(result: SqlResult): string {
  const header = result.columns.map((c) => c.name);
  const cells = result.rows.map((row) =>
    row.map((v) =>
      v === null || v === undefined ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v),
    ),
  );
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...cells.map((r) => r[i]!.length))));
  const clip = (text: string, width: number) =>
    text.length > width ? `${text.slice(0, width - 1)}…` : text.padEnd(width);
  const line = (values: string[]) => values.map((v, i) => clip(v, widths[i]!)).join(" │ ");
  const rule = widths.map((w) => "─".repeat(w)).join("─┼─");
  const count = `(${result.rows.length} row${result.rows.length === 1 ? "" : "s"})`;
  return [line(header), rule, ...cells.map(line), count].join("\n");
}

async function withBackend(
  options: TargetOptions,
  work: (backend: QueryBackend) => Promise<void>,
): Promise<void> {
  const { openQueryBackend } = await import("../stack/open-backend.js");
  const backend = await openQueryBackend(options);
  try {
    await work(backend);
  } catch (error) {
    if (error instanceof QueryInputError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  } finally {
    await backend.close();
  }
}

export function registerQueryCommands(program: Command): void {
  addTargetOptions(
    program
      .command("search")
      .description("Search events with the Dashboards Query Language, newest first")
      .argument("[query]", "DQL, e.g. 'level:error and service:checkout and not http.path:/health*'", "")
      .option("--since <when>", "how far back: a duration (15m, 24h, 7d) or an ISO time", "15m")
      .option("--until <when>", "end of the window: a duration back from now or an ISO time")
      .option("-n, --limit <n>", "at most this many events", positiveIntOption, 100)
      .option("--json", "print NDJSON, one event per line"),
  ).action(
    async (query: string, options: TargetOptions & { since: string; until?: string; limit: number }) => {
      await withBackend(options, async (backend) => {
        const events = await backend.search({
          query,
          since: options.since,
          until: options.until,
          limit: options.limit,
        });
        const text = events.map((e) => (options.json ? JSON.stringify(e) : formatEventLine(e))).join("\n");
        if (text) process.stdout.write(`${text}\n`);
        if (!options.json) process.stderr.write(`${events.length} event${events.length === 1 ? "" : "s"}\n`);
      });
    },
  );

  addTargetOptions(
    program
      .command("sql")
      .description("Run SQL over the table `logs` (lake files plus what is not flushed yet)")
      .argument("<query>", 'e.g. "SELECT service, count(*) FROM logs GROUP BY 1"')
      .option("--json", "print NDJSON, one row object per line"),
  ).action(async (query: string, options: TargetOptions) => {
    await withBackend(options, async (backend) => {
      const result = await backend.sql(query);
      if (options.json) {
        const lines = result.rows.map((row) =>
          JSON.stringify(Object.fromEntries(result.columns.map((c, i) => [c.name, row[i]]))),
        );
        if (lines.length) process.stdout.write(`${lines.join("\n")}\n`);
      } else {
        process.stdout.write(`${formatTable(result)}\n`);
      }
    });
  });

  addTargetOptions(
    program
      .command("tail")
      .description("Follow new events as they arrive")
      .argument("[query]", "DQL filter", "")
      .option("--interval <ms>", "poll interval in milliseconds", positiveIntOption, 1000)
      .option("--json", "print NDJSON, one event per line"),
  ).action(async (query: string, options: TargetOptions & { interval: number }) => {
    await withBackend(options, async (backend) => {
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once("SIGINT", onSignal);
      process.once("SIGTERM", onSignal);
      let cursor: string | undefined;
      while (!stop.signal.aborted) {
        const page = await backend.tail({ query, after: cursor, limit: 1000 });
        cursor = page.cursor;
        const text = page.events
          .map((e) => (options.json ? JSON.stringify(e) : formatEventLine(e)))
          .join("\n");
        if (text) process.stdout.write(`${text}\n`);
        if (page.events.length < 1000) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, options.interval);
            stop.signal.addEventListener("abort", () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
      }
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    });
  });
}
