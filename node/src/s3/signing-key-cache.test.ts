import { describe, expect, it } from 'vitest';
import { SigningKeyCache } from './signing-key-cache.js';
import { deriveSigningKey } from './sigv4.js';

describe('SigningKeyCache', () => {
  it('derives a key once per (secret, date, region, service) and returns the derived key', () => {
    let derivations = 0;
    const cache = new SigningKeyCache((...args) => {
      derivations++;
      return deriveSigningKey(...args);
    });
    const first = cache.get('secret', '20260101', 'us-east-1', 's3');
    const second = cache.get('secret', '20260101', 'us-east-1', 's3');
    expect(second).toBe(first);
    expect(first.equals(deriveSigningKey('secret', '20260101', 'us-east-1', 's3'))).toBe(true);
    expect(derivations).toBe(1);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });
  });

  it('misses when any of the four inputs differs', () => {
    const cache = new SigningKeyCache(deriveSigningKey);
    const base = cache.get('secret', '20260101', 'us-east-1', 's3');
    const others = [
      cache.get('other-secret', '20260101', 'us-east-1', 's3'),
      cache.get('secret', '20260102', 'us-east-1', 's3'),
      cache.get('secret', '20260101', 'eu-west-1', 's3'),
      cache.get('secret', '20260101', 'us-east-1', 'iam'),
    ];
    expect(cache.misses).toBe(5);
    expect(cache.hits).toBe(0);
    for (const key of others) expect(key.equals(base)).toBe(false);
  });

  it('drops the least recently used key beyond its bound', () => {
    const cache = new SigningKeyCache(deriveSigningKey, 2);
    cache.get('a', '20260101', 'r', 's3');
    cache.get('b', '20260101', 'r', 's3');
    cache.get('a', '20260101', 'r', 's3'); // a is now the most recent
    cache.get('c', '20260101', 'r', 's3'); // evicts b
    expect(cache.size).toBe(2);
    cache.get('a', '20260101', 'r', 's3');
    expect(cache.hits).toBe(2);
    cache.get('b', '20260101', 'r', 's3');
    expect(cache.misses).toBe(4);
  });
});
