import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A self-signed certificate for 127.0.0.1, made with the openssl CLI when it is installed
 * (undefined otherwise, so TLS tests can skip with a reason). Remove `dir` when done.
 */
export function makeCertificate(
  prefix = "logpipe-tls-",
): { dir: string; cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        key,
        "-out",
        cert,
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { stdio: "ignore" },
    );
    return { dir, cert, key };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
}
