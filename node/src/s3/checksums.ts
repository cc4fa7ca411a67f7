import { createHash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { createCRC64 } from 'hash-wasm';

/**
 * The flexible checksums of S3 (x-amz-checksum-*): computed incrementally as the body streams, compared
 * with the value the client sent (header up front, or aws-chunked trailer at the end). Values are
 * base64 of the big-endian digest, as S3 writes them.
 */
export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function checksumHeader(algorithm: ChecksumAlgorithm): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** 'x-amz-checksum-crc32' -> 'CRC32'; anything else -> undefined. */
export function algorithmOfHeader(name: string): ChecksumAlgorithm | undefined {
  const lower = name.trim().toLowerCase();
  return CHECKSUM_ALGORITHMS.find((a) => checksumHeader(a) === lower);
}

export function parseChecksumAlgorithm(value: string): ChecksumAlgorithm | undefined {
  const upper = value.trim().toUpperCase();
  return CHECKSUM_ALGORITHMS.find((a) => a === upper);
}

export interface IncrementalChecksum {
  readonly algorithm: ChecksumAlgorithm;
  update(data: Uint8Array): void;
  /** Base64 of the digest; call once, after the last update. */
  digestBase64(): string;
}

/** Digest length in bytes, to reject a malformed client value early (InvalidDigest vs BadDigest). */
export const CHECKSUM_BYTES: Record<ChecksumAlgorithm, number> = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32 };

export async function createChecksum(algorithm: ChecksumAlgorithm): Promise<IncrementalChecksum> {
  switch (algorithm) {
    case 'CRC32':
      return crcChecksum(algorithm, (data, state) => zlibCrc32(data, state));
    case 'CRC32C':
      return crcChecksum(algorithm, (data, state) => crc32c(Buffer.from(data.buffer, data.byteOffset, data.byteLength), state));
    case 'CRC64NVME': {
      // hash-wasm's default polynomial is ECMA; S3's CRC64NVME is this one (reflected Rocksoft form).
      const hasher = await createCRC64('9a6c9329ac4bc9b5');
      hasher.init();
      return {
        algorithm,
        update: (data) => void hasher.update(data),
        digestBase64: () => Buffer.from(hasher.digest('binary')).toString('base64'),
      };
    }
    case 'SHA1':
    case 'SHA256': {
      const hash = createHash(algorithm === 'SHA1' ? 'sha1' : 'sha256');
      return { algorithm, update: (data) => void hash.update(data), digestBase64: () => hash.digest('base64') };
    }
  }
}

function crcChecksum(algorithm: ChecksumAlgorithm, step: (data: Uint8Array, state: number) => number): IncrementalChecksum {
  let state = 0;
  return {
    algorithm,
    update: (data) => {
      state = step(data, state);
    },
    digestBase64: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(state >>> 0);
      return out.toString('base64');
    },
  };
}

/** One-shot helper (tests, small XML bodies). */
export async function checksumOf(algorithm: ChecksumAlgorithm, data: Uint8Array): Promise<string> {
  const c = await createChecksum(algorithm);
  c.update(data);
  return c.digestBase64();
}

/** A client value that is not base64 of the right length is malformed, not merely wrong. */
export function isWellFormedChecksum(algorithm: ChecksumAlgorithm, value: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) return false;
  return Buffer.from(value, 'base64').length === CHECKSUM_BYTES[algorithm];
}
