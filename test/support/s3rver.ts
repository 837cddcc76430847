import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { S3Client } from "@aws-sdk/client-s3";

/**
 * s3rver (a real S3-protocol server storing objects on disk) for tests, on 127.0.0.1 with a free
 * port and a fresh temporary directory, plus a way to make chosen S3 calls fail the way S3 does.
 */

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

// s3rver ships no type declarations; it is loaded through require and typed by what is used here.
const S3rver = createRequire(import.meta.url)("s3rver") as S3rverConstructor;

/** s3rver's built-in account. */
export const S3RVER_CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } as const;

export interface S3rverHandle {
  endpoint: string;
  directory: string;
  /** A client for this server; as the lake builds them (checksums only when required, path style). */
  client(options?: { maxAttempts?: number }): S3Client;
  close(): Promise<void>;
}

export async function startS3rver(buckets: string[] = ["lake"]): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), "logpipe-s3rver-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name })),
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory,
    client(options = {}) {
      const client = new S3Client({
        endpoint,
        region: "us-east-1",
        credentials: S3RVER_CREDENTIALS,
        forcePathStyle: true,
        maxAttempts: options.maxAttempts ?? 1,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      });
      clients.push(client);
      return client;
    },
    async close() {
      for (const client of clients) client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export interface S3Fault {
  /** Which calls fail: by command name (`PutObjectCommand`) and input. */
  when(commandName: string, input: Record<string, unknown>): boolean;
  status: number;
  /** S3 error code, e.g. `SlowDown`, `AccessDenied`, `InternalError`. */
  code: string;
  message?: string;
}

/**
 * Makes matching calls of `client` get an S3 error answer instead of reaching the server. The
 * answer is a real HTTP error response (XML body) handed to the SDK's own deserializer, so the
 * error the code under test sees is the one S3 would produce. Returns a function that removes it.
 */
export function injectS3Fault(client: S3Client, fault: S3Fault): () => void {
  const name = `test-fault-${Math.random().toString(36).slice(2)}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = (args.input ?? {}) as Record<string, unknown>;
      if (!fault.when(String(context.commandName ?? ""), input)) return next(args);
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${fault.code}</Code><Message>${fault.message ?? fault.code}</Message><RequestId>TEST</RequestId></Error>`;
      // The middleware stack's types cannot name the HTTP response shape; the deserializer reads it.
      const response = {
        statusCode: fault.status,
        reason: fault.code,
        headers: { "content-type": "application/xml", "x-amz-request-id": "TEST" },
        body: Readable.from([Buffer.from(xml)]),
      };
      return { response, output: undefined } as unknown as Awaited<ReturnType<typeof next>>;
    },
    { step: "deserialize", priority: "low", name },
  );
  return () => {
    client.middlewareStack.remove(name);
  };
}
