import { describe, expect, it } from 'vitest';
import { resolveStrataClusterSpec } from '../api/defaults.js';
import type { StrataCluster, StrataClusterSpec } from '../api/strata-cluster.js';
import type { MemberView, StrataView } from '../plan/observed.js';
import { buildStatus } from './build-status.js';

const SPEC: StrataClusterSpec = { version: 'v1', nodes: 3, storage: { size: '1Gi' }, erasure: { dataShards: 2, parityShards: 1 } };

function statusWith(members: Partial<MemberView>[], spec: StrataClusterSpec = SPEC, previousPhase: string = 'Available') {
  const cluster = { apiVersion: 'strata.io/v1alpha1', kind: 'StrataCluster', metadata: { name: 'demo', namespace: 'store', generation: 1 }, spec, status: { phase: previousPhase } } as StrataCluster;
  const strata: StrataView = {
    reachable: true,
    leaderId: 1,
    members: members.map((m, i) => ({ id: i + 1, state: 'active', role: i === 0 ? 'leader' : 'follower', voter: true, online: true, ...m })),
    drains: {},
  };
  const pods = members.map((_, i) => ({ ordinal: i, name: `demo-${i}`, ready: true, terminating: false }));
  return buildStatus({ cluster, spec: resolveStrataClusterSpec(spec), pods, strata, nowIso: '2026-01-01T00:00:00.000Z', paused: false });
}

const condition = (status: ReturnType<typeof statusWith>, type: string) => status.conditions?.find((c) => c.type === type);

describe('buildStatus: Degraded when writes are refused', () => {
  it('says nothing is degraded with k+m nodes online and active', () => {
    const status = statusWith([{}, {}, {}]);
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
  });

  it('with nodes == k+m and one offline: NodesOffline first, and the message says PUTs are refused', () => {
    const status = statusWith([{}, {}, { online: false }]);
    const degraded = condition(status, 'Degraded');
    expect(degraded).toMatchObject({ status: 'True', reason: 'NodesOffline' });
    expect(degraded?.message).toContain('offline: node-3');
    expect(degraded?.message).toContain('2 of 3 nodes are online and active, a PUT needs 3 (erasure 2+1)');
    expect(condition(status, 'Available')?.status).toBe('True'); // reads and inline objects still work
  });

  it('counts draining nodes as not taking writes', () => {
    const status = statusWith([{}, {}, { state: 'draining' }]);
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'True', reason: 'WritesRefused' });
  });

  it('with a spare node, one offline leaves writes possible', () => {
    const status = statusWith([{}, {}, {}, { online: false }], { ...SPEC, nodes: 4 });
    expect(condition(status, 'Degraded')?.reason).toBe('NodesOffline');
    expect(condition(status, 'Degraded')?.message).not.toContain('PUT needs');
  });

  it('while a new cluster is being created, nodes still joining are not a problem', () => {
    const status = statusWith([{}, {}], SPEC, 'Creating');
    expect(condition(status, 'Degraded')).toMatchObject({ status: 'False', reason: 'AsExpected' });
    expect(status.phase).not.toBe('Degraded');
  });
});
