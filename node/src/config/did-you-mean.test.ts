import { describe, expect, it } from 'vitest';
import { closestMatch } from './did-you-mean.js';

describe('closestMatch', () => {
  const keys = ['election_timeout_min', 'election_timeout_max', 'heartbeat_interval', 'rocksdb_cache_size'];
  it.each([
    ['heartbeat_intervall', 'heartbeat_interval'],
    ['election_timeout_mn', 'election_timeout_min'],
    ['rocksdb_cache', 'rocksdb_cache_size'],
    ['hartbeat_interval', 'heartbeat_interval'],
  ])('%j -> %j', (name, expected) => {
    expect(closestMatch(name, keys)).toBe(expected);
  });

  it('offers nothing for an unrelated name', () => {
    expect(closestMatch('colour', keys)).toBeUndefined();
  });
});
