import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStrataError } from '../../platform/errors.js';
import { LevelKv, resolveLevelKvOptions } from './level-kv.js';

const text = (b: Uint8Array | undefined) => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('LevelKv', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-kv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('puts, gets, deletes with string and byte keys, and survives reopen', async () => {
    const kv = await LevelKv.open({ dir });
    await kv.put('alpha', bytes('1'), { sync: true });
    await kv.put(new Uint8Array([0, 255]), bytes('bin'));
    expect(text(await kv.get('alpha'))).toBe('1');
    expect(text(await kv.get(new Uint8Array([0, 255])))).toBe('bin');
    expect(await kv.get('missing')).toBeUndefined();
    await kv.delete('alpha');
    expect(await kv.get('alpha')).toBeUndefined();
    await kv.close();

    const again = await LevelKv.open({ dir });
    expect(text(await again.get(new Uint8Array([0, 255])))).toBe('bin');
    expect(await again.get('alpha')).toBeUndefined();
    await again.close();
  });

  it('applies a batch in order and iterates a range in byte order, forward and reverse', async () => {
    const kv = await LevelKv.open({ dir, syncWrites: false });
    await kv.batch([
      { type: 'put', key: 'chunk/003', value: bytes('c') },
      { type: 'put', key: 'chunk/001', value: bytes('a') },
      { type: 'put', key: 'chunk/002', value: bytes('x') },
      { type: 'put', key: 'chunk/002', value: bytes('b') },
      { type: 'put', key: 'other/001', value: bytes('o') },
      { type: 'put', key: 'chunk/004', value: bytes('d') },
      { type: 'del', key: 'chunk/004' },
    ], { sync: true });
    const seen: string[] = [];
    for await (const [k, v] of kv.iterate({ gte: 'chunk/', lt: 'chunk0' })) seen.push(`${text(k)}=${text(v)}`);
    expect(seen).toEqual(['chunk/001=a', 'chunk/002=b', 'chunk/003=c']);
    const reversed: string[] = [];
    for await (const [k] of kv.iterate({ gt: 'chunk/001', lte: 'other/001', reverse: true, limit: 2 })) {
      reversed.push(text(k)!);
    }
    expect(reversed).toEqual(['other/001', 'chunk/003']);
    await kv.close();
  });

  it('rejects bad options with InvalidConfig', () => {
    expect(() => resolveLevelKvOptions({ dir: '' })).toThrowError(/non-empty/);
    try {
      resolveLevelKvOptions({ dir, cacheSizeBytes: -1 });
      expect.unreachable();
    } catch (err) {
      expect(isStrataError(err, 'InvalidConfig')).toBe(true);
    }
    expect(resolveLevelKvOptions({ dir })).toEqual({ dir, syncWrites: true, cacheSizeBytes: 8 * 1024 * 1024 });
  });
});
