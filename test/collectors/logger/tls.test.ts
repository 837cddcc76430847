import { readFileSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { afterAll, describe, expect, test } from "vitest";
import { makeCertificate } from "../../support/tls-certificate.js";
import { eventually, startForwarder, testLogger } from "./harness.js";

const certificate = makeCertificate("logpipe-logger-tls-");

afterAll(() => {
  if (certificate) rmSync(certificate.dir, { recursive: true, force: true });
});

// Without the openssl CLI there is no certificate to serve; the TLS path is then untested here.
describe.skipIf(!certificate)("logger over TLS (needs the openssl CLI)", () => {
  test("events reach a TLS forward input that the logger verifies with the given CA", async () => {
    const fw = await startForwarder({ tls: { cert_file: certificate!.cert, key_file: certificate!.key } });
    const { logger } = testLogger(fw.port, {
      forwarder: { tls: { ca: readFileSync(certificate!.cert, "utf8") } },
    });

    logger.info("over tls");
    await logger.flush();

    expect(fw.target.records.map((r) => r.record["message"])).toEqual(["over tls"]);
  });

  test("a forwarder certificate the logger cannot verify is refused and nothing is sent", async () => {
    // A plain TLS server: it only has to present the certificate and record what arrives.
    let received = 0;
    const server = createTlsServer(
      { cert: readFileSync(certificate!.cert), key: readFileSync(certificate!.key) },
      (socket) => {
        socket.on("data", (data) => {
          received += data.length;
        });
        socket.on("error", () => undefined);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const { logger, diagnostics } = testLogger(port, { forwarder: { tls: true }, maxRetries: 0 });

      logger.info("not trusted");
      await logger.flush();

      expect(logger.stats()).toMatchObject({ failed: 1, acked: 0 });
      expect(received).toBe(0);
      const failure = await eventually(() => diagnostics.find((d) => d.level === "error")!.message);
      expect(failure).toContain("self-signed certificate");
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
