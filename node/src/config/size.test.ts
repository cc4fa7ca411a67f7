import { describe, expect, it } from 'vitest';
import { parseSizeBytes } from './size.js';

describe('parseSizeBytes', () => {
  it.each([
    [4294967296, 4294967296],
    [0, 0],
    ['1GiB', 1024 ** 3],
    ['1GB', 1024 ** 3],
    ['512MB', 512 * 1024 ** 2],
    ['64k', 65536],
    ['1.5KiB', 1536],
    ['100', 100],
    ['2 MiB', 2 * 1024 ** 2],
  ])('%j is %d bytes', (value, bytes) => {
    expect(parseSizeBytes(value)).toBe(bytes);
  });

  it.each([-1, 1.5, 'lots', '1PB', '0.3B', '', true, [1], Number.MAX_SAFE_INTEGER + 2, '-5MB'])('rejects %j', (value) => {
    expect(parseSizeBytes(value)).toBeUndefined();
  });
});
