import { AthenaClient } from "@aws-sdk/client-athena";
import { S3Client } from "@aws-sdk/client-s3";

/**
 * The only place the lake builds SDK clients. Everything else takes a client as a dependency,
 * so tests hand in one pointed at s3rver or the Athena fake.
 */

export interface LakeS3ClientOptions {
  region?: string | undefined;
  /** Left out, the SDK still honours `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  /**
   * SDK-level attempts per call. The pipeline's writer passes 1: its caller's retry loop owns
   * backoff, and a second loop inside the SDK would multiply the waits.
   */
  maxAttempts?: number | undefined;
}

export function createLakeS3Client(options: LakeS3ClientOptions = {}): S3Client {
  return new S3Client({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    forcePathStyle: options.forcePathStyle ?? false,
    // Flexible checksums on every upload make the SDK stream bodies with aws-chunked encoding,
    // which S3-compatible stores (s3rver, older MinIO) store corrupted; checksums stay on where
    // S3 requires them (DeleteObjects).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export interface LakeAthenaClientOptions {
  region?: string | undefined;
  endpoint?: string | undefined;
}

export function createLakeAthenaClient(options: LakeAthenaClientOptions = {}): AthenaClient {
  return new AthenaClient({
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  });
}
