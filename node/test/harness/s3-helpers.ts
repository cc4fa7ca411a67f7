import { createHash, randomBytes } from 'node:crypto';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { TEST_CREDENTIALS } from './test-cluster.js';

/** A real AWS SDK v3 client with its default behaviour (checksums on, aws-chunked uploads), path-style. */
export function s3Client(endpoint: string, overrides: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 5,
    ...overrides,
  });
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Random bytes (so erasure coding and checksums see real data). */
export function randomData(sizeBytes: number): Buffer {
  return randomBytes(sizeBytes);
}

/** The SHA-256 of everything a streamed body yields. */
export async function sha256OfStream(body: AsyncIterable<Uint8Array> | undefined): Promise<{ hash: string; bytes: number }> {
  if (!body) throw new Error('no body');
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hash: hash.digest('hex'), bytes };
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}
