import { readFileSync, rmSync } from "node:fs";
import { connect } from "node:tls";
import { afterAll, describe, expect, test } from "vitest";
import { ForwardTestClient } from "../../../support/forward-client.js";
import { makeCertificate } from "../../../support/tls-certificate.js";
import { exchanges } from "./fluent-bit-fixtures.js";
import { eventually, startForward } from "./harness.js";

const certificate = makeCertificate("logpipe-forward-tls-");

afterAll(() => {
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

// Without the openssl CLI there is no certificate to serve; the TLS path is then untested here.
describe.skipIf(!certificate)("forward over TLS (needs the openssl CLI)", () => {
  test("a TLS client's frames are stored and acked", async () => {
    const h = await startForward({ tls: { cert_file: certificate!.cert, key_file: certificate!.key } });
    expect(h.address).toMatch(/^tls:\/\/127\.0\.0\.1:\d+$/);
    const client = await ForwardTestClient.connect(h.address, { ca: readFileSync(certificate!.cert) });
    const frame = exchanges("gzip_ack")[0]!;
    await client.write(frame.frame);
    expect((await client.nextFrame())?.raw).toEqual(frame.ack);
    expect(h.target.records.map((r) => r.time)).toEqual(frame.times);
    client.destroy();
    await eventually(() => expect(h.metric("logpipe_forward_connections")).toBe(0));
  });

  test("a plain-TCP client on the TLS port fails the handshake and is counted", async () => {
    const h = await startForward({ tls: { cert_file: certificate!.cert, key_file: certificate!.key } });
    const plain = await ForwardTestClient.connect(h.address.replace("tls:", "tcp:"));
    await plain.write(exchanges("plain_ack")[0]!.frame);
    await plain.closed;
    await eventually(() => expect(h.metric('logpipe_forward_errors_total{code="tls_error"}')).toBe(1));
    expect(h.target.appends).toEqual([]);
  });

  test("a client that refuses the server's certificate does not keep the listener from shutting down", async () => {
    const h = await startForward({ tls: { cert_file: certificate!.cert, key_file: certificate!.key } });
    const url = new URL(h.address);
    // No CA given: the client rejects the self-signed certificate and aborts the handshake.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: url.hostname, port: Number(url.port) });
      socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      socket.once("secureConnect", () => resolve("connected"));
    });
    expect(refused).not.toBe("connected");
    await expect(
      Promise.race([
        h.input.shutdown().then(() => "stopped"),
        new Promise((resolve) => setTimeout(() => resolve("hung"), 10_000)),
      ]),
    ).resolves.toBe("stopped");
  });
});
