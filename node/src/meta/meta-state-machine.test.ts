import { describe, expect, it } from 'vitest';
import { encodeMetaCommand, type MetaCommand } from './commands.js';
import { MetaStateMachine } from './meta-state-machine.js';

const manifest = (etag: string) => ({ sizeBytes: 1, etag, lastModifiedMs: 5 });

function applyAll(sm: MetaStateMachine, commands: MetaCommand[]) {
  return commands.map((c, i) => sm.apply(i + 1, encodeMetaCommand(c)));
}

describe('MetaStateMachine', () => {
  it('creates, refuses duplicates and deletes only empty buckets', () => {
    const sm = new MetaStateMachine();
    const results = applyAll(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      { op: 'createBucket', name: 'b', createdMs: 2 },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e1') },
      { op: 'deleteBucket', name: 'b' },
      { op: 'deleteObject', bucket: 'b', key: 'k' },
      { op: 'deleteBucket', name: 'b' },
      { op: 'deleteBucket', name: 'b' },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'AlreadyExists', 'ok', 'Conflict', 'ok', 'ok', 'NotFound']);
  });

  it('honours conditional puts', () => {
    const sm = new MetaStateMachine();
    const results = applyAll(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e1'), ifNoneMatch: '*' },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e2'), ifNoneMatch: '*' },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e3'), ifMatch: 'nope' },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e4'), ifMatch: 'e1' },
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false, false, true]);
    expect(sm.getObject('b', 'k')?.etag).toBe('e4');
  });

  it('lists keys in order from startAfter within a prefix', () => {
    const sm = new MetaStateMachine();
    const keys = ['a/1', 'a/2', 'a/3', 'b/1', 'c'];
    applyAll(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      ...keys.reverse().map((key): MetaCommand => ({ op: 'putObject', bucket: 'b', key, manifest: manifest(key) })),
    ]);
    const page = (q: Parameters<MetaStateMachine['listObjects']>[1]) => sm.listObjects('b', q).map((e) => e.key);
    expect(page({ limit: 10 })).toEqual(['a/1', 'a/2', 'a/3', 'b/1', 'c']);
    expect(page({ prefix: 'a/', limit: 2 })).toEqual(['a/1', 'a/2']);
    expect(page({ prefix: 'a/', startAfter: 'a/2', limit: 10 })).toEqual(['a/3']);
    expect(page({ startAfter: 'a/3', limit: 10 })).toEqual(['b/1', 'c']);
    expect(page({ prefix: 'b/', startAfter: 'a', limit: 10 })).toEqual(['b/1']);
    expect(() => sm.listObjects('missing', { limit: 1 })).toThrow(/does not exist/);
  });

  it('round-trips through a snapshot, members included', () => {
    const sm = new MetaStateMachine();
    sm.bootstrap('cluster-x', { id: 1, address: '127.0.0.1:9000' });
    sm.applyMembership(7, { type: 'addLearner', nodeId: 2, address: '127.0.0.2:9000' });
    applyAll(sm, [
      { op: 'createBucket', name: 'b', createdMs: 1 },
      { op: 'putObject', bucket: 'b', key: 'k', manifest: manifest('e1') },
    ]);
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    expect(copy.clusterId()).toBe('cluster-x');
    expect(copy.members().map((m) => [m.id, m.address, m.joinedIndex])).toEqual([
      [1, '127.0.0.1:9000', 1],
      [2, '127.0.0.2:9000', 7],
    ]);
    expect(copy.getObject('b', 'k')).toEqual(manifest('e1'));
    copy.applyMembership(9, { type: 'remove', nodeId: 2 });
    expect(copy.members().map((m) => m.id)).toEqual([1]);
  });

  it('records each member\'s zone, keeps it across a rejoin and a snapshot', () => {
    const sm = new MetaStateMachine();
    sm.bootstrap('c', { id: 1, address: 'a:9000', zone: 'rack-a' });
    sm.applyMembership(5, { type: 'addLearner', nodeId: 2, address: 'b:9000', zone: 'rack-b' });
    sm.applyMembership(6, { type: 'addLearner', nodeId: 2, address: 'b2:9000' });
    sm.applyMembership(7, { type: 'addLearner', nodeId: 3, address: 'c:9000' });
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    expect(copy.members().map((m) => [m.id, m.address, m.zone])).toEqual([
      [1, 'a:9000', 'rack-a'],
      [2, 'b2:9000', 'rack-b'],
      [3, 'c:9000', undefined],
    ]);
  });

  it('replicates the rebalance request: set, a stale clear refused, cleared, kept across a snapshot', () => {
    const sm = new MetaStateMachine();
    expect(sm.rebalanceRequest()).toBeUndefined();
    const results = applyAll(sm, [
      { op: 'setRebalance', requested: true, requestedMs: 100 },
      { op: 'setRebalance', requested: true, requestedMs: 200 },
      { op: 'setRebalance', requested: false, requestedMs: 100 },
    ]);
    expect(results.map((r) => (r.ok ? 'ok' : r.code))).toEqual(['ok', 'ok', 'Conflict']);
    expect(sm.rebalanceRequest()).toEqual({ requested: true, requestedMs: 200 });
    const copy = new MetaStateMachine();
    copy.restore(sm.snapshot());
    expect(copy.rebalanceRequest()).toEqual({ requested: true, requestedMs: 200 });
    expect(copy.applyCommand({ op: 'setRebalance', requested: false, requestedMs: 200 }).ok).toBe(true);
    expect(copy.rebalanceRequest()).toEqual({ requested: false, requestedMs: 200 });
    // Clearing what is already clear is a no-op, not a refusal (a retried clear).
    expect(copy.applyCommand({ op: 'setRebalance', requested: false, requestedMs: 5 }).ok).toBe(true);
    expect(copy.rebalanceRequest()).toEqual({ requested: false, requestedMs: 200 });
  });

  it('restores a snapshot written before rebalance was replicated (no field): none requested', () => {
    const old = { version: 2, clusterId: 'c', members: [{ id: 1, address: 'a:9000', state: 'active', joinedIndex: 1 }], buckets: [] };
    const sm = new MetaStateMachine();
    sm.applyCommand({ op: 'setRebalance', requested: true, requestedMs: 1 });
    sm.restore(new TextEncoder().encode(JSON.stringify(old)));
    expect(sm.rebalanceRequest()).toBeUndefined();
    expect(sm.members().map((m) => m.id)).toEqual([1]);
    const again = new MetaStateMachine();
    again.restore(sm.snapshot());
    expect(again.rebalanceRequest()).toBeUndefined();
  });

  it('refuses a damaged snapshot', () => {
    expect(() => new MetaStateMachine().restore(new TextEncoder().encode('{not json'))).toThrow(/neither binary \(format 3 or 4\) nor valid JSON/);
  });
});
