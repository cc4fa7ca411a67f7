import { describe, expect, it } from 'vitest';
import { algorithmOfHeader, checksumOf, createChecksum, isWellFormedChecksum } from './checksums.js';

// Check values of "123456789" from the CRC catalogue, as S3 encodes them (base64 of big-endian bytes).
const hexToBase64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const input = Buffer.from('123456789');

describe('checksums', () => {
  it.each([
    ['CRC32', 'cbf43926'],
    ['CRC32C', 'e3069283'],
    ['CRC64NVME', 'ae8b14860a799888'],
    ['SHA1', 'f7c3bc1d808e04732adf679965ccc34ca7ae3441'],
    ['SHA256', '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225'],
  ] as const)('%s of "123456789"', async (algorithm, hex) => {
    expect(await checksumOf(algorithm, input)).toBe(hexToBase64(hex));
  });

  it('is the same fed in pieces', async () => {
    for (const algorithm of ['CRC32', 'CRC32C', 'CRC64NVME'] as const) {
      const c = await createChecksum(algorithm);
      c.update(input.subarray(0, 2));
      c.update(input.subarray(2, 7));
      c.update(input.subarray(7));
      expect(c.digestBase64()).toBe(await checksumOf(algorithm, input));
    }
  });

  it('maps header names and checks value shapes', () => {
    expect(algorithmOfHeader('X-Amz-Checksum-CRC64NVME')).toBe('CRC64NVME');
    expect(algorithmOfHeader('x-amz-checksum-md5')).toBeUndefined();
    expect(isWellFormedChecksum('CRC32', 'y/Q5Jg==')).toBe(true);
    expect(isWellFormedChecksum('CRC32', 'AAAAAAAAAAA=')).toBe(false);
    expect(isWellFormedChecksum('SHA256', 'not base64!')).toBe(false);
  });
});
