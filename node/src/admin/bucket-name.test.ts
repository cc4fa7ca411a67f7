import { describe, expect, it } from 'vitest';
import { bucketNameProblem } from './bucket-name.js';

describe('bucketNameProblem', () => {
  it.each(['abc', 'photos-2024', 'my.bucket.name', 'a1b', '0ab', 'a'.repeat(63)])('accepts %j', (name) => {
    expect(bucketNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['ab', /3 to 63/],
    ['a'.repeat(64), /3 to 63/],
    ['Photos', /lowercase/],
    ['my_bucket', /lowercase/],
    ['-abc', /begin and end/],
    ['abc.', /begin and end/],
    ['a..b', /adjacent dots/],
    ['10.0.0.1', /IP address/],
    ['xn--bucket', /reserved prefix/],
    ['sthree-abc', /reserved prefix/],
    ['bucket-s3alias', /reserved suffix/],
    ['bucket--ol-s3', /reserved suffix/],
  ])('rejects %j', (name, reason) => {
    expect(bucketNameProblem(name)).toMatch(reason);
  });
});
