import { z } from "zod";

const MiB = 1024 * 1024;

export const ForwardTlsConfigSchema = z
  .object({
    cert_file: z.string().min(1).describe("PEM certificate chain the server presents."),
    key_file: z.string().min(1).describe("PEM private key of that certificate."),
    ca_file: z
      .string()
      .min(1)
      .optional()
      .describe("PEM CA bundle; when set, clients must present a certificate signed by it (mutual TLS)."),
  })
  .strict()
  .describe("Serve the forward protocol over TLS instead of plain TCP.");

export const ForwardInputConfigSchema = z
  .object({
    enabled: z.boolean().default(true).describe("Whether the forward input listens at all."),
    host: z
      .string()
      .min(1)
      .default("127.0.0.1")
      .describe("Address to bind. The default keeps the listener on this machine; use 0.0.0.0 to expose it."),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(24224)
      .describe("TCP port to listen on (24224 is the Fluent default); 0 picks a free port."),
    max_frame_bytes: z
      .number()
      .int()
      .min(1024)
      .default(16 * MiB)
      .describe(
        "Largest single msgpack frame accepted as sent on the wire; a connection that buffers more without completing a frame is closed.",
      ),
    max_decompressed_bytes: z
      .number()
      .int()
      .min(1024)
      .default(64 * MiB)
      .describe(
        "Largest gzip-inflated entries blob of one CompressedPackedForward frame; inflation stops as soon as it is exceeded and the connection is closed.",
      ),
    max_connections: z
      .number()
      .int()
      .positive()
      .default(1024)
      .describe("Most simultaneous client connections; further connections are closed at once and counted."),
    idle_timeout_ms: z
      .number()
      .int()
      .min(0)
      .default(300_000)
      .describe(
        "Close a connection that sends nothing for this long while no frame of it is being processed; 0 disables.",
      ),
    shared_key: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Fluent shared key. When set, every connection must complete the HELO/PING/PONG handshake before sending data.",
      ),
    self_hostname: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Hostname this server names in the PONG of the shared-key handshake (defaults to the machine's hostname). It must differ from the client's.",
      ),
    tls: ForwardTlsConfigSchema.optional(),
  })
  .strict()
  .describe("Fluent forward protocol input (Fluent Bit, Fluentd, fluent-logger) over TCP or TLS.");

export type ForwardInputConfig = z.output<typeof ForwardInputConfigSchema>;
export type ForwardTlsConfig = z.output<typeof ForwardTlsConfigSchema>;
