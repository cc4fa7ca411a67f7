import { describe, expect, it } from 'vitest';
import * as n from './naming.js';

describe('naming', () => {
  it('names the children of a cluster', () => {
    expect(n.statefulSetName('s')).toBe('s');
    expect(n.podName('s', 0)).toBe('s-0');
    expect(n.headlessServiceName('s')).toBe('s-nodes');
    expect(n.s3ServiceName('s')).toBe('s-s3');
    expect(n.configMapName('s')).toBe('s-config');
    expect(n.credentialsSecretName('s')).toBe('s-credentials');
    expect(n.podDisruptionBudgetName('s')).toBe('s');
    expect(n.podHost('s', 'ns', 2)).toBe('s-2.s-nodes.ns.svc');
  });

  it.each([
    [0, 1, 'node-1'],
    [3, 4, 'node-4'],
    [63, 64, 'node-64'],
  ])('ordinal %i is node id %i (%s) and back', (ordinal, id, name) => {
    expect(n.nodeIdOfOrdinal(ordinal)).toBe(id);
    expect(n.nodeNameOfOrdinal(ordinal)).toBe(name);
    expect(n.nodeIdOfName(name)).toBe(id);
    expect(n.ordinalOfNodeId(id)).toBe(ordinal);
  });

  it.each(['node-0', 'node-01', 'node-', 'node-1x', 'Node-1', '4'])('%s is not a node name', (name) => {
    expect(n.nodeIdOfName(name)).toBeUndefined();
  });

  it.each([
    ['s', 's-0', 0],
    ['s', 's-12', 12],
    ['s', 's-01', undefined],
    ['s', 's-nodes', undefined],
    ['s', 'other-1', undefined],
    ['a-b', 'a-b-3', 3],
  ])('cluster %s pod %s has ordinal %s', (cluster, pod, want) => {
    expect(n.ordinalOfPod(cluster, pod)).toBe(want);
  });

  it('labels and selector', () => {
    expect(n.clusterLabels('s')).toEqual({
      'app.kubernetes.io/name': 'strata',
      'app.kubernetes.io/instance': 's',
      'app.kubernetes.io/managed-by': 'strata-operator',
    });
    expect(n.selectorString('s')).toBe('app.kubernetes.io/name=strata,app.kubernetes.io/instance=s');
  });
});
