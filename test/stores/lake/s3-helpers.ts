import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsCommand, type S3Client } from "@aws-sdk/client-s3";

/** Every key in the bucket under `prefix`, sorted. */
export async function listKeys(client: S3Client, bucket: string, prefix = ""): Promise<string[]> {
  const keys: string[] = [];
  // v1 with Marker: s3rver cannot mint v2 continuation tokens on OpenSSL 3.
  let after: string | undefined;
  for (;;) {
    const page = await client.send(
      new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, ...(after ? { Marker: after } : {}) }),
    );
    for (const item of page.Contents ?? []) if (item.Key) keys.push(item.Key);
    const last = page.Contents?.at(-1)?.Key;
    if (!page.IsTruncated || !last) break;
    after = last;
  }
  return keys.sort();
}

export async function getBytes(client: S3Client, bucket: string, key: string): Promise<Buffer> {
  const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await answer.Body!.transformToByteArray());
}

/** The NDJSON lines of a gzip lake object, parsed. */
export async function readLakeObject(
  client: S3Client,
  bucket: string,
  key: string,
): Promise<Record<string, unknown>[]> {
  const text = gunzipSync(await getBytes(client, bucket, key)).toString("utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
