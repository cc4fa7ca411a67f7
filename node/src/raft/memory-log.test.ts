import { describe, expect, it } from 'vitest';
import { MemoryRaftLog, bootstrapSnapshot } from './memory-log.js';
import { isStrataError } from '../platform/errors.js';
import type { Entry } from './types.js';

const e = (index: number, term: number, data = ''): Entry => ({ index, term, type: 'normal', data: new TextEncoder().encode(data) });

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('MemoryRaftLog', () => {
  it('starts empty at index 0 term 0', () => {
    const log = new MemoryRaftLog();
    expect(log.firstIndex()).toBe(1);
    expect(log.lastIndex()).toBe(0);
    expect(log.term(0)).toBe(0);
    expect(log.initialState()).toEqual({ hardState: { term: 0, vote: 0, commit: 0 }, conf: { voters: [], learners: [] } });
  });

  it('appends, and a new entry at an existing index replaces it and drops every later one', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1), e(2, 1), e(3, 1), e(4, 1)]);
    log.append([e(3, 2, 'x')]);
    expect(log.lastIndex()).toBe(3);
    expect(log.term(3)).toBe(2);
    expect(log.entries(1, 4, Infinity).map((x) => x.term)).toEqual([1, 1, 2]);
    expect(() => log.append([e(6, 2)])).toThrow(/gap/);
  });

  it('limits entries() by bytes but returns at least one', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1, 'aaaa'), e(2, 1, 'bbbb'), e(3, 1, 'cccc')]);
    expect(log.entries(1, 4, 0)).toHaveLength(1);
    expect(log.entries(1, 4, 40)).toHaveLength(2); // 20 bytes each with overhead
    expect(log.entries(1, 4, Infinity)).toHaveLength(3);
  });

  it('reports compacted and unavailable indexes with StrataError', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1), e(2, 1), e(3, 2)]);
    log.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array([9]));
    log.compact(2);
    expect(log.firstIndex()).toBe(3);
    expect(log.term(2)).toBe(1);
    const compacted = thrown(() => log.term(1));
    expect(isStrataError(compacted, 'Unavailable')).toBe(true);
    expect(compacted).toMatchObject({ details: { reason: 'compacted' } });
    expect(thrown(() => log.entries(2, 4, Infinity))).toMatchObject({ details: { reason: 'compacted' } });
    expect(thrown(() => log.term(4))).toMatchObject({ details: { reason: 'unavailable' } });
    expect(log.entries(3, 4, Infinity).map((x) => x.index)).toEqual([3]);
  });

  it('records a snapshot with its conf and refuses to compact past it', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1), e(2, 1), e(3, 1)]);
    const snap = log.createSnapshot(2, { voters: [1, 2], learners: [3] }, new Uint8Array([1, 2]));
    expect(snap.metadata).toEqual({ index: 2, term: 1, conf: { voters: [1, 2], learners: [3] } });
    expect(log.snapshot()).toBe(snap);
    expect(log.initialState().conf).toEqual({ voters: [1, 2], learners: [3] });
    expect(() => log.compact(3)).toThrow(/past the snapshot/);
    expect(() => log.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array())).toThrow();
  });

  it('releases the bytes of its current snapshot only, keeping the metadata the core reads', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1), e(2, 1), e(3, 1)]);
    log.createSnapshot(2, { voters: [1], learners: [] }, new Uint8Array([1, 2]));
    log.releaseSnapshotData(1); // not the current one: nothing happens
    expect(log.snapshot().data).toEqual(new Uint8Array([1, 2]));
    log.releaseSnapshotData(2);
    expect(log.snapshot()).toEqual({ metadata: { index: 2, term: 1, conf: { voters: [1], learners: [] } }, data: new Uint8Array(0), released: true });
    log.compact(2);
    expect(log.firstIndex()).toBe(3);
    log.createSnapshot(3, { voters: [1], learners: [] }, new Uint8Array([3]));
    expect(log.snapshot().released).toBeUndefined();
  });

  it('installs a received snapshot, dropping the entries, and appends after it', () => {
    const log = new MemoryRaftLog();
    log.append([e(1, 1), e(2, 1), e(3, 1)]);
    log.applySnapshot({ metadata: { index: 5, term: 3, conf: { voters: [1], learners: [] } }, data: new Uint8Array() });
    expect(log.firstIndex()).toBe(6);
    expect(log.lastIndex()).toBe(5);
    expect(log.term(5)).toBe(3);
    log.append([e(4, 3), e(5, 3), e(6, 3)]); // entries the snapshot covers are skipped
    expect(log.lastIndex()).toBe(6);
    expect(log.entries(6, 7, Infinity).map((x) => x.index)).toEqual([6]);
  });

  it('bootstrapSnapshot sits at index 1 term 1 with the given configuration', () => {
    const log = new MemoryRaftLog();
    log.applySnapshot(bootstrapSnapshot({ voters: [1, 2, 3], learners: [] }));
    expect(log.firstIndex()).toBe(2);
    expect(log.term(1)).toBe(1);
    expect(log.initialState().conf.voters).toEqual([1, 2, 3]);
  });
});
